// The zoo: zoos, models, twins, families, evaluations, grids and population analysis.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';
import { FilePath, ModelRef, Name, NoArgs, call } from './args';

/**
 * A grid run over a zoo (`twinforge run GRID --zoo NAME`, locally or on the cluster with --queue),
 * as the zoo records it: the zoo view's progress panel polls it.
 */
export interface GridProgress {
  runId: number;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** 'cluster' when the twins were queued on Redis for `twinforge worker`s. */
  mode: 'local' | 'cluster';
  /** The Redis URL (password hidden) and grid id of a cluster run. */
  queue: string | null;
  grid: string | null;
  startedAt: string;
  endedAt: string | null;
  /** Twins this run had to make (those already in the zoo are not counted). */
  total: number;
  queued: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Twins in hand now, and the worker running each (null on a local run). */
  running: { model: string; cell: string; worker: string | null; stage: string | null }[];
  failures: { model: string; cell: string; message: string }[];
}

export interface ZooSummary {
  id: number;
  name: string;
  description: string;
  task: string | null;
  source: string | null;
  meta: Record<string, unknown>;
  createdAt: string;
  models: number;
  twins: number;
  bytes: number;
}

export interface ZooModelRow {
  id: number;
  name: string;
  sha256: string;
  format: string;
  producer: string | null;
  parameters: number | null;
  bytes: number;
  twins: number;
  addedAt: string;
}

export interface ZooShowResult {
  id: number;
  name: string;
  description: string;
  task: string | null;
  source: string | null;
  createdAt: string;
  bytes: number;
  twins: number;
  models: ZooModelRow[];
}

/** One twin as lists show it: the cell that made it and its headline fidelity. */
export interface TwinRow extends Pick<ZooTwinInfo, 'method' | 'pattern' | 'level' | 'quantization' | 'target' | 'sparsity' | 'maskHash'> {
  id: number;
  name: string;
  sha256: string;
  parentId: number;
  bytes: number;
  agreement: number | null;
  cosine: number | null;
  sqnrDb: number | null;
  accuracy: number | null;
  createdAt: string;
}

export interface ImportedModel {
  id: number;
  name: string;
  sha256: string;
  format: string;
  parameters: number | null;
  bytes: number;
  sourcePath: string;
  /** True when the model was already in another zoo (its file and row are shared). */
  shared: boolean;
}

export interface ZooModelRecord {
  id: number;
  sha256: string;
  name: string;
  /** 'hf': a Hugging Face model folder (meta.decoder holds its decoder structure). */
  format: 'onnx' | 'safetensors' | 'hf';
  sourcePath: string | null;
  producer: string | null;
  task: string | null;
  parameters: number | null;
  bytes: number;
  meta: Record<string, unknown>;
  parentId: number | null;
  addedAt: string;
}

export interface ZooLayerStat {
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

/** How a twin was made (the zoo's twin row). */
export interface ZooTwinInfo {
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

export interface ZooGroupScore {
  kind: 'class' | 'subgroup';
  key: string;
  samples: number | null;
  accuracy: number | null;
}

export interface ZooEvaluation {
  id: number;
  modelId: number;
  referenceId: number | null;
  datasetHash: string;
  datasetName: string | null;
  samples: number | null;
  accuracy: number | null;
  agreement: number | null;
  cosine: number | null;
  sqnrDb: number | null;
  metrics: Record<string, unknown>;
  groups: ZooGroupScore[];
  createdAt: string;
}

export interface ZooBenchmark {
  id: number;
  modelId: number;
  target: string;
  runtime: string;
  batch: number;
  threads: number | null;
  latencyMs: number;
  p90Ms: number | null;
  runs: number | null;
  /** True for a roofline estimate rather than a measurement. */
  estimated: boolean;
  host: string | null;
  measuredAt: string;
}

/** One member of a model's family tree (the original has no parent and no method). */
export interface ZooFamilyMember {
  id: number;
  name: string;
  parentId: number | null;
  method: string | null;
  pattern: string | null;
  level: number | null;
  quantization: string | null;
  sparsity: number | null;
}

export interface ZooModelDetail {
  model: ZooModelRecord;
  twin: (ZooTwinInfo & { createdAt: string }) | null;
  lineage: { id: number; name: string }[];
  /** The original this model descends from and every twin below it (parents before children). */
  family: ZooFamilyMember[];
  zoos: string[];
  twins: TwinRow[];
  /** The model's layers (layerDefinition), with their statistics. */
  layers: ZooLayerStat[];
  layerDefinition: string;
  evaluations: ZooEvaluation[];
  benchmarks: ZooBenchmark[];
}

export interface Distribution {
  n: number;
  mean: number;
  std: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export interface CellKey {
  method: string;
  pattern: string | null;
  level: number | null;
  quantization: string | null;
}

/** One cell of a zoo analysis: the twins of one method x pattern x precision, as distributions. */
export interface CellStats extends CellKey {
  twins: number;
  sparsity: Distribution | null;
  agreement: Distribution | null;
  cosine: Distribution | null;
  sqnrDb: Distribution | null;
  accuracy: Distribution | null;
  parentAccuracy: Distribution | null;
  accuracyDrop: Distribution | null;
  sizeRatio: Distribution | null;
  latencyRatio: Distribution | null;
  /** Parent accuracy (x) against twin accuracy (y) across the population. */
  correlation: { n: number; pearson: number | null; spearman: number | null; points: { parentId: number; twinId: number; parent: number; twin: number }[] };
}

export interface ZooAnalysis {
  zoo: string;
  models: number;
  twins: number;
  dataset: { hash: string; name: string | null } | null;
  fidelity: 'agreement' | 'cosine' | null;
  cells: CellStats[];
  layerProfiles: (CellKey & { layers: { layer: string; ordinal: number; twins: number; sparsity: Distribution }[] })[];
  disparateImpact: {
    threshold: number;
    flagged: number;
    twins: { twinId: number; parentId: number; name: string; cell: CellKey; kind: 'class' | 'subgroup'; overallDrop: number; minGroupDrop: number; maxGroupDrop: number; spread: number; worstGroup: string; flagged: boolean }[];
  };
  pareto: {
    size: { twins: { twinId: number; parentId: number; name: string; cell: CellKey; ratio: number; fidelity: number }[]; cells: (CellKey & { ratio: number; fidelity: number; twins: number })[] };
    latency: { target: string | null; twins: { twinId: number; parentId: number; name: string; cell: CellKey; ratio: number; fidelity: number }[]; cells: (CellKey & { ratio: number; fidelity: number; twins: number })[] };
  };
  sharedMasks: { maskHash: string; twinIds: number[] }[];
}

export const zooCalls = {
  'zoo.list': call<ZooSummary[]>()(NoArgs, 'Every zoo with its model and twin counts.'),
  'zoo.create': call<ZooSummary>()(
    z.object({ name: Name, description: z.string().max(4000).optional(), task: z.string().max(200).optional() }).strict(),
    'Creates an empty zoo.',
  ),
  'zoo.show': call<ZooShowResult>()(z.object({ name: Name }).strict(), 'A zoo and its models, each with its number of twins.'),
  'zoo.import': call<{ zoo: string; imported: ImportedModel[] }>()(
    z.object({ name: Name, paths: z.array(FilePath).min(1).max(1000), create: z.boolean().optional() }).strict(),
    'Imports model files or folders into a zoo (created first with create: true).',
  ),
  'zoo.twins': call<{ model: { id: number; name: string; sha256: string }; twins: TwinRow[] }>()(
    z.object({ model: ModelRef }).strict(),
    'The twins of one model (id, name or sha256 prefix).',
  ),
  'zoo.file': call<{ id: number; name: string; format: string; path: string; parentId: number | null }>()(
    z.object({ model: ModelRef }).strict(),
    "Where a zoo model's file is stored, to open it in the wizard.",
  ),
  'zoo.model': call<ZooModelDetail>()(
    z.object({ model: ModelRef }).strict(),
    'One model: lineage, twins, layer statistics, evaluations and benchmarks.',
  ),
  'zoo.remove': call<{ zoo: string; models: number; twins: number; files: number; keptFiles: number }>()(z.object({ name: Name }).strict(), 'Removes a zoo and the models only it held.'),
  'zoo.exportModel': call<{ dir: string; files: { path: string; kind: string; bytes: number }[] }>()(
    z.object({ model: ModelRef, dir: FilePath, overwrite: z.boolean().optional() }).strict(),
    "Copies a zoo model's file (and a twin's recipe) into a folder; existing files only with overwrite: true.",
  ),
  'zoo.removeTwin': call<{ twins: number; files: number; keptFiles: number }>()(
    z.object({ model: ModelRef }).strict(),
    'Deletes one twin and the twins made from it; their files go unless another model uses them.',
  ),
  'zoo.grids': call<GridProgress[]>()(
    z.object({ name: Name, limit: z.number().int().min(1).max(20).optional() }).strict(),
    'The latest grid runs over a zoo (newest first): queued, running on which worker, done, failed.',
  ),
  'zoo.analyze': call<ZooAnalysis>()(
    z.object({ name: Name, dataset: z.string().max(128).optional(), threshold: z.number().min(0).max(1).optional() }).strict(),
    'Population analytics: per method × level distributions, correlations, layer sparsity, disparate impact, Pareto fronts.',
  ),
} as const;
