// How long measuring this machine takes, as data: the timing budget of every probe group the
// ONNX Runtime calibration times, the probe sizes, and the two ways to run it (full, quick).
// calibrate-ort.ts and detect.ts read these constants, and the GUI states the expected duration
// from the same ones (hw.detectModes), so the button cannot promise what the run does not do.

export type DetectMode = 'full' | 'quick';

/** Timing budget of each probe group in ms at effort 1 (scaled by effort, never under MIN_BUDGET_MS). */
export const ORT_BUDGET_MS = {
  /** Fixed, not scaled: thread-pool creation and lazy init must be paid before anything counts. */
  warmup: 1200,
  /** Call and node costs: timed twice, the first pass discarded (first sessions are slower). */
  fixedCosts: 1500,
  outputs: 1500,
  outputCopies: 1500,
  opWarm: 600,
  ops: 2500,
  controlFlow: 1200,
  /** Per (repetition x width) of the threaded-matmul probes. */
  nodeCosts: 500,
  /** Per GEMV of the bandwidth ladder. */
  gemv: 1200,
  gemm: 2500,
  /** Chains of 64- and 128-wide MatMuls at M = 64 (the fixed cost and rate of transformer-sized GEMMs). */
  smallGemm: 1500,
  /** int8 / int4 against fp32 on the narrowest small-GEMM probe. */
  smallFormats: 2000,
  conv: 1500,
  elementwise: 1200,
  overlap: 1500,
  int8Conv: 2500,
  formatCosts: 1500,
  memoryFormats: 4000,
  computeFormats: 4000,
} as const;

export const MIN_BUDGET_MS = 150;

/** The compute-bound GEMM probe, M x K x K (full / quick), whose rate the roofline uses. */
export const GEMM_PROBE: Record<DetectMode, { m: number; k: number }> = { full: { m: 128, k: 2048 }, quick: { m: 256, k: 256 } };
/** The transformer-sized GEMM probes: chains at M = 64 of these widths (fixed cost + rate fitted over both). */
export const SMALL_GEMM_PROBE = { m: 64, widths: [64, 128] as const };
/**
 * FLOPs of one node of the narrowest small-GEMM probe (the size of a small transformer's layers,
 * where the formats are measured too) and of the full GEMM probe: the latency model's two anchors.
 */
export const SMALL_GEMM_FLOPS = 2 * SMALL_GEMM_PROBE.m * SMALL_GEMM_PROBE.widths[0] ** 2;
export const LARGE_GEMM_FLOPS = 2 * GEMM_PROBE.full.m * GEMM_PROBE.full.k ** 2;
/** Fresh sessions of the threaded-matmul probes, each timed at two widths (256, 512). */
export const NODE_COST_REPS = 3;

/** GEMV weight shapes [k, n] of the bandwidth ladder; quick stops at 4 MiB (DRAM is not reached). */
export const GEMV_SHAPES: Record<DetectMode, [number, number][]> = {
  full: [[1024, 1024], [1024, 2048], [2048, 4096], [4096, 4096], [4096, 8192]],
  quick: [[1024, 1024]],
};

/** Budgets of checking the fresh profile on one real model (detect.ts checkModel), ms at effort 1. */
export const CHECK_BUDGET_MS = { model: 2000, emptyCall: 500, references: 2000 } as const;

export interface DetectPlan {
  mode: DetectMode;
  /** Scales every timing budget. */
  effort: number;
  /** Calibration passes taken apart in time and merged. */
  passes: number;
  /** Small probes only (no DRAM-sized weights). */
  quick: boolean;
  /** Real models the fresh profile is checked on (at most; the shipped samples by default). */
  maxChecks: number;
  /**
   * Seconds a run spends besides the timing budgets (building probe models, creating sessions,
   * native kernels, per-node profiling; fast probes stop at their round cap before their budget,
   * which gives some back). Measured on a 2-core AVX-512 machine shared with other work: full
   * 88 s wall for 87 s of budget (load 3.4), quick 15 s for 11 s (load 9).
   */
  setupSeconds: number;
}

export const DETECT_PLANS: Record<DetectMode, DetectPlan> = {
  full: { mode: 'full', effort: 1, passes: 2, quick: false, maxChecks: Infinity, setupSeconds: 10 },
  quick: { mode: 'quick', effort: 0.25, passes: 1, quick: true, maxChecks: 1, setupSeconds: 5 },
};

/** The budget one probe group is timed for (effort-scaled, with a floor so few rounds never decide). */
export function scaledBudget(msAtEffort1: number, effort: number): number {
  return Math.max(MIN_BUDGET_MS, msAtEffort1 * effort);
}

/** Milliseconds one ORT calibration pass spends timing probes (the sum of its budgets). */
export function ortPassMs(effort: number, quick: boolean): number {
  const b = ORT_BUDGET_MS;
  const s = (x: number) => scaledBudget(x, effort);
  const shapes = GEMV_SHAPES[quick ? 'quick' : 'full'].length;
  return (
    b.warmup +
    2 * s(b.fixedCosts) +
    s(b.outputs) +
    s(b.outputCopies) +
    s(b.opWarm) +
    s(b.ops) +
    s(b.controlFlow) +
    NODE_COST_REPS * 2 * s(b.nodeCosts) +
    shapes * s(b.gemv) +
    s(b.gemm) +
    s(b.smallGemm) +
    s(b.conv) +
    s(b.elementwise) +
    s(b.overlap) +
    s(b.int8Conv) +
    s(b.formatCosts) +
    s(b.memoryFormats) +
    s(b.computeFormats) +
    s(b.smallFormats)
  );
}

/** Milliseconds checking one model spends timing (detect.ts checkModel). */
export function checkMs(effort: number): number {
  return (CHECK_BUDGET_MS.model + CHECK_BUDGET_MS.emptyCall + CHECK_BUDGET_MS.references) * effort;
}

/** The timing budget of a whole run and the duration to expect on an idle machine, in seconds. */
export function detectBudget(plan: DetectPlan, models: number): { timingSeconds: number; expectedSeconds: number } {
  const checks = Math.min(models, plan.maxChecks);
  const timing = (plan.passes * ortPassMs(plan.effort, plan.quick) + checks * checkMs(plan.effort)) / 1000;
  return { timingSeconds: Math.round(timing), expectedSeconds: Math.round(timing + plan.setupSeconds) };
}
