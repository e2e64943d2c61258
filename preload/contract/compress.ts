// Compression runs: starting one, its result, export and registering the twin in the zoo.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';
import { FilePath, Id, JobId, Name, RecipeData, call } from './args';
import type { JobSnapshot } from './jobs';
import type { ChannelGroupView } from './model';

/** The result of an llm.compress job (jobs.get(id).result once done). */
export interface LlmCompressOutcome {
  /** OUT (compressed-tensors checkpoint) and OUT/dense (plain safetensors twin). */
  paths: { compressed: string; dense: string };
  report: string;
  reportMarkdown: string;
  sparsity: number;
  calibrationTokens: number;
  timings: { forwardMs: number; statsMs: number; solveMs: number; ioMs: number; evalMs: number; totalMs: number };
  bytes: { parent: number; compressed: number; dense: number };
  /** Per block: ‖block_c(x) − block(x)‖² / ‖block(x)‖² on its calibration inputs. */
  layers: { layer: number; relError: number }[];
  /** With held-out tokens: perplexity of parent and twin, KL(parent ‖ twin), top-1 agreement. */
  evaluation?: { tokens: number; parentPerplexity: number; twinPerplexity: number; kl: number; top1Agreement: number };
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

export const compressCalls = {
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
  'llm.compress': call<JobSnapshot>()(
    z
      .object({
        model: FilePath,
        out: FilePath,
        calib: FilePath,
        eval: FilePath.optional(),
        method: z.enum(['sparsegpt', 'wanda', 'magnitude']).optional(),
        pattern: z.string().min(1).max(32).optional(),
        sparsity: z.number().min(0).lt(1).optional(),
        quant: z.enum(['int4', 'int8']).optional(),
        groupSize: z.number().int().min(0).max(65536).optional(),
        dsnot: z.boolean().optional(),
        samples: z.number().int().min(1).max(4096).optional(),
        seqLen: z.number().int().min(2).max(131072).optional(),
        sequential: z.boolean().optional(),
        title: z.string().max(200).optional(),
      })
      .strict(),
    'Compresses a Hugging Face model folder layer by layer (SparseGPT / Wanda / magnitude, GPTQ int4/int8, DSnoT) into a compressed-tensors checkpoint at `out` and a dense twin at out/dense, as a job; its result is an LlmCompressOutcome.',
  ),
} as const;
