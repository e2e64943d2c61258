// Models (originals and twins alike) and their per-layer statistics.
import { TwinforgeError } from '../../errors';
import { now, type ZooDb } from '../db';
import type { LayerStat, ModelRecord, NewModel } from '../types';
import { parseJson, toJson } from './json';

export interface ModelRow {
  id: number;
  sha256: string;
  name: string;
  format: 'onnx' | 'safetensors' | 'hf';
  source_path: string | null;
  producer: string | null;
  task: string | null;
  parameters: number | null;
  bytes: number;
  meta: string;
  parent_id: number | null;
  added_at: string;
}

export function toModel(r: ModelRow): ModelRecord {
  return {
    id: r.id,
    sha256: r.sha256,
    name: r.name,
    format: r.format,
    sourcePath: r.source_path,
    producer: r.producer,
    task: r.task,
    parameters: r.parameters,
    bytes: r.bytes,
    meta: parseJson(r.meta, {}),
    parentId: r.parent_id,
    addedAt: r.added_at,
  };
}

/** Inserts one model row; returns its id. Call inside the transaction that writes its other rows. */
export function insertModel(db: ZooDb, m: NewModel): number {
  const info = db
    .stmt(
      `INSERT INTO models (sha256, name, format, source_path, producer, task, parameters, bytes, meta, parent_id, added_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(m.sha256, m.name, m.format, m.sourcePath, m.producer, m.task, m.parameters, m.bytes, toJson(m.meta ?? {}), m.parentId ?? null, now());
  return Number(info.lastInsertRowid);
}

export function getModel(db: ZooDb, id: number): ModelRecord | undefined {
  const r = db.stmt<ModelRow>('SELECT * FROM models WHERE id = ?').get(id);
  return r ? toModel(r) : undefined;
}

/** The original (parentless) model with this content, if any. */
export function findOriginalBySha(db: ZooDb, sha256: string): ModelRecord | undefined {
  const r = db.stmt<ModelRow>('SELECT * FROM models WHERE sha256 = ? AND parent_id IS NULL').get(sha256);
  return r ? toModel(r) : undefined;
}

export function modelsOfZoo(db: ZooDb, zooId: number): (ModelRecord & { twins: number })[] {
  return db
    .stmt<ModelRow & { twins: number }>(
      `SELECT m.*, (SELECT count(*) FROM models t WHERE t.parent_id = m.id) AS twins
       FROM zoo_models zm JOIN models m ON m.id = zm.model_id WHERE zm.zoo_id = ? ORDER BY zm.added_at, m.id`,
    )
    .all(zooId)
    .map((r) => ({ ...toModel(r), twins: r.twins }));
}

/**
 * Finds one model by a reference a user types: a numeric id, a sha256 prefix (8+ hex digits)
 * or a name (optionally limited to one zoo). Ambiguous or unknown references are errors that
 * list the candidates.
 */
export function resolveModel(db: ZooDb, ref: string, zooId?: number): ModelRecord {
  const trimmed = ref.trim();
  if (/^\d+$/.test(trimmed)) {
    const m = getModel(db, Number(trimmed));
    if (m) return m;
  }
  let rows: ModelRow[] = [];
  if (/^[0-9a-f]{8,64}$/i.test(trimmed)) {
    rows = db.stmt<ModelRow>("SELECT * FROM models WHERE sha256 LIKE ? || '%' ORDER BY parent_id IS NOT NULL, id").all(trimmed.toLowerCase());
    // A hash names content; prefer the original if twins share it.
    if (rows.length > 1 && rows[0].parent_id === null) rows = [rows[0]];
  }
  if (rows.length === 0) {
    rows =
      zooId === undefined
        ? db.stmt<ModelRow>('SELECT * FROM models WHERE name = ? AND parent_id IS NULL ORDER BY id').all(trimmed)
        : db
            .stmt<ModelRow>('SELECT m.* FROM models m JOIN zoo_models zm ON zm.model_id = m.id WHERE zm.zoo_id = ? AND m.name = ? ORDER BY m.id')
            .all(zooId, trimmed);
    if (rows.length === 0 && zooId === undefined) rows = db.stmt<ModelRow>('SELECT * FROM models WHERE name = ? ORDER BY id').all(trimmed);
  }
  if (rows.length === 1) return toModel(rows[0]);
  if (rows.length === 0) throw new TwinforgeError('NOT_FOUND', `No model '${ref}' in the zoo database.`, 'Name a model by id, name or sha256 prefix (see: twinforge zoo show ZOO).');
  const list = rows.slice(0, 8).map((r) => `#${r.id} ${r.name} (${r.sha256.slice(0, 12)})`);
  throw new TwinforgeError('BAD_INPUT', `'${ref}' names ${rows.length} models.`, `Use an id or a longer hash: ${list.join(', ')}.`);
}

/** How many model rows name this content (a file may be deleted only at zero). */
export function shaRefCount(db: ZooDb, sha256: string): number {
  return db.stmt<{ n: number }>('SELECT count(*) AS n FROM models WHERE sha256 = ?').get(sha256)!.n;
}

/** Every hash some row references. */
export function referencedShas(db: ZooDb): Set<string> {
  return new Set(db.stmt<{ sha256: string }>('SELECT DISTINCT sha256 FROM models').all().map((r) => r.sha256));
}

/** A layer_stats row as SQLite returns it. */
interface LayerStatsDbRow {
  layer: string;
  op_type: string | null;
  shape: string;
  params: number;
  nonzeros: number;
  sparsity: number;
  mean: number | null;
  std: number | null;
  abs_mean: number | null;
  abs_max: number | null;
  l2_norm: number | null;
  mask_hash: string | null;
}

/** Replaces a model's per-layer statistics (inside the caller's transaction when there is one). */
export function putLayerStats(db: ZooDb, modelId: number, stats: LayerStat[]): void {
  const write = () => {
    db.stmt('DELETE FROM layer_stats WHERE model_id = ?').run(modelId);
    const ins = db.stmt(
      `INSERT INTO layer_stats (model_id, layer, ordinal, op_type, shape, params, nonzeros, sparsity, mean, std, abs_mean, abs_max, l2_norm, mask_hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    stats.forEach((s, i) =>
      ins.run(modelId, s.layer, i, s.opType, toJson(s.shape), s.params, s.nonzeros, s.sparsity, fin(s.mean), fin(s.std), fin(s.absMean), fin(s.absMax), fin(s.l2Norm), s.maskHash),
    );
  };
  db.tx(write);
}

export function layerStatsOf(db: ZooDb, modelId: number): LayerStat[] {
  return db
    .stmt<LayerStatsDbRow>('SELECT * FROM layer_stats WHERE model_id = ? ORDER BY ordinal')
    .all(modelId)
    .map((r) => ({
      layer: r.layer,
      opType: r.op_type,
      shape: parseJson<number[]>(r.shape, []),
      params: r.params,
      nonzeros: r.nonzeros,
      sparsity: r.sparsity,
      mean: r.mean,
      std: r.std,
      absMean: r.abs_mean,
      absMax: r.abs_max,
      l2Norm: r.l2_norm,
      maskHash: r.mask_hash,
    }));
}

/** SQLite stores NaN as NULL anyway; say so explicitly. */
export function fin(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}
