// The zoo database: one better-sqlite3 connection per data folder and process, opened in WAL
// mode with foreign keys and a busy timeout, migrated forward on open. Repositories take a
// ZooDb and use its cached prepared statements; nothing else touches the connection.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import { migrations, type Migration } from './migrations/index';
import { bindingError, sqliteBinding } from './sqlite-binding';

export const DB_FILE = 'zoo.sqlite';
const BUSY_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  /** Open read-only: never migrates; fails if the database does not exist. */
  readonly?: boolean;
  /** A better-sqlite3 binary to load (default: sqliteBinding(), the Electron-ABI build under Electron). */
  nativeBinding?: string;
  /** Migrations to apply (tests pass their own lists); default: the shipped ones. */
  migrations?: Migration[];
}

export class ZooDb {
  readonly file: string;
  readonly dataDir: string;
  private readonly conn: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(dataDir: string, opts: OpenOptions = {}) {
    this.dataDir = path.resolve(dataDir);
    this.file = path.join(this.dataDir, DB_FILE);
    if (!opts.readonly) mkdirSync(this.dataDir, { recursive: true });
    const nativeBinding = opts.nativeBinding ?? sqliteBinding();
    try {
      this.conn = new Database(this.file, {
        readonly: Boolean(opts.readonly),
        fileMustExist: Boolean(opts.readonly),
        timeout: BUSY_TIMEOUT_MS,
        ...(nativeBinding ? { nativeBinding } : {}),
      });
    } catch (e) {
      throw bindingError(e, nativeBinding) ?? new TwinforgeError(
        opts.readonly ? 'NOT_FOUND' : 'INTERNAL',
        `Cannot open the zoo database ${this.file}: ${(e as Error).message}`,
        'Check that the data folder exists and is writable (--data-dir or TWINFORGE_HOME).',
      );
    }
    this.conn.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.conn.pragma('foreign_keys = ON');
    if (!opts.readonly) {
      this.conn.pragma('journal_mode = WAL');
      // WAL + NORMAL survives a killed process (not a power cut) and keeps commits cheap.
      this.conn.pragma('synchronous = NORMAL');
      migrate(this.conn, opts.migrations ?? migrations);
    } else {
      checkVersion(this.conn, opts.migrations ?? migrations, true);
    }
  }

  /** A prepared statement, compiled once per connection. */
  stmt<R = unknown>(sql: string): Database.Statement<unknown[], R> {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.conn.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s as Database.Statement<unknown[], R>;
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE): all of it commits, or none of it. */
  tx<T>(fn: () => T): T {
    return this.conn.transaction(fn).immediate();
  }

  /** Runs fn in one read transaction: every query inside sees the same snapshot. */
  read<T>(fn: () => T): T {
    if (this.conn.inTransaction) return fn();
    return this.conn.transaction(fn).deferred();
  }

  pragma(source: string): unknown {
    return this.conn.pragma(source);
  }

  /** Schema version applied to this database. */
  version(): number {
    return currentVersion(this.conn);
  }

  get open(): boolean {
    return this.conn.open;
  }

  close(): void {
    if (!this.conn.open) return;
    this.stmts.clear();
    this.conn.close();
  }
}

function currentVersion(conn: Database.Database): number {
  const has = conn.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!has) return 0;
  const row = conn.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

// A database written by a newer Twinforge is refused rather than misread; a read-only open also
// refuses an older one, since it cannot migrate it.
function checkVersion(conn: Database.Database, list: Migration[], exact: boolean): void {
  const known = list.length ? list[list.length - 1].version : 0;
  const have = currentVersion(conn);
  if (have > known) {
    throw new TwinforgeError(
      'UNSUPPORTED',
      `The zoo database is at schema version ${have}, newer than this Twinforge knows (${known}).`,
      'Update Twinforge, or point --data-dir at another folder.',
    );
  }
  if (exact && have < known) {
    throw new TwinforgeError('UNSUPPORTED', `The zoo database is at schema version ${have}; this Twinforge needs ${known}.`, 'Open it once read-write to migrate it.');
  }
}

// Each migration runs in its own IMMEDIATE transaction and re-checks the version inside it, so
// two processes opening a fresh folder at once apply every step exactly once.
function migrate(conn: Database.Database, list: Migration[]): void {
  for (let i = 0; i < list.length; i++) {
    if (list[i].version !== i + 1) throw new TwinforgeError('INTERNAL', `Migration ${list[i].name} is numbered ${list[i].version}, expected ${i + 1}.`);
  }
  conn.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  checkVersion(conn, list, false);
  for (const m of list) {
    // A table rebuild must not cascade its drop: foreign keys off (outside the transaction,
    // where SQLite honours it), and every reference checked before the commit.
    if (m.foreignKeysOff && currentVersion(conn) < m.version) conn.pragma('foreign_keys = OFF');
    try {
      conn
        .transaction(() => {
          if (currentVersion(conn) >= m.version) return;
          conn.exec(m.sql);
          if (m.foreignKeysOff) {
            const broken = conn.pragma('foreign_key_check') as unknown[];
            if (broken.length) throw new TwinforgeError('INTERNAL', `Migration ${m.name} would leave ${broken.length} broken reference(s); the database is unchanged.`);
          }
          conn.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
        })
        .immediate();
    } finally {
      if (m.foreignKeysOff) conn.pragma('foreign_keys = ON');
    }
  }
}

// One connection per data folder per process ("one owner of the connection").
const shared = new Map<string, ZooDb>();

/** The process's connection to the zoo in dataDir, opened (and migrated) on first use. */
export function openZoo(dataDir: string, opts: Omit<OpenOptions, 'readonly' | 'migrations'> = {}): ZooDb {
  const key = path.resolve(dataDir);
  let db = shared.get(key);
  if (!db || !db.open) {
    db = new ZooDb(key, opts);
    shared.set(key, db);
  }
  return db;
}

/** Closes the shared connection of one data folder (or all of them). */
export function closeZoo(dataDir?: string): void {
  if (dataDir === undefined) {
    for (const db of shared.values()) db.close();
    shared.clear();
    return;
  }
  const key = path.resolve(dataDir);
  shared.get(key)?.close();
  shared.delete(key);
}

/** Current time as the ISO string every timestamp column holds. */
export function now(): string {
  return new Date().toISOString();
}
