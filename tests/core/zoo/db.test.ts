import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import path from 'node:path';
import { ZooDb, closeZoo, openZoo } from '../../../main/core/zoo/db';
import { migrations } from '../../../main/core/zoo/migrations/index';
import { tempDir } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});
function dataDir(): string {
  const t = tempDir();
  dirs.push(t.cleanup);
  return t.dir;
}

describe('zoo database', () => {
  it('opens in WAL mode with foreign keys and a busy timeout, at the latest schema', () => {
    const db = openZoo(dataDir());
    expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(db.pragma('foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    expect((db.pragma('busy_timeout') as { timeout: number }[])[0].timeout).toBeGreaterThanOrEqual(5000);
    expect(db.version()).toBe(migrations.at(-1)!.version);
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('shares one connection per data folder and process', () => {
    const dir = dataDir();
    expect(openZoo(dir)).toBe(openZoo(path.join(dir, '.')));
  });

  it('applies migrations forward once, each in a transaction', () => {
    const dir = dataDir();
    const first = new ZooDb(dir, { migrations: migrations.slice(0, 1) });
    first.close();
    const extra = [...migrations, { version: migrations.length + 1, name: 'extra', sql: 'CREATE TABLE extra_t (x INTEGER);' }];
    const second = new ZooDb(dir, { migrations: extra });
    expect(second.version()).toBe(extra.length);
    second.close();
    // reopening applies nothing twice (CREATE TABLE would fail)
    const third = new ZooDb(dir, { migrations: extra });
    expect(third.version()).toBe(extra.length);
    third.close();
  });

  it('rolls back a failing migration completely', () => {
    const dir = dataDir();
    const bad = [...migrations, { version: migrations.length + 1, name: 'bad', sql: 'CREATE TABLE half (x INTEGER); THIS IS NOT SQL;' }];
    expect(() => new ZooDb(dir, { migrations: bad })).toThrow();
    const raw = new Database(path.join(dir, 'zoo.sqlite'));
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    expect(raw.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: migrations.length });
    raw.close();
  });

  it('refuses a database from a newer Twinforge', () => {
    const dir = dataDir();
    const db = new ZooDb(dir);
    db.close();
    const raw = new Database(path.join(dir, 'zoo.sqlite'));
    raw.prepare('INSERT INTO schema_migrations VALUES (999, ?, ?)').run('future', 'x');
    raw.close();
    expect(() => new ZooDb(dir)).toThrow(/newer than this Twinforge/);
  });

  it('rejects rows that break foreign keys', () => {
    const db = openZoo(dataDir());
    expect(() => db.stmt('INSERT INTO zoo_models (zoo_id, model_id, added_at) VALUES (1, 1, ?)').run('now')).toThrow(/FOREIGN KEY/);
  });
});
