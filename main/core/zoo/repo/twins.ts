// Twins: a model row with a parent, plus the recipe and grid cell that made it. A twin and all
// its rows (layer stats, evaluations, benchmarks) are written in one transaction, and only
// after its file is in the store: no reader ever sees a twin without its file or half its rows.
import { TwinforgeError, badInput } from '../../errors';
import type { ZooFamilyMember } from '../../../../preload/contract';
import { now, type ZooDb } from '../db';
import { ModelStore } from '../store';
import type { BenchmarkInput, EvaluationInput, LayerStat, ModelRecord, NewModel, TwinInfo, TwinRecord } from '../types';
import { addBenchmark } from './benchmarks';
import { putEvaluation } from './evaluations';
import { getModel, putLayerStats, toModel, type ModelRow } from './models';
import { parseJson, toJson } from './json';

export interface NewTwin {
  parentId: number;
  model: Omit<NewModel, 'parentId'>;
  twin: TwinInfo;
  layers?: LayerStat[];
  evaluations?: EvaluationInput[];
  benchmarks?: BenchmarkInput[];
}

/** A twin row as SQLite returns it (the contract's TwinRow is what the UI receives). */
interface TwinDbRow extends ModelRow {
  grid_key: string | null;
  recipe: string;
  recipe_format: 'yaml' | 'json';
  method: string;
  pattern: string | null;
  level: number | null;
  quantization: string | null;
  target: string | null;
  sparsity: number | null;
  mask_hash: string | null;
  metrics: string;
  created_at: string;
}

function toTwin(r: TwinDbRow): TwinRecord {
  return {
    ...toModel(r),
    parentId: r.parent_id!,
    gridKey: r.grid_key,
    recipe: r.recipe,
    recipeFormat: r.recipe_format,
    method: r.method,
    pattern: r.pattern,
    level: r.level,
    quantization: r.quantization,
    target: r.target,
    sparsity: r.sparsity,
    maskHash: r.mask_hash,
    metrics: parseJson(r.metrics, {}),
    createdAt: r.created_at,
  };
}

const TWIN_SELECT = 'SELECT m.*, t.grid_key, t.recipe, t.recipe_format, t.method, t.pattern, t.level, t.quantization, t.target, t.sparsity, t.mask_hash, t.metrics, t.created_at FROM twins t JOIN models m ON m.id = t.model_id';

/**
 * Registers a finished twin with everything measured about it, atomically. The twin's file must
 * already be in the store. A twin whose grid key exists is not written twice: the existing id
 * is returned with created=false.
 */
export function registerTwin(db: ZooDb, t: NewTwin): { id: number; created: boolean } {
  const store = new ModelStore(db.dataDir);
  if (!store.has(t.model.sha256)) {
    throw new TwinforgeError('INTERNAL', `Twin file ${t.model.sha256} is not in the store.`, 'Put the file into the store before registering its rows.');
  }
  return db.tx(() => {
    if (t.twin.gridKey) {
      const existing = db.stmt<{ model_id: number }>('SELECT model_id FROM twins WHERE grid_key = ?').get(t.twin.gridKey);
      if (existing) return { id: existing.model_id, created: false };
    }
    const parent = getModel(db, t.parentId);
    if (!parent) throw badInput(`Parent model #${t.parentId} does not exist.`);
    const id = Number(
      db
        .stmt(
          `INSERT INTO models (sha256, name, format, source_path, producer, task, parameters, bytes, meta, parent_id, added_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(t.model.sha256, t.model.name, t.model.format, t.model.sourcePath, t.model.producer, t.model.task ?? parent.task, t.model.parameters, t.model.bytes, toJson(t.model.meta ?? {}), t.parentId, now())
        .lastInsertRowid,
    );
    const w = t.twin;
    db.stmt(
      `INSERT INTO twins (model_id, grid_key, recipe, recipe_format, method, pattern, level, quantization, target, sparsity, mask_hash, metrics, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, w.gridKey, w.recipe, w.recipeFormat, w.method, w.pattern, w.level, w.quantization, w.target, w.sparsity, w.maskHash, toJson(w.metrics ?? {}), now());
    if (t.layers?.length) putLayerStats(db, id, t.layers);
    for (const e of t.evaluations ?? []) putEvaluation(db, id, { referenceId: e.referenceId === undefined ? t.parentId : e.referenceId, ...withoutRef(e) });
    for (const b of t.benchmarks ?? []) addBenchmark(db, id, b);
    return { id, created: true };
  });
}

function withoutRef(e: EvaluationInput): Omit<EvaluationInput, 'referenceId'> {
  const { referenceId: _r, ...rest } = e;
  return rest;
}

export function getTwin(db: ZooDb, id: number): TwinRecord | undefined {
  const r = db.stmt<TwinDbRow>(`${TWIN_SELECT} WHERE t.model_id = ?`).get(id);
  return r ? toTwin(r) : undefined;
}

/** Direct twins of a model, by method, pattern and level. */
export function twinsOf(db: ZooDb, parentId: number): TwinRecord[] {
  return db.stmt<TwinDbRow>(`${TWIN_SELECT} WHERE m.parent_id = ? ORDER BY t.method, t.pattern, t.level, m.id`).all(parentId).map(toTwin);
}

/** Every twin whose parent is a member of the zoo. */
export function twinsOfZoo(db: ZooDb, zooId: number): TwinRecord[] {
  return db
    .stmt<TwinDbRow>(`${TWIN_SELECT} JOIN zoo_models zm ON zm.model_id = m.parent_id WHERE zm.zoo_id = ? ORDER BY m.parent_id, t.method, t.pattern, t.level, m.id`)
    .all(zooId)
    .map(toTwin);
}

/** Grid keys of finished twins among the given ones (a batch skips these). */
export function existingGridKeys(db: ZooDb, keys: string[]): Set<string> {
  const out = new Set<string>();
  const q = db.stmt<{ grid_key: string }>('SELECT grid_key FROM twins WHERE grid_key = ?');
  for (const k of keys) if (q.get(k)) out.add(k);
  return out;
}

/** Twins with exactly this connectivity (same overall mask hash): candidates for a sparse soup. */
export function twinsWithMask(db: ZooDb, maskHash: string): TwinRecord[] {
  return db.stmt<TwinDbRow>(`${TWIN_SELECT} WHERE t.mask_hash = ? ORDER BY m.id`).all(maskHash).map(toTwin);
}

/** Groups of two or more twins sharing a mask hash, largest first. */
export function sharedMasks(db: ZooDb, zooId?: number): { maskHash: string; twinIds: number[] }[] {
  const rows =
    zooId === undefined
      ? db.stmt<{ mask_hash: string; ids: string }>("SELECT mask_hash, group_concat(model_id) AS ids FROM twins WHERE mask_hash IS NOT NULL GROUP BY mask_hash HAVING count(*) > 1").all()
      : db
          .stmt<{ mask_hash: string; ids: string }>(
            `SELECT t.mask_hash, group_concat(t.model_id) AS ids FROM twins t JOIN models m ON m.id = t.model_id
             JOIN zoo_models zm ON zm.model_id = m.parent_id WHERE zm.zoo_id = ? AND t.mask_hash IS NOT NULL GROUP BY t.mask_hash HAVING count(*) > 1`,
          )
          .all(zooId);
  return rows
    .map((r) => ({ maskHash: r.mask_hash, twinIds: r.ids.split(',').map(Number).sort((a, b) => a - b) }))
    .sort((a, b) => b.twinIds.length - a.twinIds.length || a.maskHash.localeCompare(b.maskHash));
}

/** The chain of parents from a model up to its original. */
export function lineage(db: ZooDb, id: number): ModelRecord[] {
  const out: ModelRecord[] = [];
  let cur = getModel(db, id);
  while (cur && out.length < 64) {
    out.push(cur);
    cur = cur.parentId === null ? undefined : getModel(db, cur.parentId);
  }
  return out;
}


/** The whole tree under the original of `id` (parent → twins → twins of twins), parents first. */
/** The original and every twin below it, however deep. */
export function familyOf(db: ZooDb, id: number): ZooFamilyMember[] {
  const root = lineage(db, id).at(-1);
  if (!root) return [];
  return db
    .stmt<{ id: number; name: string; parent_id: number | null; method: string | null; pattern: string | null; level: number | null; quantization: string | null; sparsity: number | null }>(
      `WITH RECURSIVE tree(id, depth) AS (SELECT ?, 0 UNION ALL SELECT m.id, t.depth + 1 FROM models m JOIN tree t ON m.parent_id = t.id WHERE t.depth < 64)
       SELECT m.id, m.name, m.parent_id, tw.method, tw.pattern, tw.level, tw.quantization, tw.sparsity
       FROM tree JOIN models m ON m.id = tree.id LEFT JOIN twins tw ON tw.model_id = m.id ORDER BY tree.depth, m.id`,
    )
    .all(root.id)
    .map((r) => ({ id: r.id, name: r.name, parentId: r.parent_id, method: r.method, pattern: r.pattern, level: r.level, quantization: r.quantization, sparsity: r.sparsity }));
}

/**
 * Deletes one twin and the twins made from it (rows cascade); returns the hashes whose rows went,
 * for the caller to delete the files nothing else references. An original is refused: it leaves
 * with its zoo (removeZoo).
 */
export function deleteTwin(db: ZooDb, id: number): { twins: number; shas: string[] } {
  return db.tx(() => {
    const m = getModel(db, id);
    if (!m) throw new TwinforgeError('NOT_FOUND', `Model #${id} is not in the zoo.`, 'Reload the zoo: it may have been removed already.');
    if (m.parentId === null) throw badInput(`Model #${id} ('${m.name}') is an original, not a twin.`, 'Originals leave with their zoo: remove the zoo instead.');
    const rows = db
      .stmt<{ id: number; sha256: string }>(
        `WITH RECURSIVE tree(id) AS (SELECT ? UNION ALL SELECT m.id FROM models m JOIN tree t ON m.parent_id = t.id)
         SELECT models.id, models.sha256 FROM models JOIN tree ON tree.id = models.id`,
      )
      .all(id);
    db.stmt('DELETE FROM models WHERE id = ?').run(id);
    return { twins: rows.length, shas: [...new Set(rows.map((r) => r.sha256))] };
  });
}

/** A twin with this content whose family's original belongs to the zoo (the newest such twin). */
export function findTwinBySha(db: ZooDb, sha256: string, zooId: number): ModelRecord | undefined {
  const rows = db.stmt<ModelRow>('SELECT * FROM models WHERE sha256 = ? AND parent_id IS NOT NULL ORDER BY id DESC').all(sha256).map(toModel);
  return rows.find((m) => {
    const root = lineage(db, m.id).at(-1);
    return root !== undefined && db.stmt('SELECT 1 FROM zoo_models WHERE zoo_id = ? AND model_id = ?').get(zooId, root.id) !== undefined;
  });
}
