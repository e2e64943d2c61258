// Calibration statistics and one-shot layer solvers: the Hessian H += alpha·XᵀX, per-feature
// squared norms (Wanda), SparseGPT (unstructured or N:M) and GPTQ (int8/int4, groups,
// symmetric/asymmetric). W is [rows = outputs, cols = inputs] row-major and is updated in place;
// H is [cols, cols] and is only read. device: 'cuda' runs the CUDA variant (NO_DEVICE without a GPU).
import { loadAddon } from './addon';
import { callNative, PinnedBuffers, runPinnedJob, type NativeAsyncOptions, type NativeJobHandle } from './jobs';
import { count, f32, fraction, length, options, shape, typedArray, u8 } from './validate';
import { cudaInfo } from './cuda';
import { TwinforgeError, badInput } from '../errors';

export type SolverDevice = 'cpu' | 'cuda';

/** What a solver reports. */
export interface SolverResult {
  /** Σ (w − ŵ)² / [U]ᵢᵢ² / 2: the OBS estimate of the reconstruction error it added. */
  loss: number;
  /** The damping λ actually used (raised ×10 up to 3 times when H + λI was not positive definite in fp32). */
  damp: number;
  /** Inputs with H_ii = 0 (never active in the calibration data): their weights were zeroed. */
  deadInputs: number;
}

export interface SparseGptResult extends SolverResult {
  /** [rows, cols], 1 = kept. */
  mask: Uint8Array;
}

export interface SparseGptOptions {
  rows: number;
  cols: number;
  /** Unstructured: fraction pruned in every block of columns, in [0, 1] (default 0.5). Ignored with n/m. */
  sparsity?: number;
  /** N:M along the input dimension (keep n of every m consecutive inputs); cols must be a multiple of m. */
  n?: number;
  m?: number;
  /** Columns per lazy batch (default 128; rounded to a multiple of m). */
  blockSize?: number;
  /** Damping as a fraction of mean(diag H) (default 0.01). */
  percdamp?: number;
  device?: SolverDevice;
  /** Reuse this mask buffer. */
  out?: { mask?: Uint8Array };
}

export interface GptqOptions {
  rows: number;
  cols: number;
  bits: 4 | 8;
  /** Columns per scale: 0 (default) = one per row; else e.g. 32/64/128 dividing cols. */
  groupSize?: number;
  /** Default true. */
  symmetric?: boolean;
  /** Weights to keep at exactly 0 (1 = kept): prune first, then quantize without losing the zeros. */
  mask?: Uint8Array;
  blockSize?: number;
  percdamp?: number;
  device?: SolverDevice;
}

export interface GptqResult extends SolverResult {
  bits: 4 | 8;
  groupSize: number;
  symmetric: boolean;
  /**
   * 8 bits: one code per weight, Int8Array (symmetric, −127..127) or Uint8Array (asymmetric, 0..255).
   * 4 bits: nibbles packed low first [rows, cols/2] (MatMulNBits B / ONNX uint4), codes 0..15.
   */
  codes: Int8Array | Uint8Array;
  /** [rows, groups] (groups = cols/groupSize, or 1). */
  scales: Float32Array;
  /** Asymmetric: one zero point per scale; 4-bit symmetric codes use the implied zero point 8, 8-bit symmetric 0. */
  zeroPoints?: Uint8Array;
}

interface SolversAddon {
  hessianAccumulate(h: Float32Array, x: Float32Array, n: number, dim: number, alpha: number, opts: object): void;
  hessianAccumulateAsync(h: Float32Array, x: Float32Array, n: number, dim: number, alpha: number, opts: object, onProgress?: unknown): NativeJobHandle<void>;
  featureNormsAccumulate(norms: Float32Array, x: Float32Array, n: number, dim: number): void;
  sparsegpt(w: Float32Array, rows: number, cols: number, h: Float32Array, mask: Uint8Array, opts: object): SolverResult;
  sparsegptAsync(w: Float32Array, rows: number, cols: number, h: Float32Array, mask: Uint8Array, opts: object, onProgress?: unknown): NativeJobHandle<SolverResult>;
  gptq(w: Float32Array, rows: number, cols: number, h: Float32Array, mask: Uint8Array | null, codes: Int8Array | Uint8Array, scales: Float32Array, zps: Uint8Array | null, opts: object): SolverResult;
  gptqAsync(w: Float32Array, rows: number, cols: number, h: Float32Array, mask: Uint8Array | null, codes: Int8Array | Uint8Array, scales: Float32Array, zps: Uint8Array | null, opts: object, onProgress?: unknown): NativeJobHandle<SolverResult>;
}
const addon = () => loadAddon() as unknown as SolversAddon;

function device(x: unknown): SolverDevice {
  if (x === undefined || x === 'cpu') return 'cpu';
  if (x !== 'cuda') throw badInput(`device must be 'cpu' or 'cuda', got ${JSON.stringify(x)}`, undefined, { argument: 'device' });
  const info = cudaInfo();
  if (info.devices === 0) {
    throw new TwinforgeError('NO_DEVICE', `No CUDA device: ${info.error ?? 'none found'}`, 'Run on the CPU (device: "cpu"), or on a machine with an NVIDIA GPU and driver.');
  }
  return 'cuda';
}

function finiteWeights(w: Float32Array, argument: string): void {
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) throw badInput(`${argument} has a non-finite value (${w[i]}) at index ${i}`, 'Solvers need finite weights and activations.', { argument });
  }
}

function optionalCount(x: unknown, argument: string, min: number, max: number, fallback: number): number {
  return x === undefined ? fallback : count(x, argument, { min, max });
}

function optionalDamp(x: unknown): number {
  if (x === undefined) return 0.01;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw badInput(`percdamp must be a finite number >= 0, got ${String(x)}`, undefined, { argument: 'percdamp' });
  return x;
}

// ---- Hessian and feature norms ------------------------------------------------------------

export interface HessianOptions {
  /** Rows of X (calibration tokens). */
  nSamples: number;
  /** Columns of X = the layer's inputs; h is [dim, dim]. */
  dim: number;
  /** H += alpha·XᵀX (default 1; GPTQ/SparseGPT use 2/nTotal for a running mean). */
  alpha?: number;
  device?: SolverDevice;
}

function hessArgs(h: unknown, x: unknown, opts: unknown) {
  const hh = f32(h, 'h');
  const xx = f32(x, 'x');
  const o = options(opts, 'opts');
  const nSamples = count(o.nSamples, 'nSamples');
  const dim = count(o.dim, 'dim');
  length(hh, dim * dim, 'h');
  shape(xx, nSamples, dim, 'x');
  let alpha = 1;
  if (o.alpha !== undefined) {
    if (typeof o.alpha !== 'number' || !Number.isFinite(o.alpha)) throw badInput('alpha must be a finite number', undefined, { argument: 'alpha' });
    alpha = o.alpha;
  }
  return { hh, xx, nSamples, dim, alpha, device: device(o.device) };
}

/** h (dim x dim, symmetric) += alpha·XᵀX for activations X [nSamples, dim]; the result is exactly symmetric. */
export function hessianAccumulate(h: Float32Array, x: Float32Array, opts: HessianOptions): Float32Array {
  const a = hessArgs(h, x, opts);
  callNative(() => addon().hessianAccumulate(a.hh, a.xx, a.nSamples, a.dim, a.alpha, { device: a.device }));
  return a.hh;
}

/** hessianAccumulate off the JS thread, with progress and AbortSignal. */
export async function hessianAccumulateAsync(h: Float32Array, x: Float32Array, opts: HessianOptions, asyncOpts: NativeAsyncOptions = {}): Promise<Float32Array> {
  const a = hessArgs(h, x, opts);
  const pin = new PinnedBuffers(); // the caller may detach its arrays while the job runs
  const hh = pin.out(a.hh);
  const xx = pin.own(a.xx);
  await runPinnedJob(pin, (p) => addon().hessianAccumulateAsync(hh, xx, a.nSamples, a.dim, a.alpha, { device: a.device }, p), asyncOpts);
  return a.hh;
}

/** norms[j] += Σᵢ X[i][j]² (Wanda's ‖x_j‖², take the square root for the score). */
export function featureNormsAccumulate(norms: Float32Array, x: Float32Array, opts: { nSamples: number; dim: number }): Float32Array {
  const nn = f32(norms, 'norms');
  const xx = f32(x, 'x');
  const o = options(opts, 'opts');
  const nSamples = count(o.nSamples, 'nSamples');
  const dim = count(o.dim, 'dim');
  length(nn, dim, 'norms');
  shape(xx, nSamples, dim, 'x');
  callNative(() => addon().featureNormsAccumulate(nn, xx, nSamples, dim));
  return nn;
}

// ---- SparseGPT ----------------------------------------------------------------------------

function sgptArgs(w: unknown, h: unknown, opts: unknown) {
  const ww = f32(w, 'w');
  const hh = f32(h, 'h');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(ww, o.rows, o.cols, 'w');
  length(hh, cols * cols, 'h');
  const native: Record<string, unknown> = {
    blockSize: optionalCount(o.blockSize, 'blockSize', 1, 4096, 128),
    percdamp: optionalDamp(o.percdamp),
  };
  if (o.n !== undefined || o.m !== undefined) {
    const m = count(o.m, 'm', { min: 2, max: 16 });
    const n = count(o.n, 'n', { min: 1 });
    if (n >= m) throw badInput(`n must be smaller than m (N:M with N < M <= 16), got ${n}:${m}`, 'Use e.g. n=2, m=4 for 2:4.', { argument: 'n' });
    if (cols % m !== 0) throw badInput(`cols (${cols}) must be a multiple of m (${m}) for N:M`, undefined, { argument: 'cols' });
    native.n = n;
    native.m = m;
  } else {
    native.sparsity = o.sparsity === undefined ? 0.5 : fraction(o.sparsity, 'sparsity', 0, 1, true);
  }
  const dev = device(o.device);
  native.device = dev;
  const out = options(o.out, 'out');
  const mask = out.mask === undefined ? new Uint8Array(ww.length) : u8(out.mask, 'out.mask');
  length(mask, ww.length, 'out.mask');
  finiteWeights(ww, 'w');
  return { ww, hh, rows, cols, native, mask };
}

/** SparseGPT on one layer: chooses the mask (unstructured or N:M), zeroes pruned weights and updates the rest in place. */
export function sparsegpt(w: Float32Array, h: Float32Array, opts: SparseGptOptions): SparseGptResult {
  const a = sgptArgs(w, h, opts);
  const r = callNative(() => addon().sparsegpt(a.ww, a.rows, a.cols, a.hh, a.mask, a.native));
  return { ...r, mask: a.mask };
}

/** sparsegpt off the JS thread: progress stages 'cholesky', 'inverse', 'sweep'; the AbortSignal stops it between blocks. */
export async function sparsegptAsync(w: Float32Array, h: Float32Array, opts: SparseGptOptions, asyncOpts: NativeAsyncOptions = {}): Promise<SparseGptResult> {
  const a = sgptArgs(w, h, opts);
  const pin = new PinnedBuffers();
  const ww = pin.out(a.ww);
  const hh = pin.own(a.hh);
  const mask = pin.out(a.mask);
  const r = await runPinnedJob(pin, (p) => addon().sparsegptAsync(ww, a.rows, a.cols, hh, mask, a.native, p), asyncOpts);
  return { ...r, mask: a.mask };
}

// ---- GPTQ ---------------------------------------------------------------------------------

function gptqArgs(w: unknown, h: unknown, opts: unknown) {
  const ww = f32(w, 'w');
  const hh = f32(h, 'h');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(ww, o.rows, o.cols, 'w');
  length(hh, cols * cols, 'h');
  if (o.bits !== 4 && o.bits !== 8) throw badInput(`bits must be 4 or 8, got ${String(o.bits)}`, undefined, { argument: 'bits' });
  const bits = o.bits as 4 | 8;
  const groupSize = o.groupSize === undefined ? 0 : count(o.groupSize, 'groupSize', { min: 0, max: cols || 0 });
  if (groupSize > 0 && cols % groupSize !== 0) throw badInput(`cols (${cols}) must be a multiple of groupSize (${groupSize})`, undefined, { argument: 'groupSize' });
  if (o.symmetric !== undefined && typeof o.symmetric !== 'boolean') throw badInput('symmetric must be a boolean', undefined, { argument: 'symmetric' });
  const symmetric = o.symmetric !== false;
  if (bits === 4 && cols % 2 !== 0) throw badInput(`cols (${cols}) must be even: 4-bit codes pack two per byte`, undefined, { argument: 'cols' });
  let mask: Uint8Array | null = null;
  if (o.mask !== undefined) {
    mask = typedArray(o.mask, 'Uint8Array', 'mask');
    length(mask, ww.length, 'mask');
  }
  const groups = groupSize ? cols / groupSize : 1;
  const codes = bits === 4 ? new Uint8Array(ww.length / 2) : symmetric ? new Int8Array(ww.length) : new Uint8Array(ww.length);
  const scales = new Float32Array(rows * groups);
  const zeroPoints = symmetric ? undefined : new Uint8Array(rows * groups);
  const native = {
    bits,
    groupSize,
    symmetric,
    blockSize: optionalCount(o.blockSize, 'blockSize', 1, 4096, 128),
    percdamp: optionalDamp(o.percdamp),
    device: device(o.device),
  };
  finiteWeights(ww, 'w');
  return { ww, hh, rows, cols, mask, codes, scales, zeroPoints, native };
}

function gptqResult(a: ReturnType<typeof gptqArgs>, r: SolverResult): GptqResult {
  const out: GptqResult = { ...r, bits: a.native.bits, groupSize: a.native.groupSize, symmetric: a.native.symmetric, codes: a.codes, scales: a.scales };
  if (a.zeroPoints) out.zeroPoints = a.zeroPoints;
  return out;
}

/** GPTQ on one layer: codes, scales (and zero points), and the dequantized weights written into w. */
export function gptq(w: Float32Array, h: Float32Array, opts: GptqOptions): GptqResult {
  const a = gptqArgs(w, h, opts);
  const r = callNative(() => addon().gptq(a.ww, a.rows, a.cols, a.hh, a.mask, a.codes, a.scales, a.zeroPoints ?? null, a.native));
  return gptqResult(a, r);
}

/** gptq off the JS thread, with progress and AbortSignal. */
export async function gptqAsync(w: Float32Array, h: Float32Array, opts: GptqOptions, asyncOpts: NativeAsyncOptions = {}): Promise<GptqResult> {
  const a = gptqArgs(w, h, opts);
  const pin = new PinnedBuffers();
  const ww = pin.out(a.ww);
  const hh = pin.own(a.hh);
  const mask = a.mask ? pin.own(a.mask) : null;
  const codes = pin.out(a.codes);
  const sc = pin.out(a.scales);
  const zps = a.zeroPoints ? pin.out(a.zeroPoints) : null;
  const r = await runPinnedJob(pin, (p) => addon().gptqAsync(ww, a.rows, a.cols, hh, mask, codes, sc, zps, a.native, p), asyncOpts);
  return gptqResult(a, r);
}
