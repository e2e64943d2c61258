// Hardware targets and planning: targets, detection, explanations, estimates, sensitivity and plans.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';
import { Budget, FilePath, Glob, InputShapes, MAX_PATH, Name, NoArgs, call } from './args';
import type { JobSnapshot } from './jobs';

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

export const hardwareCalls = {
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
} as const;
