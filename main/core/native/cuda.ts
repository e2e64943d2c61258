// The CUDA side of the addon: what device there is (never throws), and the GPU variants of the
// compression kernels with the CPU kernels' exact semantics (same thresholds, masks, codes).
// Without a GPU or driver every kernel throws TwinforgeError('NO_DEVICE'), never crashes.
import { loadAddon } from './addon';
import { callNative } from './jobs';
import { axis01, count, f32, length, oneOf, options, shape } from './validate';
import { TwinforgeError, badInput } from '../errors';

export interface CudaDevice {
  index: number;
  name: string;
  computeCapability: string;
  memoryBytes: number;
  multiprocessors: number;
  l2Bytes: number;
}

export interface CudaInfo {
  /** Compiled with nvcc (else the stub: every kernel says "built without CUDA"). */
  built: boolean;
  devices: number;
  deviceList: CudaDevice[];
  runtimeVersion: number;
  driverVersion: number;
  /** Why there is no usable device. */
  error?: string;
}

interface CudaAddon {
  cudaInfo(): CudaInfo;
  cudaGlobalThreshold(w: Float32Array, sparsity: number): { threshold: number; pruneCount: number; tiesToPrune: number; total: number };
  cudaApplyMask(w: Float32Array, mask: Uint8Array): void;
  cudaNmMask(s: Float32Array, rows: number, cols: number, n: number, m: number, axis: number, magnitude: boolean, mask: Uint8Array): void;
  cudaQuantizeInt8(w: Float32Array, rows: number, cols: number, axis: number, q: Int8Array, scales: Float32Array): void;
  cudaQuantizeInt4(w: Float32Array, rows: number, cols: number, group: number, symmetric: boolean, packed: Uint8Array, scales: Float32Array, zps: Uint8Array | null): void;
}
const addon = () => loadAddon() as unknown as CudaAddon;

/** Device query; never throws (an addon without the cuda binding reports built: false). */
export function cudaInfo(): CudaInfo {
  const a = addon();
  if (typeof a.cudaInfo !== 'function') return { built: false, devices: 0, deviceList: [], runtimeVersion: 0, driverVersion: 0, error: 'the addon has no CUDA binding' };
  return a.cudaInfo();
}

/** Throws TwinforgeError('NO_DEVICE') unless a CUDA device can be used. */
export function requireCuda(): CudaInfo {
  const info = cudaInfo();
  if (info.devices === 0) {
    throw new TwinforgeError('NO_DEVICE', `No CUDA device: ${info.error ?? 'none found'}`, 'Use the CPU kernels, or run on a machine with an NVIDIA GPU and driver.');
  }
  return info;
}

/** Global magnitude threshold on the GPU (same rule as the CPU's: prune every |w| < threshold plus the first tiesToPrune equal ones). */
export function cudaGlobalThreshold(weights: Float32Array, sparsity: number): { threshold: number; pruneCount: number; tiesToPrune: number; total: number } {
  const w = f32(weights, 'weights');
  const sp = fraction01(sparsity);
  requireCuda();
  return callNative(() => addon().cudaGlobalThreshold(w, sp));
}

function fraction01(x: unknown): number {
  if (typeof x !== 'number' || Number.isNaN(x) || x < 0 || x >= 1) throw badInput(`sparsity must be a number in [0, 1), got ${String(x)}`, undefined, { argument: 'sparsity' });
  return x;
}

/** weights[i] = 0 where mask[i] == 0, on the GPU (same result as applyMask). */
export function cudaApplyMask(weights: Float32Array, mask: Uint8Array): void {
  const w = f32(weights, 'weights');
  if (!(mask instanceof Uint8Array)) throw badInput('mask must be a Uint8Array', undefined, { argument: 'mask' });
  length(mask, w.length, 'mask');
  requireCuda();
  callNative(() => addon().cudaApplyMask(w, mask));
}

/** N:M keep-mask on the GPU (same rule as nmMask). */
export function cudaNmMask(scores: Float32Array, opts: { rows: number; cols: number; n: number; m: number; axis?: 0 | 1; magnitude?: boolean }): Uint8Array {
  const s = f32(scores, 'scores');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(s, o.rows, o.cols, 'scores');
  const m = count(o.m, 'm', { min: 2, max: 16 });
  const n = count(o.n, 'n', { min: 1 });
  if (n >= m) throw badInput(`n must be smaller than m, got ${n}:${m}`, undefined, { argument: 'n' });
  const axis = o.axis === undefined ? 1 : axis01(o.axis);
  requireCuda();
  const mask = new Uint8Array(s.length);
  callNative(() => addon().cudaNmMask(s, rows, cols, n, m, axis, o.magnitude !== false, mask));
  return mask;
}

/** int8 per-channel symmetric quantization on the GPU (bit-identical to quantizeInt8PerChannel). */
export function cudaQuantizeInt8(weights: Float32Array, opts: { rows: number; cols: number; axis: 0 | 1 }): { q: Int8Array; scales: Float32Array } {
  const w = f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(w, o.rows, o.cols, 'weights');
  const axis = axis01(o.axis);
  requireCuda();
  const q = new Int8Array(w.length);
  const scales = new Float32Array(axis === 0 ? rows : cols);
  callNative(() => addon().cudaQuantizeInt8(w, rows, cols, axis, q, scales));
  return { q, scales };
}

/** int4 group quantization on the GPU (bit-identical to quantizeInt4Groups). */
export function cudaQuantizeInt4(weights: Float32Array, opts: { rows: number; cols: number; groupSize: 32 | 64 | 128; symmetric?: boolean }) {
  const w = f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(w, o.rows, o.cols, 'weights');
  const groupSize = oneOf(o.groupSize, [32, 64, 128] as const, 'groupSize');
  if (cols % groupSize !== 0) throw badInput(`cols (${cols}) must be a multiple of groupSize (${groupSize})`, undefined, { argument: 'cols' });
  const symmetric = o.symmetric !== false;
  requireCuda();
  const packed = new Uint8Array(w.length / 2);
  const scales = new Float32Array(w.length / groupSize);
  const zeroPoints = symmetric ? undefined : new Uint8Array(w.length / groupSize);
  length(scales, w.length / groupSize, 'scales');
  callNative(() => addon().cudaQuantizeInt4(w, rows, cols, groupSize, symmetric, packed, scales, zeroPoints ?? null));
  return { packed, scales, zeroPoints, groupSize, symmetric };
}
