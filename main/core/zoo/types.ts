// The zoo's records as the engine, the contract and the CLI see them (camelCase, plain JSON).
// The shapes the UI receives are the contract's own (preload/contract.ts; the renderer may not
// import main/): they are re-exported here under the engine's names, the inputs defined here.
import type { ZooBenchmark, ZooEvaluation, ZooGroupScore, ZooLayerStat, ZooModelRecord, ZooSummary, ZooTwinInfo } from '../../../preload/contract';

export type ModelFormat = ZooModelRecord['format'];
export type ModelRecord = ZooModelRecord;
export type LayerStat = ZooLayerStat;
export type TwinInfo = ZooTwinInfo;
export type GroupScore = ZooGroupScore;
export type EvaluationRecord = ZooEvaluation;
export type BenchmarkRecord = ZooBenchmark;
export type { ZooSummary };

/** A zoo row without its counts. */
export type ZooRecord = Omit<ZooSummary, 'models' | 'twins' | 'bytes'>;

/** What a new model row needs (id and timestamps are the repository's). */
export type NewModel = Omit<ModelRecord, 'id' | 'addedAt' | 'parentId' | 'meta'> & { meta?: Record<string, unknown>; parentId?: number | null };

export interface TwinRecord extends ModelRecord, TwinInfo {
  parentId: number;
  createdAt: string;
}

export interface EvaluationInput {
  /** The model compared against (a twin's parent); omitted for a model's own accuracy. */
  referenceId?: number | null;
  datasetHash: string;
  datasetName?: string | null;
  samples?: number | null;
  accuracy?: number | null;
  agreement?: number | null;
  cosine?: number | null;
  sqnrDb?: number | null;
  metrics?: Record<string, unknown>;
  groups?: GroupScore[];
}

export interface BenchmarkInput {
  target: string;
  runtime: string;
  batch?: number;
  threads?: number | null;
  latencyMs: number;
  p90Ms?: number | null;
  runs?: number | null;
  /** True for a roofline estimate rather than a measurement. */
  estimated?: boolean;
  host?: string | null;
}
