// The recipe schema: what a compression run is, as data. Strict at every level (an unknown key is
// an error naming it and the allowed keys). Method-specific `args` are checked against the method's
// own schema by validate.ts, which also checks what zod cannot (method names, patterns, globs).
//
// Parsing never fills in defaults: a parsed recipe is exactly what was written, so it serializes
// back to the same data and is stored verbatim with each twin. resolve.ts applies the defaults.
import * as z from 'zod';
import { strictObject } from '../strict';

export const RECIPE_VERSION = 1 as const;

const Level = z.number().min(0).lt(1).describe('fraction of weights set to zero, 0 <= s < 1');
const Globs = z.array(z.string().min(1)).min(1);
const Args = z.record(z.string(), z.unknown()).describe("method parameters; see 'twinforge methods' or methods.list");

const PruneOverride = strictObject(
  {
    layers: z.union([z.string().min(1), Globs]).describe('glob(s) over layer names'),
    sparsity: Level.optional(),
    pattern: z.string().optional().describe("'unstructured', 'N:M' (e.g. '2:4'), 'block:RxC' or 'channel'"),
    skip: z.boolean().optional().describe('leave these layers untouched'),
  },
  'per-layer settings; later overrides win',
);

const QuantOverride = strictObject(
  {
    layers: z.union([z.string().min(1), Globs]).describe('glob(s) over layer names'),
    skip: z.boolean().optional().describe('keep these layers in float'),
    args: Args.optional(),
  },
  'per-layer settings; later overrides win',
);

export const PruneStageSchema = strictObject(
  {
    type: z.literal('prune'),
    name: z.string().min(1).optional(),
    method: z.string().min(1).describe('magnitude, random, wanda, sparsegpt'),
    pattern: z.string().min(1).optional().describe("'unstructured' (default), 'N:M' such as '2:4' or '4:8', 'block:RxC' such as 'block:4x4', or 'channel'"),
    sparsity: Level.optional().describe('target sparsity per layer (global for magnitude scope=global); implied by N:M'),
    include: Globs.optional().describe("layer-name globs to prune (default: ['*'], all prunable layers)"),
    exclude: Globs.optional().describe('layer-name globs left untouched'),
    overrides: z.array(PruneOverride).optional(),
    removeChannels: z.boolean().optional().describe("pattern 'channel': take pruned channels out of the graph where it allows (default true); false keeps them as zeros"),
    structured: strictObject(
      {
        importance: z.enum(['l1', 'l2', 'wanda', 'random']).optional().describe('channel importance summed over a dependency group (default: l2 for magnitude, wanda for wanda, random for random)'),
        allocation: z.enum(['uniform', 'global']).optional().describe("'uniform' (default): every group loses the same share; 'global': one ranking over all groups"),
        refit: z.boolean().optional().describe('re-fit the layers that read removed channels by least squares on calibration activations (default false)'),
        roundTo: z.number().int().min(1).max(256).optional().describe('uniform allocation: keep channel counts a multiple of this in groups of at least twice as many (default 8, what ONNX Runtime CPU convolutions run fastest; 1 = the exact level)'),
      },
      "pattern 'channel' with channel removal: how dependency groups are pruned",
    ).optional(),
    args: Args.optional(),
  },
  'a pruning stage',
);

export const QuantizeStageSchema = strictObject(
  {
    type: z.literal('quantize'),
    name: z.string().min(1).optional(),
    method: z.string().min(1).describe('int8, int4'),
    include: Globs.optional(),
    exclude: Globs.optional(),
    overrides: z.array(QuantOverride).optional(),
    args: Args.optional(),
  },
  'a quantization stage',
);

export const StageSchema = z.discriminatedUnion('type', [PruneStageSchema, QuantizeStageSchema]);

export const DataSchema = strictObject(
  {
    source: z
      .union([z.string().min(1), z.record(z.string().min(1), z.string().min(1))])
      .describe("a .npy/.npz file or a folder of them (relative to the recipe), 'synthetic', or one .npy per model input ({input name: file})"),
    labels: z.string().min(1).optional().describe('a .npy file of integer class labels (evaluation accuracy)'),
    samples: z.number().int().positive().optional().describe('how many samples to use (default: calibration 32, evaluation 64)'),
    batchSize: z.number().int().positive().optional().describe('samples per ORT run (default 8)'),
    seed: z.number().int().optional().describe('seed for synthetic inputs'),
  },
  'input data',
);

export const LatencySchema = strictObject({
  warmup: z.number().int().min(0).optional(),
  runs: z.number().int().positive().optional(),
});

export const EvaluationSchema = strictObject(
  {
    source: DataSchema.shape.source,
    labels: DataSchema.shape.labels,
    samples: DataSchema.shape.samples,
    batchSize: DataSchema.shape.batchSize,
    seed: DataSchema.shape.seed,
    latency: z.union([z.boolean(), LatencySchema]).optional().describe('measure ORT latency of parent and twin (default true)'),
  },
  'evaluation data and latency',
);

export const GatesSchema = strictObject(
  {
    minTop1Agreement: z.number().min(0).max(1).optional(),
    minCosine: z.number().min(-1).max(1).optional(),
    minSqnrDb: z.number().optional(),
    maxAbsError: z.number().min(0).optional(),
    maxAccuracyDrop: z.number().min(0).max(1).optional(),
    minSparsity: z.number().min(0).max(1).optional(),
  },
  'fidelity gates: a failed gate makes the run exit with code 3',
);

export const ExportFormats = ['model', 'packed'] as const;
export const PackedFormats = ['auto', '2:4', 'bitmap', 'csr', 'bsr'] as const;

export const ExportSchema = strictObject(
  {
    dir: z.string().min(1).describe('output folder (relative to the recipe)'),
    name: z.string().regex(/^[A-Za-z0-9._-]+$/).optional().describe("base name of the twin's files (default 'twin')"),
    formats: z.array(z.enum(ExportFormats)).min(1).optional().describe("'model' (the twin: ONNX or safetensors like the input), 'packed' (Twinforge packed sparse weights)"),
    packed: z.enum(PackedFormats).optional().describe("packed sparse format (default 'auto': by pattern)"),
    overwrite: z.boolean().optional().describe('replace existing files (default true)'),
  },
  'what to write',
);

export const SweepSchema = strictObject(
  {
    levels: z.array(Level).min(2).describe('sparsity levels, one-shot each'),
    stage: z.number().int().min(0).optional().describe('index of the prune stage to sweep (default: the first)'),
    metric: z.enum(['cosine', 'sqnrDb', 'top1Agreement', 'accuracy']).optional().describe('fidelity metric for the knee (default cosine)'),
  },
  'a sparsity sweep with knee ("essential sparsity") detection',
);

export const BudgetSchema = strictObject(
  {
    latencyMs: z.number().positive().optional(),
    sizeMb: z.number().positive().optional(),
    speedup: z.number().positive().optional(),
  },
  'a budget for the planner (recorded; validated against the target)',
);

const GridValue = z.union([z.number(), z.string(), z.boolean()]);

export const RecipeSchema = strictObject(
  {
    $schema: z.string().optional(),
    version: z.literal(RECIPE_VERSION),
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    model: z.string().min(1).describe("model file (ONNX or safetensors, relative to the recipe) or 'zoo:<id>'"),
    inputShapes: z.record(z.string(), z.array(z.number().int().positive()).min(1)).optional().describe('fixes dynamic input dimensions: {input_name: [1, 3, 48, 192]}'),
    dims: z.record(z.string(), z.number().int().positive()).optional().describe('values of symbolic input dims by name: {seq: 64, height: 224}'),
    inputValues: z.record(z.string(), z.number().finite()).optional().describe('values of scalar control inputs (a sample rate, a flag): {sample_rate: 16000}'),
    target: z.string().min(1).optional().describe('hardware profile id'),
    budget: BudgetSchema.optional(),
    seed: z.number().int().optional(),
    calibration: DataSchema.optional(),
    evaluation: EvaluationSchema.optional(),
    stages: z.array(StageSchema).optional(),
    sweep: SweepSchema.optional(),
    gates: GatesSchema.optional(),
    export: ExportSchema.optional(),
    grid: z.record(z.string(), z.array(GridValue).min(1)).optional().describe("one run per combination: {'stages[0].sparsity': [0.3, 0.5], 'stages[0].method': [magnitude, wanda]}"),
  },
  'a Twinforge compression recipe',
);

export type Recipe = z.infer<typeof RecipeSchema>;
export type Stage = z.infer<typeof StageSchema>;
export type Gates = z.infer<typeof GatesSchema>;
