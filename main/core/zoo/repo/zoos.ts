// Zoos and their membership (a model may sit in several zoos; its file is stored once).
import { TwinforgeError, badInput } from '../../errors';
import { now, type ZooDb } from '../db';
import type { ZooRecord, ZooSummary } from '../types';
import { parseJson, toJson } from './json';

interface ZooRow {
  id: number;
  name: string;
  description: string;
  task: string | null;
  source: string | null;
  meta: string;
  created_at: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function toZoo(r: ZooRow): ZooRecord {
  return { id: r.id, name: r.name, description: r.description, task: r.task, source: r.source, meta: parseJson(r.meta, {}), createdAt: r.created_at };
}

/** Checks a zoo name: letters, digits, '.', '_', '-'; up to 128 characters. */
export function checkZooName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw badInput(`'${name}' is not a valid zoo name.`, 'Use letters, digits, dots, dashes and underscores (up to 128), starting with a letter or digit.');
  }
}

export interface NewZoo {
  name: string;
  description?: string;
  task?: string | null;
  source?: string | null;
  meta?: Record<string, unknown>;
}

/** Creates a zoo; refuses a name already taken. */
export function createZoo(db: ZooDb, z: NewZoo): ZooRecord {
  checkZooName(z.name);
  return db.tx(() => {
    if (findZoo(db, z.name)) throw badInput(`A zoo named '${z.name}' already exists.`, 'Pick another name, or import into the existing zoo.');
    const info = db
      .stmt('INSERT INTO zoos (name, description, task, source, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(z.name, z.description ?? '', z.task ?? null, z.source ?? null, toJson(z.meta ?? {}), now());
    return getZooById(db, Number(info.lastInsertRowid))!;
  });
}

export function findZoo(db: ZooDb, name: string): ZooRecord | undefined {
  const r = db.stmt<ZooRow>('SELECT * FROM zoos WHERE name = ?').get(name);
  return r ? toZoo(r) : undefined;
}

export function getZooById(db: ZooDb, id: number): ZooRecord | undefined {
  const r = db.stmt<ZooRow>('SELECT * FROM zoos WHERE id = ?').get(id);
  return r ? toZoo(r) : undefined;
}

/** The zoo with this name, or NOT_FOUND naming the zoos there are. */
export function requireZoo(db: ZooDb, name: string): ZooRecord {
  const z = findZoo(db, name);
  if (z) return z;
  const names = listZooNames(db);
  throw new TwinforgeError('NOT_FOUND', `No zoo named '${name}'.`, names.length ? `Zoos: ${names.join(', ')}.` : `Create one: twinforge zoo create ${name}`);
}

export function listZooNames(db: ZooDb): string[] {
  return db.stmt<{ name: string }>('SELECT name FROM zoos ORDER BY name').all().map((r) => r.name);
}

const SUMMARY_SQL = `
SELECT z.*,
  (SELECT count(*) FROM zoo_models zm WHERE zm.zoo_id = z.id) AS models,
  (SELECT count(*) FROM zoo_models zm JOIN models t ON t.parent_id = zm.model_id WHERE zm.zoo_id = z.id) AS twins,
  (SELECT coalesce(sum(m.bytes), 0) FROM zoo_models zm JOIN models m ON m.id = zm.model_id WHERE zm.zoo_id = z.id) AS bytes
FROM zoos z`;

/** Every zoo with its counts of models and twins. */
export function listZoos(db: ZooDb): ZooSummary[] {
  return db
    .stmt<ZooRow & { models: number; twins: number; bytes: number }>(`${SUMMARY_SQL} ORDER BY z.name`)
    .all()
    .map((r) => ({ ...toZoo(r), models: r.models, twins: r.twins, bytes: r.bytes }));
}

export function zooSummary(db: ZooDb, id: number): ZooSummary | undefined {
  const r = db.stmt<ZooRow & { models: number; twins: number; bytes: number }>(`${SUMMARY_SQL} WHERE z.id = ?`).get(id);
  return r ? { ...toZoo(r), models: r.models, twins: r.twins, bytes: r.bytes } : undefined;
}

export function addMember(db: ZooDb, zooId: number, modelId: number): boolean {
  const info = db.stmt('INSERT OR IGNORE INTO zoo_models (zoo_id, model_id, added_at) VALUES (?, ?, ?)').run(zooId, modelId, now());
  return info.changes > 0;
}

export function isMember(db: ZooDb, zooId: number, modelId: number): boolean {
  return db.stmt('SELECT 1 FROM zoo_models WHERE zoo_id = ? AND model_id = ?').get(zooId, modelId) !== undefined;
}

/** Ids of the zoo's member models (originals), in the order they were added. */
export function memberIds(db: ZooDb, zooId: number): number[] {
  return db
    .stmt<{ model_id: number }>('SELECT model_id FROM zoo_models WHERE zoo_id = ? ORDER BY added_at, model_id')
    .all(zooId)
    .map((r) => r.model_id);
}

/** Names of the zoos a model belongs to. */
export function zoosOfModel(db: ZooDb, modelId: number): string[] {
  return db
    .stmt<{ name: string }>('SELECT z.name FROM zoo_models zm JOIN zoos z ON z.id = zm.zoo_id WHERE zm.model_id = ? ORDER BY z.name')
    .all(modelId)
    .map((r) => r.name);
}

/**
 * Deletes a zoo, then every member model no other zoo holds (their twins, stats and
 * evaluations go with them by cascade). Returns the hashes whose rows went away; the caller
 * deletes those files that no remaining row references. Runs in one transaction.
 */
export function deleteZoo(db: ZooDb, zooId: number): { models: number; twins: number; shas: string[] } {
  return db.tx(() => {
    const orphans = db
      .stmt<{ id: number }>(
        `SELECT zm.model_id AS id FROM zoo_models zm
         WHERE zm.zoo_id = ? AND NOT EXISTS (SELECT 1 FROM zoo_models o WHERE o.model_id = zm.model_id AND o.zoo_id <> zm.zoo_id)`,
      )
      .all(zooId)
      .map((r) => r.id);
    const shas = new Set<string>();
    let twins = 0;
    for (const id of orphans) {
      // The whole lineage under an orphan goes: twins of twins included.
      const rows = db
        .stmt<{ id: number; sha256: string }>(
          `WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT m.id FROM models m JOIN tree t ON m.parent_id = t.id)
           SELECT models.id, models.sha256 FROM models JOIN tree ON tree.id = models.id`,
        )
        .all(id);
      twins += rows.length - 1;
      for (const r of rows) shas.add(r.sha256);
    }
    db.stmt('DELETE FROM zoos WHERE id = ?').run(zooId);
    for (const id of orphans) db.stmt('DELETE FROM models WHERE id = ?').run(id);
    return { models: orphans.length, twins, shas: [...shas] };
  });
}
