// THE API contract between the UI and the engine: every call (name, argument schema, result
// type) and every event. Electron IPC, the web host and the CLI bind exactly this; the renderer
// talks to one client built on it. Arguments are validated with these schemas at each host's
// edge (strict: unknown fields are errors). Results are typed here and produced by main/core/api.
// This file imports nothing but zod, so the renderer and the preload can both include it.
import { z } from 'zod';

// ---------- shared data types (results) ----------

/** The one list of error codes (main/core/errors.ts builds TwinforgeError on it). */
export const ERROR_CODES = [
  'BAD_INPUT', // the caller's arguments, flags, recipe or file content are wrong
  'NOT_FOUND', // a named file, model, zoo, job or target does not exist
  'UNSUPPORTED', // valid input Twinforge does not handle (yet): an op, dtype, pattern
  'CORRUPT_MODEL', // a model file that fails format checks (truncated, lengths past the end)
  'NO_DEVICE', // a GPU / driver was asked for and is not there
  'CANCELLED', // the user or a signal stopped the work
  'GATE_FAILED', // a fidelity gate in a recipe failed (CLI exit 3)
  'NOT_IMPLEMENTED', // wired but not built yet
  'UNAUTHORIZED', // web host: missing or wrong token, foreign origin
  'FORBIDDEN', // a write outside the folders the user chose (HTTP 403, CLI exit 2)
  'INTERNAL', // a bug: anything not foreseen
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** How every failed call arrives, whatever the transport. */
export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: unknown;
}

export interface AppInfo {
  version: string;
  platform: string;
  arch: string;
  node: string;
  host: 'electron' | 'web' | 'cli';
  hostname: string;
  cpu: { model: string; cores: number; arch: string; features: string[] };
  native: { loaded: boolean; isa: string; available: string[]; threads: number; cuda: { built: boolean; devices: number; error?: string }; error?: string };
  dataDir: string;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A progress snapshot: later ones replace earlier ones, so they may be coalesced. */
export interface JobProgress {
  done: number;
  total: number;
  /** Short name of the current stage, e.g. 'calibrate', 'prune', 'export'. */
  stage: string;
  /** Optional finer position, e.g. the layer being processed. */
  detail?: string;
  /** Optional per-item progress inside the stage (e.g. per layer), for UIs that show it. */
  items?: { name: string; done: number; total: number }[];
}

export interface JobSnapshot {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  progress: JobProgress;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  error?: ErrorEnvelope;
  /** Present once state is 'done'. */
  result?: unknown;
  /** Last few log lines (the whole log is available through jobs.log). */
  logTail: string[];
}

export interface TensorSpec {
  name: string;
  dtype: string;
  /** null when the file does not say (rank unknown). */
  shape: (number | string | null)[] | null;
}

export interface LayerRow {
  /** The node's name. */
  name: string;
  op: string;
  /** The layer's main weight (id). */
  weight: string;
  /** Dims of the main weight. */
  shape: number[];
  dtype: string;
  role: string;
  /** Elements of all parameter weights the node uses (weight + bias, or scale + shift). */
  parameters: number;
  nonzeros: number;
  /** Stored bytes of those weights. */
  bytes: number;
  macs: number;
  flops: number;
  /** All parameter weights of the layer. */
  weights: string[];
  graph: string;
  attention?: string;
  quantized?: boolean;
  inputShape?: number[];
  outputShape?: number[];
}

export interface ModelSummary {
  format: string;
  producer: string;
  opsets: Record<string, number> | { domain: string; version: number }[];
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  totals: { weightTensors: number; parameters: number; nonzeros: number; bytes: number; flops: number; macs?: number; nodes?: number; sparsity?: number };
  layers: LayerRow[];
  /** Size of the model file (weights plus graph). */
  fileBytes?: number;
  producerVersion?: string;
  /** Symbolic dims given values for the FLOPs count. */
  assumedDims?: Record<string, number>;
  unknownShapes?: string[];
  /** Per input: role (features, token-ids, mask, state, control), batch axis and each dim's status. */
  inputModel?: Array<{ name: string; role: string; why: string; batchAxis: number | null; dims: Array<{ declared: number | string | null; kind: string; value?: number }>; vocab?: number }>;
  /** Dims nobody has set yet ("'x' dim 2 (height)"); FLOPs are unknown until they are. */
  unresolvedDims?: string[];
  flopsKnown?: boolean;
}

// ---------- files (browser-mode picker over allowed folders) ----------

export interface FileRoot {
  id: string;
  label: string;
  path: string;
}

export interface FileEntry {
  name: string;
  path: string;
  kind: 'dir' | 'file';
  bytes?: number;
  modified?: string;
  /** What the file looks like from its name: a model, a data array, a recipe. */
  type?: 'model' | 'data' | 'recipe' | 'other';
}

export interface FileListing {
  roots: FileRoot[];
  /** The listed folder (absent when only the roots were asked for). */
  path?: string;
  root?: FileRoot;
  /** The folder above, when it is still inside the root. */
  parent?: string;
  entries: FileEntry[];
  truncated: boolean;
}

// ---------- model details ----------

export interface SensitivityEntry {
  /** The weight's name (what recipe globs match) and its node. */
  layer: string;
  node: string;
  /** dense for precision-only entries. */
  pattern: string;
  level: number;
  precision: 'fp32' | 'int8' | 'int4';
  /** Noise-to-signal power of the model outputs (0 = identical). */
  loss: number;
  sqnrDb: number;
  top1Agreement?: number;
  how: 'measured' | 'proxy';
}

/** The result of a sensitivity job (JobSnapshot.result). */
export interface SensitivityResult {
  model: string;
  sha256: string;
  /** The zoo key a stored result is found by (model hash + settings). */
  key: string;
  method: 'measure' | 'proxy';
  config: { levels: number[]; patterns: string[]; precisions: ('int8' | 'int4')[]; samples: number };
  layers: { layer: string; node: string; op: string; params: number }[];
  entries: SensitivityEntry[];
  /** What could not be measured (layer: why). */
  skipped: string[];
  createdAt: string;
}

export interface WeightHistogram {
  layer: string;
  weight: string;
  /** Bin edges over |w| (length counts.length + 1). */
  edges: number[];
  counts: number[];
  total: number;
  zeros: number;
  absMax: number;
  absMean: number;
}

// ---------- methods and recipes ----------

export interface MethodInfo {
  name: string;
  kind: 'prune' | 'quantize';
  summary: string;
  patterns?: string[];
  needs: { calibration: boolean; hessian: boolean; featureNorms: boolean; activationRanges: boolean };
  /** JSON Schema of the method's args. */
  parameters: Record<string, unknown>;
  defaults: Record<string, unknown>;
}

export interface RecipeIssue {
  field: string;
  message: string;
}

export interface RecipeCheck {
  ok: boolean;
  issues: RecipeIssue[];
  /** The recipe as YAML, ready for `twinforge run` (present when it parsed). */
  yaml?: string;
}

// ---------- compression ----------

/** One channel dependency group: layers that must lose the same channels together. */
export interface ChannelGroupView {
  id: number;
  channels: number;
  /** Channels after pruning (results); equal to channels when the group stayed. */
  after?: number;
  removed?: boolean;
  /** Layers whose output channels the group is (weight ids), and the layers that read them. */
  producers: string[];
  consumers: string[];
  /** Attention heads, when the group moves in whole heads. */
  heads?: number;
  /** Why the group cannot (or did not) shrink, and the node that blocks it. */
  reason?: string;
  node?: string;
}

/** model.groups: the channel dependency groups of an ONNX model. */
export interface ModelGroups {
  path: string;
  groups: ChannelGroupView[];
}

/** A channel stage done by dependency groups, as the results screen shows it. */
export interface StructuredView {
  stage: number;
  importance: string;
  allocation: string;
  refit: boolean;
  groups: ChannelGroupView[];
  refitLayers: { layer: string; plain: number; refit: number; applied: boolean }[];
  parent: { parameters: number; flops: number };
  twin: { parameters: number; flops: number };
  layers: { eligible: number; shrunk: number };
  [extra: string]: unknown;
}

export interface CompressResult {
  /** The exported twin (main model file). */
  twin: string;
  report?: string;
  files: { path: string; kind: string; bytes: number }[];
  metrics: { top1Agreement?: number | null; cosine?: number | null; sqnrDb?: number | null; maxAbsError?: number | null; accuracy?: number | null; parentAccuracy?: number | null; [k: string]: unknown };
  sizes: { parentBytes?: number; twinBytes?: number; packedBytes?: number; parentNonzeros?: number; twinNonzeros?: number; parameters?: number; [k: string]: unknown };
  latencyMs?: { parent?: number | null; twin?: number | null; estimatedParent?: number | null; estimatedTwin?: number | null; [k: string]: unknown };
  layers?: { name: string; op?: string; parameters?: number; nonzeros?: number; sparsity?: number; pattern?: string; precision?: string; note?: string; [k: string]: unknown }[];
  gates?: { name: string; ok: boolean; value?: number | null; limit?: number }[];
  recipe?: unknown;
  recipeYaml?: string;
  /** Where the twin landed in the zoo, when it was registered. */
  zoo?: { zoo: string; modelId: number; parentId: number } | null;
  /** Channel stages by dependency groups: groups before -> after, parameters and FLOPs. */
  structured?: StructuredView[];
  warnings?: string[];
  /** Why a fidelity figure is not meaningful (a ~zero or ~constant parent output). */
  metricNotes?: string[];
  /** The output whose argmax decides top-1 agreement. */
  top1Output?: string;
  [extra: string]: unknown;
}

// ---------- hardware ----------

/** One way to measure this machine (hw.detect mode), with the duration its timing budgets add up to. */
export interface DetectModeInfo {
  mode: 'full' | 'quick';
  passes: number;
  effort: number;
  /** Seconds the probes are timed for (the sum of their budgets). */
  timingSeconds: number;
  /** Seconds to expect on an idle machine (timing plus measured setup); a busy one takes longer. */
  expectedSeconds: number;
}

export interface TargetInfo {
  /** What targets are called by: "profile:runtime". */
  id: string;
  profile: string;
  runtime: string;
  engine: string;
  /** The profile's default runtime. */
  default: boolean;
  title: string;
  runtimeTitle: string;
  kind: 'cpu' | 'gpu';
  /** When the profile was measured (this-machine only). */
  measuredAt?: string;
  /** Patterns and precisions the runtime accelerates, e.g. "2:4 fp16", "int8". */
  accelerates: string[];
}

export interface ExplainOption {
  pattern: string;
  level: number;
  precision: string;
  /** A short name for the option, e.g. "2:4 int8" or "unstructured 70% fp32". */
  label: string;
  estimatedSpeedup: number;
  measuredSpeedup?: number;
  verdict: 'faster' | 'no-gain' | 'slower';
  reason: string;
  estimatedMs: number;
  /** Sources behind the factors used (citations). */
  sources: string[];
}

export interface ExplainLayer {
  name: string;
  op: string;
  weightShape: number[];
  /** GEMM view: rows of activations (M), outputs (N), reduction (K). */
  gemm?: { m: number; n: number; k: number };
  bound: 'compute' | 'memory' | 'overhead';
  denseMs: number;
  /** Share of the whole model's estimated time. */
  share: number;
  options: ExplainOption[];
}

export interface Explanation {
  target: string;
  runtime: string;
  hardware: string;
  modelMs: number;
  callOverheadMs: number;
  memoryLevel: string;
  layers: ExplainLayer[];
  notes: string[];
}

export interface Estimate {
  target: string;
  /** Whole-model latency, dense parent and the twin the stages describe. */
  latencyMs: { parent: number; twin: number };
  sizeBytes: { parent: number; twin: number; packed?: number };
  layers?: { name: string; parentMs: number; twinMs: number; bound?: string; note?: string }[];
  [extra: string]: unknown;
}

export interface PlanPoint {
  latencyMs: number;
  sizeBytes: number;
  fidelityLoss: number;
  sqnrDb: number;
  sparsity: number;
  /** Layers changed, as "layer: option". */
  changes: string[];
  /** The recipe stages that realise this point (pick it to use it). */
  stages?: Record<string, unknown>[];
}

export interface PlanResult {
  /** The plan written as a recipe file (under the data folder). */
  recipe?: string;
  recipeData?: unknown;
  estimated: { latencyMs: number; sizeBytes: number; fidelityLoss: number };
  plan?: { feasible: boolean; budgetLabel: string; notes: string[]; dense: { latencyMs: number; sizeBytes: number } };
  pareto: PlanPoint[];
  /** The sensitivity table the plan used. */
  sensitivity?: { key: string; method: string; entries: number };
  /** plan --verify: the twin compressed, exported and timed as the target runs it. */
  verification?: unknown;
}

// ---------- zoo ----------

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

/** What a sample file or folder holds for a model (data.inspect). */
export interface DataInspection {
  samples: number;
  /** Per-input form: false while an input that needs data has no file or a file cannot be used (its `file.problem` says why); samples is then 0. */
  complete?: boolean;
  /** Per model input: its shape in the model, and the dims of one sample the data gives it (null: filled by the engine, e.g. state or a control value). */
  inputs: {
    name: string;
    modelShape: (number | string | null)[];
    sampleDims: number[] | null;
    /** Element type the model takes (float32, int64, ...). */
    dtype?: string;
    /** Role the engine gives the input (features, token-ids, mask, state, control). */
    role?: string;
    /** How the engine fills the input when no file is given (masks, state, control values); absent: a file is needed. */
    fill?: string;
    /** Per-input form: the file chosen for this input, what it holds, or what is wrong with it. */
    file?: { path: string; dtype?: string; shape?: number[]; samples?: number; problem?: string; hint?: string };
  }[];
  /** Number of labels found (labels.npy, an npz key, or the labels file), null when none. */
  labels: number | null;
  warnings: string[];
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
  layers: ZooLayerStat[];
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

export interface ZooAnalysis {
  zoo: string;
  models: number;
  twins: number;
  dataset: { hash: string; name: string | null } | null;
  fidelity: 'agreement' | 'cosine' | null;
  cells: (CellKey & {
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
    correlation: { n: number; pearson: number | null; spearman: number | null; points: { parentId: number; twinId: number; parent: number; twin: number }[] };
  })[];
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

// ---------- argument schemas ----------

const MAX_PATH = 4096;
const Id = z.string().min(1).max(128);
const FilePath = z.string().min(1, 'a path is required').max(MAX_PATH);
/** NAME -> dims, fixing dynamic input dimensions (e.g. {input: [1,3,48,192]}). */
const InputShapes = z.record(z.string().max(256), z.array(z.number().int().positive().max(1 << 24)).max(8)).refine((r) => Object.keys(r).length <= 64, 'at most 64 inputs');

const NoArgs = z.object({}).strict();

// A call declares its argument schema; its result type rides along as a phantom for TypeScript:
// call<Result>()(argsSchema, doc).
function call<R>() {
  return <A extends z.ZodType>(args: A, doc: string): { args: A; doc: string; _result?: R } => ({ args, doc });
}

const JobId = z.object({ id: Id }).strict();
const Name = z.string().min(1).max(200);
/** A model in the zoo (id, name or sha256 prefix). */
const ModelRef = z.string().min(1).max(200);
const Glob = z.string().min(1).max(512);
/** A recipe as data: its content is checked by the engine's strict recipe schema. */
const RecipeData = z.record(z.string().max(64), z.unknown()).refine((r) => Object.keys(r).length <= 32, 'at most 32 top-level recipe keys');
const Budget = z
  .object({ latencyMs: z.number().positive().max(1e7).optional(), sizeMb: z.number().positive().max(1e6).optional(), sparsity: z.number().min(0).lt(1).optional(), speedup: z.number().positive().max(1000).optional() })
  .strict()
  .refine((b) => Object.keys(b).length === 1, 'give exactly one budget: latencyMs, sizeMb, sparsity or speedup');

export const calls = {
  'app.info': call<AppInfo>()(NoArgs, 'Version, platform, CPU/GPU features, native kernels and the data folder.'),

  'jobs.list': call<JobSnapshot[]>()(NoArgs, 'Every job of this session, newest first.'),
  'jobs.get': call<JobSnapshot>()(JobId, 'One job by id.'),
  'jobs.cancel': call<JobSnapshot>()(JobId, 'Cancels a queued or running job.'),
  'jobs.log': call<{ lines: string[]; next: number }>()(
    z.object({ id: Id, since: z.number().int().min(0).optional() }).strict(),
    'A job log from line `since`.',
  ),
  'jobs.selftest': call<JobSnapshot>()(
    z.object({ steps: z.number().int().min(1).max(10_000).optional(), stepMs: z.number().int().min(0).max(10_000).optional() }).strict(),
    'Starts a diagnostic job that checks workers, progress and cancel.',
  ),

  'model.inspect': call<ModelSummary>()(
    z.object({ path: FilePath, inputShapes: InputShapes.optional() }).strict(),
    'Reads a model file: format, producer, inputs/outputs, totals and the per-layer table.',
  ),
  'data.inspect': call<DataInspection>()(
    z.object({ path: z.union([FilePath, z.record(z.string().min(1).max(256), FilePath)]), model: FilePath, inputShapes: InputShapes.optional(), labels: FilePath.optional() }).strict(),
    'What a sample file, folder or set of per-input files ({input: .npy}) holds for a model: samples, the shape of one sample per input, labels.',
  ),
  'model.groups': call<ModelGroups>()(
    z.object({ path: FilePath }).strict(),
    'Channel dependency groups of an ONNX model: which layers must lose channels together, and what blocks a group.',
  ),
  'model.weightHistogram': call<WeightHistogram>()(
    z.object({ path: FilePath, layer: z.string().min(1).max(1024), bins: z.number().int().min(4).max(256).optional() }).strict(),
    'Histogram of weight magnitudes |w| of one layer of a model file.',
  ),

  'files.list': call<FileListing>()(
    z.object({ path: FilePath.optional(), filter: z.enum(['model', 'data', 'recipe', 'any']).optional() }).strict(),
    'Lists a folder inside the allowed roots (data folder, home, samples) for the browser-mode file picker.',
  ),

  'methods.list': call<MethodInfo[]>()(
    z.object({ kind: z.enum(['prune', 'quantize']).optional() }).strict(),
    'Every compression method with its parameters (JSON Schema), defaults and needs.',
  ),
  'recipe.validate': call<RecipeCheck>()(
    z.object({ recipe: RecipeData }).strict(),
    'Checks a recipe (schema, methods, patterns) and returns its YAML form.',
  ),
  'recipe.save': call<{ path: string; bytes: number }>()(
    z.object({ recipe: RecipeData, path: FilePath, overwrite: z.boolean().optional() }).strict(),
    'Writes a recipe as YAML for `twinforge run` (checked first).',
  ),
  'compress.start': call<JobSnapshot>()(
    z.object({ recipe: RecipeData, zoo: Name.optional(), title: z.string().max(200).optional() }).strict(),
    'Starts a compression job from a recipe; the twin is registered in `zoo` when given.',
  ),
  'compress.result': call<CompressResult>()(JobId, 'The outcome of a finished compression job: files, metrics, sizes, latency, per-layer table.'),

  'compress.export': call<{ dir: string; files: { path: string; kind: string; bytes: number }[] }>()(
    z.object({ id: Id, dir: FilePath, kinds: z.array(z.string().min(1).max(32)).min(1).max(16).optional(), overwrite: z.boolean().optional() }).strict(),
    "Copies a finished run's files (twin, packed weights, report) to a folder, atomically.",
  ),
  'compress.register': call<{ zoo: string; modelId: number; parentId: number }>()(
    z.object({ id: Id, zoo: Name }).strict(),
    "Registers a finished run's twin (with its parent, recipe and metrics) in a zoo.",
  ),

  'hw.targets': call<TargetInfo[]>()(NoArgs, 'The hardware targets (profiles shipped with Twinforge and measured ones).'),
  'hw.detect': call<JobSnapshot>()(
    z.object({ mode: z.enum(['full', 'quick']).optional(), effort: z.number().gt(0).max(10).optional(), native: z.boolean().optional() }).strict(),
    'Measures this machine (bandwidth, dense/sparse/int8 kernels) as a job; stores the profile.',
  ),
  'hw.detectModes': call<DetectModeInfo[]>()(NoArgs, 'The ways to measure this machine (full, quick): passes, probe budget and the duration to expect, from the constants the measurement runs on.'),
  'hw.explain': call<Explanation>()(
    z.object({ model: FilePath, target: Name, inputShapes: InputShapes.optional() }).strict(),
    'Per layer and pattern/precision option: estimated speedup on the target, verdict and reason.',
  ),
  'hw.estimate': call<Estimate>()(
    z.object({ model: FilePath, target: Name, stages: z.array(z.record(z.string().max(64), z.unknown())).max(8), inputShapes: InputShapes.optional() }).strict(),
    'Estimated latency and size of the twin that recipe stages would make, on a target (roofline model).',
  ),
  'plan.make': call<PlanResult>()(
    z.object({ model: FilePath, target: Name, budget: Budget, inputShapes: InputShapes.optional() }).strict(),
    'Plans per-layer pattern, level and precision to meet a budget; returns the Pareto front.',
  ),
  'sensitivity.start': call<JobSnapshot>()(
    z.object({ model: FilePath, levels: z.array(z.number().min(0).lt(1)).min(1).max(16).optional(), layers: z.array(Glob).max(64).optional(), data: z.string().min(1).max(MAX_PATH).optional(), inputShapes: InputShapes.optional() }).strict(),
    'Per-layer fidelity against sparsity level, as a job.',
  ),

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

export type CallName = keyof typeof calls;
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]['args']>;
export type CallResult<N extends CallName> = NonNullable<(typeof calls)[N]['_result']>;
export const callNames = Object.keys(calls) as CallName[];

// ---------- events (engine -> UI) ----------

export interface EventPayloads {
  /** A job changed: state or progress (snapshots; the latest wins). */
  'jobs.progress': JobSnapshot;
}
export type EventName = keyof EventPayloads;
export const eventNames: EventName[] = ['jobs.progress'];

/** Largest serialised argument object a host accepts (bytes of JSON). */
export const MAX_ARGS_BYTES = 1 << 20;

/** What window.twinforge exposes in Electron (built by preload/index.ts). */
export interface TwinforgeBridge {
  invoke(name: string, args: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: ErrorEnvelope }>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Electron only: the native open dialog for a model file or a data folder (null if dismissed). */
  pickPath?(kind: 'file' | 'folder'): Promise<string | null>;
}
