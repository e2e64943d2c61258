// The zoo's records as the engine, the contract and the CLI see them (camelCase, plain JSON).

export type ModelFormat = 'onnx' | 'safetensors';

export interface ZooRecord {
  id: number;
  name: string;
  description: string;
  task: string | null;
  source: string | null;
  meta: Record<string, unknown>;
  createdAt: string;
}

export interface ZooSummary extends ZooRecord {
  models: number;
  twins: number;
  bytes: number;
}

export interface ModelRecord {
  id: number;
  sha256: string;
  name: string;
  format: ModelFormat;
  sourcePath: string | null;
  producer: string | null;
  task: string | null;
  parameters: number | null;
  bytes: number;
  meta: Record<string, unknown>;
  parentId: number | null;
  addedAt: string;
}

/** What a new model row needs (id and timestamps are the repository's). */
export type NewModel = Omit<ModelRecord, 'id' | 'addedAt' | 'parentId' | 'meta'> & { meta?: Record<string, unknown>; parentId?: number | null };

export interface LayerStat {
  layer: string;
  opType: string | null;
  shape: number[];
  params: number;
  nonzeros: number;
  sparsity: number;
  mean: number | null;
  std: number | null;
  absMean: number | null;
  absMax: number | null;
  l2Norm: number | null;
  maskHash: string | null;
}

export interface TwinInfo {
  gridKey: string | null;
  recipe: string;
  recipeFormat: 'yaml' | 'json';
  method: string;
  pattern: string | null;
  level: number | null;
  quantization: string | null;
  target: string | null;
  sparsity: number | null;
  maskHash: string | null;
  metrics: Record<string, unknown>;
}

export interface TwinRecord extends ModelRecord, TwinInfo {
  parentId: number;
  createdAt: string;
}

export interface GroupScore {
  kind: 'class' | 'subgroup';
  key: string;
  samples: number | null;
  accuracy: number | null;
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

export interface EvaluationRecord extends Required<Omit<EvaluationInput, 'groups' | 'metrics'>> {
  id: number;
  modelId: number;
  metrics: Record<string, unknown>;
  groups: GroupScore[];
  createdAt: string;
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

export interface BenchmarkRecord extends Required<BenchmarkInput> {
  id: number;
  modelId: number;
  measuredAt: string;
}
