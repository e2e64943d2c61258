// Evaluations: a model on a dataset (by content hash), alone or against a reference model,
// with per-class / per-subgroup scores when the labels allow them.
import { now, type ZooDb } from '../db';
import type { EvaluationInput, EvaluationRecord, GroupScore } from '../types';
import { fin } from './models';
import { parseJson, toJson } from './json';

interface EvalRow {
  id: number;
  model_id: number;
  reference_id: number | null;
  dataset_hash: string;
  dataset_name: string | null;
  samples: number | null;
  accuracy: number | null;
  agreement: number | null;
  cosine: number | null;
  sqnr_db: number | null;
  metrics: string;
  created_at: string;
}

/** Writes (or replaces) the evaluation of a model on a dataset against a reference. */
export function putEvaluation(db: ZooDb, modelId: number, e: EvaluationInput): number {
  return db.tx(() => {
    db.stmt('DELETE FROM evaluations WHERE model_id = ? AND coalesce(reference_id, 0) = coalesce(?, 0) AND dataset_hash = ?').run(modelId, e.referenceId ?? null, e.datasetHash);
    const id = Number(
      db
        .stmt(
          `INSERT INTO evaluations (model_id, reference_id, dataset_hash, dataset_name, samples, accuracy, agreement, cosine, sqnr_db, metrics, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(modelId, e.referenceId ?? null, e.datasetHash, e.datasetName ?? null, e.samples ?? null, fin(e.accuracy), fin(e.agreement), fin(e.cosine), fin(e.sqnrDb), toJson(e.metrics ?? {}), now())
        .lastInsertRowid,
    );
    const ins = db.stmt('INSERT INTO evaluation_groups (evaluation_id, kind, key, samples, accuracy) VALUES (?, ?, ?, ?, ?)');
    for (const g of e.groups ?? []) ins.run(id, g.kind, g.key, g.samples ?? null, fin(g.accuracy));
    return id;
  });
}

function groupsOf(db: ZooDb, evaluationId: number): GroupScore[] {
  return db
    .stmt<GroupScore>('SELECT kind, key, samples, accuracy FROM evaluation_groups WHERE evaluation_id = ? ORDER BY kind, key')
    .all(evaluationId);
}

function toEval(db: ZooDb, r: EvalRow): EvaluationRecord {
  return {
    id: r.id,
    modelId: r.model_id,
    referenceId: r.reference_id,
    datasetHash: r.dataset_hash,
    datasetName: r.dataset_name,
    samples: r.samples,
    accuracy: r.accuracy,
    agreement: r.agreement,
    cosine: r.cosine,
    sqnrDb: r.sqnr_db,
    metrics: parseJson(r.metrics, {}),
    groups: groupsOf(db, r.id),
    createdAt: r.created_at,
  };
}

export function evaluationsOf(db: ZooDb, modelId: number): EvaluationRecord[] {
  return db
    .stmt<EvalRow>('SELECT * FROM evaluations WHERE model_id = ? ORDER BY dataset_hash, reference_id')
    .all(modelId)
    .map((r) => toEval(db, r));
}

/** Every evaluation of the zoo's models and their twins (analytics reads these in one go). */
export function evaluationsOfZoo(db: ZooDb, zooId: number): EvaluationRecord[] {
  return db
    .stmt<EvalRow>(
      `SELECT e.* FROM evaluations e JOIN models m ON m.id = e.model_id
       WHERE m.id IN (SELECT model_id FROM zoo_models WHERE zoo_id = ?)
          OR m.parent_id IN (SELECT model_id FROM zoo_models WHERE zoo_id = ?)
       ORDER BY e.id`,
    )
    .all(zooId, zooId)
    .map((r) => toEval(db, r));
}
