// Magnitude pruning kernels: global threshold over many tensors, masks, in-place pruning,
// nonzero counts. NaN weights are a BAD_INPUT error (found by the kernel's own pass).
import { loadAddon } from './addon';
import { callNative, PinnedBuffers, runNativeJob, type NativeAsyncOptions, type NativeJobHandle } from './jobs';
import { count, f32, fraction, options, u8, length } from './validate';
import { badInput } from '../errors';

export interface GlobalThreshold {
  /** The smallest kept |w|. */
  threshold: number;
  /** floor(sparsity * total): how many weights the rule prunes. */
  pruneCount: number;
  /** How many |w| == threshold to prune too: the first ones in tensor order, then index order. */
  tiesToPrune: number;
  total: number;
  /** The sampled band missed and the exact radix fallback ran (slower, same answer). */
  fallback: boolean;
}

export interface KthResult {
  value: number;
  below: number;
  equal: number;
}

interface MagnitudeAddon {
  kthLargestAbs(t: Float32Array[], k: number): KthResult;
  globalMagnitudeThreshold(t: Float32Array[], sparsity: number): GlobalThreshold;
  globalMagnitudeThresholdAsync(t: Float32Array[], sparsity: number, onProgress?: unknown): NativeJobHandle<GlobalThreshold>;
  buildMaskByThreshold(w: Float32Array, threshold: number, ties: number, mask: Uint8Array): number;
  pruneByThreshold(w: Float32Array, threshold: number, ties: number): number;
  applyMask(w: Float32Array, mask: Uint8Array): void;
  countNonzero(w: Float32Array): number;
  countNonzeroMask(m: Uint8Array): number;
}

const addon = () => loadAddon() as unknown as MagnitudeAddon;

function tensorList(tensors: unknown): Float32Array[] {
  const list = tensors instanceof Float32Array ? [tensors] : tensors;
  if (!Array.isArray(list)) throw badInput('tensors must be a Float32Array or an array of them', undefined, { argument: 'tensors' });
  list.forEach((t, i) => f32(t, `tensors[${i}]`));
  return list as Float32Array[];
}

function threshold(x: unknown): number {
  if (typeof x !== 'number' || Number.isNaN(x) || x < 0) {
    throw badInput(`threshold must be a number >= 0 (Infinity allowed), got ${String(x)}`, undefined, { argument: 'threshold' });
  }
  return x;
}

/** Exact k-th largest |w| (1-based k) over the tensors taken together, with how many are below / equal. */
export function kthLargestAbs(tensors: Float32Array | Float32Array[], k: number): KthResult {
  const list = tensorList(tensors);
  const total = list.reduce((s, t) => s + t.length, 0);
  count(k, 'k', { min: 1, max: Math.max(1, total) });
  if (total === 0) throw badInput('tensors hold no weights', undefined, { argument: 'tensors' });
  return callNative(() => addon().kthLargestAbs(list, k));
}

/** Global magnitude threshold for 0 <= sparsity < 1: pruning |w| < threshold plus `tiesToPrune` ties prunes exactly floor(sparsity*total). */
export function globalMagnitudeThreshold(tensors: Float32Array[], sparsity: number): GlobalThreshold {
  const list = tensorList(tensors);
  fraction(sparsity, 'sparsity');
  return callNative(() => addon().globalMagnitudeThreshold(list, sparsity));
}

/** globalMagnitudeThreshold off the JS thread, with progress and AbortSignal (for >= 64 MB of weights). */
export function globalMagnitudeThresholdAsync(tensors: Float32Array[], sparsity: number, opts: NativeAsyncOptions = {}): Promise<GlobalThreshold> {
  const list = tensorList(tensors);
  fraction(sparsity, 'sparsity');
  options(opts, 'opts');
  // Private copies: the caller may detach its arrays while the worker thread reads them.
  const pin = new PinnedBuffers();
  const owned = list.map((t) => pin.own(t));
  return runNativeJob((onProgress) => addon().globalMagnitudeThresholdAsync(owned, sparsity, onProgress), opts);
}

/** Keep-mask (1 keep, 0 prune) for |w| >= threshold, pruning also the first `tiesToPrune` |w| == threshold; returns the ties it pruned. */
export function buildMaskByThreshold(
  weights: Float32Array,
  thresholdValue: number,
  opts: { tiesToPrune?: number; out?: Uint8Array } = {},
): { mask: Uint8Array; tiesPruned: number } {
  f32(weights, 'weights');
  threshold(thresholdValue);
  const o = options(opts, 'opts');
  const ties = o.tiesToPrune === undefined ? 0 : count(o.tiesToPrune, 'tiesToPrune');
  const mask = o.out === undefined ? new Uint8Array(weights.length) : u8(o.out, 'out');
  length(mask, weights.length, 'out');
  const tiesPruned = callNative(() => addon().buildMaskByThreshold(weights, thresholdValue, ties, mask));
  return { mask, tiesPruned };
}

/** Zeroes, in place, the weights buildMaskByThreshold would mask out; returns the ties it pruned. */
export function pruneByThreshold(weights: Float32Array, thresholdValue: number, opts: { tiesToPrune?: number } = {}): { tiesPruned: number } {
  f32(weights, 'weights');
  threshold(thresholdValue);
  const o = options(opts, 'opts');
  const ties = o.tiesToPrune === undefined ? 0 : count(o.tiesToPrune, 'tiesToPrune');
  return { tiesPruned: callNative(() => addon().pruneByThreshold(weights, thresholdValue, ties)) };
}

/** Prunes many tensors in place to a global sparsity (threshold + prune with the tie budget); returns the threshold used. */
export function globalMagnitudePrune(tensors: Float32Array[], sparsity: number): GlobalThreshold {
  const g = globalMagnitudeThreshold(tensors, sparsity);
  let ties = g.tiesToPrune;
  for (const t of tensors) ties -= pruneByThreshold(t, g.threshold, { tiesToPrune: ties }).tiesPruned;
  return g;
}

/** Zeroes weights where mask is 0, in place (any nonzero mask byte keeps). */
export function applyMask(weights: Float32Array, mask: Uint8Array): void {
  f32(weights, 'weights');
  u8(mask, 'mask');
  length(mask, weights.length, 'mask');
  callNative(() => addon().applyMask(weights, mask));
}

/** Nonzero entries: weights != 0 (-0 is zero, NaN is not) or nonzero mask bytes. */
export function countNonzero(x: Float32Array | Uint8Array): number {
  if (x instanceof Uint8Array) return callNative(() => addon().countNonzeroMask(x));
  f32(x, 'x');
  return callNative(() => addon().countNonzero(x));
}
