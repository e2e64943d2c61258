// What a compression method is: a small class with a strict typed config (zod), declared needs
// (calibration data, Hessians, feature norms, activation ranges) and a lifecycle
//   initialize(all layers)  -> per-layer levels, global thresholds
//   apply(one layer)        -> a mask / quantized codes, computed from the unchanged weights
//   finalize                -> the pipeline commits every result to the model at the end
// Masks first, mutate last: no method writes the model; the pipeline squashes results in.
import type * as z from 'zod';
import type { LayerTarget } from './layers';
import type { Pattern, PatternKind } from './sparsity/pattern';

export type MethodKind = 'prune' | 'quantize';

export interface MethodNeeds {
  /** Model inputs to run through ORT. */
  calibration: boolean;
  /** XᵀX of each layer's input (SparseGPT, GPTQ). */
  hessian: boolean;
  /** ‖x_j‖₂ per input feature of each layer (Wanda). */
  featureNorms: boolean;
  /** Per-tensor ranges of each layer's input activation (static int8 activations). */
  activationRanges: boolean;
}

export const NO_NEEDS: MethodNeeds = { calibration: false, hessian: false, featureNorms: false, activationRanges: false };

/** Statistics calibration gathered for one layer (canonical column order). */
export interface LayerStats {
  /** cols x cols, row-major, sum over samples of x xᵀ (not normalised). */
  hessian?: Float32Array;
  /** cols: sqrt(sum over samples of x_j²). */
  featureNorms?: Float32Array;
  /** Number of rows (tokens / pixels) accumulated. */
  samples: number;
}

/** Per-tensor activation statistics (int8 activation scales). */
export interface ActivationRange {
  min: number;
  max: number;
  /** Counts of x in equal bins over [min, max] (percentile / MSE calibration). */
  hist?: Float64Array;
}

export interface MethodContext {
  signal: AbortSignal;
  log(line: string): void;
  seed: number;
}

// ---------------------------------------------------------------- pruning

export interface PruneLayerPlan {
  layer: LayerTarget;
  pattern: Pattern;
  /** Requested sparsity (N:M: implied by the pattern). */
  sparsity: number;
}

export interface PruneInit extends MethodContext {
  plans: PruneLayerPlan[];
  /** Canonical weights of a layer (fresh copy each call). */
  weights(layer: LayerTarget): Float32Array;
}

export interface PruneJob extends MethodContext {
  plan: PruneLayerPlan;
  /** Canonical [rows, cols] weights; do not modify (other methods may share it). */
  weights: Float32Array;
  stats?: LayerStats;
}

export interface PruneResult {
  /** Canonical [rows, cols], 1 = keep. */
  mask: Uint8Array;
  /** New canonical weights when the method also updates the kept ones (SparseGPT); else weights · mask. */
  weights?: Float32Array;
  /** Anything the report should show for this layer (e.g. reconstruction error). */
  note?: string;
}

export abstract class PruningMethod<C = unknown> {
  constructor(readonly config: C) {}
  /** Called once with every planned layer before any apply; may change plans' sparsity (ERK, global). */
  initialize(_ctx: PruneInit): void | Promise<void> {}
  abstract apply(job: PruneJob): PruneResult | Promise<PruneResult>;
  /** Called after every layer is applied; returns lines for the report. */
  finalize(): string[] {
    return [];
  }
}

// ---------------------------------------------------------------- quantization

export interface QuantJob extends MethodContext {
  layer: LayerTarget;
  /** Canonical weights (zeros from earlier pruning stages included). */
  weights: Float32Array;
  stats?: LayerStats;
  /** Range of the layer's input activation, when the method asked for activationRanges. */
  inputRange?: ActivationRange;
  /**
   * Range of the layer's output, when no quantized tensor follows it: a Q/DQ pair there lets
   * runtimes fuse the layer into an integer kernel (ORT's QLinearMatMul / QGemm).
   */
  outputRange?: ActivationRange;
  /** Set when `weights` are in the weight's storage order (see QuantizationMethod.storageOrder). */
  storage?: { outAxis: number };
}

/** int8 per-channel symmetric weights (scales per row), optional per-tensor activation scale. */
export interface Int8Result {
  kind: 'int8';
  /** Canonical [rows, cols] codes. */
  q: Int8Array;
  scales: Float32Array;
  activation?: { scale: number; zeroPoint: number; signed: boolean };
  /** Q/DQ for the layer's output (see QuantJob.outputRange). */
  output?: { scale: number; zeroPoint: number; signed: boolean };
  stats: QuantStats;
  /** q is in the weight's storage order, not canonical. */
  storageOrder?: boolean;
}

/** What the report shows of a quantized layer: nonzero dequantized weights and weight SQNR. */
export interface QuantStats {
  nonzeros: number;
  weightSqnrDb: number;
}

/** int4 group-wise weights: codes per row in groups of `group` columns. */
export interface Int4Result {
  kind: 'int4';
  group: number;
  symmetric: boolean;
  /**
   * Canonical [rows, cols] unsigned 4-bit codes, two per byte, low nibble first: the
   * MatMulNBits B layout [rows, cols/group, group/2]. value = (q − zp) · scale.
   */
  packed: Uint8Array;
  /** [rows, cols / group] */
  scales: Float32Array;
  /** [rows, cols / group], one byte each, present when asymmetric (else zp = 8). */
  zeroPoints?: Uint8Array;
  format: 'blocked' | 'matmulnbits';
  stats: QuantStats;
}

export type QuantResult = Int8Result | Int4Result;

export abstract class QuantizationMethod<C = unknown> {
  constructor(readonly config: C) {}
  initialize(_ctx: MethodContext & { layers: LayerTarget[] }): void | Promise<void> {}
  /**
   * Whether the method takes this layer's weights in storage order (no transposes); then
   * QuantJob.storage is set and results come back in storage order.
   */
  storageOrder(_layer: LayerTarget): boolean {
    return false;
  }
  /** Whether this method can take the layer (else the pipeline leaves it in float with the reason). */
  supports(_layer: LayerTarget): string | undefined {
    return undefined;
  }
  abstract apply(job: QuantJob): QuantResult | Promise<QuantResult>;
  finalize(): string[] {
    return [];
  }
}

// ---------------------------------------------------------------- registry entries

export interface MethodDefinition<C = any> {
  name: string;
  kind: MethodKind;
  summary: string;
  /** Patterns a pruning method supports. */
  patterns?: PatternKind[];
  /** Strict config schema; every field has a default, so `{}` is a valid config. */
  config: z.ZodType<C>;
  needs(config: C, pattern?: Pattern): MethodNeeds;
  /**
   * Whether the method's result for this pattern does not depend on the weight's layout (an
   * elementwise rule such as a magnitude threshold): the pipeline then hands it the weights in
   * storage order and skips the transposes to and from the canonical matrix.
   */
  layoutFree?(config: C, pattern: Pattern): boolean;
  create(config: C): PruningMethod<C> | QuantizationMethod<C>;
}

/** Helper so each method file declares itself with full typing. */
export function defineMethod<C>(def: MethodDefinition<C>): MethodDefinition<C> {
  return def;
}
