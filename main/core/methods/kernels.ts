// The methods' one door to the native addon: canonical [rows, cols] matrices in, masks, scores,
// codes and solver results out. Everything heavy runs in the addon; this file only adapts
// shapes and conventions (e.g. the exact prune counts the methods promise).
import * as native from '../native';
import type { Pattern } from './sparsity/pattern';

/** How many of n weights a level prunes: floor(s · n), robust to s · n landing just below an integer. */
export function pruneCount(sparsity: number, n: number): number {
  return Math.min(n, Math.floor(sparsity * n + 1e-9));
}

/** The level to hand a native kernel that floors s · n so that it prunes exactly k of n. */
function levelFor(k: number, n: number): number {
  return k >= n ? (n - 0.5) / n : (k + 0.5) / n;
}

/** Mask pruning exactly floor(s · n) of the lowest |scores|. */
export function thresholdMask(scores: Float32Array, sparsity: number): Uint8Array {
  const t = native.globalMagnitudeThreshold([scores], levelFor(pruneCount(sparsity, scores.length), scores.length));
  return native.buildMaskByThreshold(scores, t.threshold, { tiesToPrune: t.tiesToPrune }).mask;
}

/** One exact magnitude threshold over many weights; a mask per weight. */
export function globalThresholdMasks(weights: Float32Array[], sparsity: number, _signal?: AbortSignal): Uint8Array[] {
  const n = weights.reduce((a, w) => a + w.length, 0);
  const t = native.globalMagnitudeThreshold(weights, levelFor(pruneCount(sparsity, n), n));
  let ties = t.tiesToPrune;
  return weights.map((w) => {
    const r = native.buildMaskByThreshold(w, t.threshold, { tiesToPrune: ties });
    ties -= r.tiesPruned;
    return r.mask;
  });
}

/** Keep the n largest |score| of every m consecutive inputs of each row. */
export function nmMaskKernel(scores: Float32Array, rows: number, cols: number, n: number, m: number): Uint8Array {
  return native.nmMask(scores, { rows, cols, n, m, axis: 1, magnitude: true });
}

/** Prune exactly floor(s · blocks) whole blocks with the lowest mean |score|. */
export function blockMaskKernel(scores: Float32Array, rows: number, cols: number, br: number, bc: number, sparsity: number): Uint8Array {
  const blocks = Math.ceil(rows / br) * Math.ceil(cols / bc);
  return native.blockMask(scores, { rows, cols, blockRows: br, blockCols: bc, norm: 'l1', sparsity: levelFor(pruneCount(sparsity, blocks), blocks) });
}

/** L2 norm of each row. */
export function rowNorms(x: Float32Array, rows: number, cols: number): Float32Array {
  return native.channelNorms(x, { rows, cols, per: 'row', norm: 'l2' });
}

/** Wanda scores |w_ij| · ‖x_j‖₂ from accumulated squared feature norms. */
export function wandaScores(w: Float32Array, featureSqNorms: Float32Array, rows: number, cols: number): Float32Array {
  const norms = new Float32Array(featureSqNorms.length);
  for (let i = 0; i < norms.length; i++) norms[i] = Math.sqrt(Math.max(0, featureSqNorms[i]));
  return native.wandaScores(w, norms, { rows, cols, axis: 1 });
}

// ---------------------------------------------------------------- solvers (SparseGPT, GPTQ)

export interface SolverResult {
  weights: Float32Array;
  mask: Uint8Array;
  loss: number;
  dead: number;
}

/** SparseGPT on a copy of w (unstructured or N:M): mask chosen and kept weights updated. */
export async function sparsegpt(w: Float32Array, h: Float32Array, rows: number, cols: number, p: Pattern, sparsity: number, opts: { blockSize: number; dampening: number }, signal?: AbortSignal): Promise<SolverResult> {
  const weights = Float32Array.from(w);
  const shape = p.kind === 'nm' ? { n: p.n, m: p.m } : { sparsity };
  const r = await native.sparsegptAsync(weights, h, { rows, cols, ...shape, blockSize: opts.blockSize, percdamp: opts.dampening }, { signal });
  return { weights, mask: r.mask, loss: r.loss, dead: r.deadInputs };
}

export interface GptqResult {
  /** 8 bits symmetric: Int8Array codes. 4 bits: MatMulNBits-packed nibbles (0..15, zero point 8 when symmetric). */
  codes: Int8Array | Uint8Array;
  scales: Float32Array;
  /** Asymmetric: the zero point per group. */
  zeroPoints?: Uint8Array;
  dequantized: Float32Array;
  loss: number;
}

/** GPTQ codes for w; zeros of w (pruned weights) stay exactly zero. */
export async function gptqQuantize(w: Float32Array, h: Float32Array, rows: number, cols: number, opts: { bits: 4 | 8; group: number; symmetric: boolean; blockSize: number; dampening: number }, signal?: AbortSignal): Promise<GptqResult> {
  const dequantized = Float32Array.from(w);
  const mask = new Uint8Array(w.length);
  for (let i = 0; i < w.length; i++) mask[i] = w[i] !== 0 ? 1 : 0;
  const r = await native.gptqAsync(dequantized, h, { rows, cols, bits: opts.bits, groupSize: opts.group, symmetric: opts.symmetric, mask, blockSize: opts.blockSize, percdamp: opts.dampening }, { signal });
  return { codes: r.codes, scales: r.scales, ...(r.zeroPoints ? { zeroPoints: r.zeroPoints } : {}), dequantized, loss: r.loss };
}

// ---------------------------------------------------------------- quantizers

/** int8 symmetric codes with one scale per row (axis 0) or per column (axis 1) of [rows, cols]. */
export function quantizeInt8PerChannel(w: Float32Array, rows: number, cols: number, axis: 0 | 1): { q: Int8Array; scales: Float32Array } {
  const r = native.quantizeInt8PerChannel(w, { rows, cols, axis });
  return { q: r.q, scales: r.scales };
}

/** int4 group-wise RTN along the inputs: MatMulNBits-packed codes (unsigned, zero point 8 when symmetric). */
export function quantizeInt4Groups(w: Float32Array, rows: number, cols: number, group: 32 | 64 | 128, symmetric: boolean): { packed: Uint8Array; scales: Float32Array; zeroPoints?: Uint8Array; dequantized: Float32Array } {
  const r = native.quantizeInt4Groups(w, { rows, cols, groupSize: group, symmetric });
  const dequantized = native.dequantizeInt4Groups(r, { rows, cols });
  return { packed: r.packed, scales: r.scales, zeroPoints: r.zeroPoints, dequantized };
}

/** MatMulNBits packing of zero points (one byte per group in, two per byte out). */
export function packZeroPoints(zp: Uint8Array, rows: number, groups: number): Uint8Array {
  return native.packInt4ZeroPoints(zp, rows, groups);
}

// ---------------------------------------------------------------- calibration accumulators

/** h (dim x dim) += XᵀX for X [n, dim]. */
export function accumulateHessian(h: Float32Array, x: Float32Array, n: number, dim: number): void {
  native.hessianAccumulate(h, x, { nSamples: n, dim });
}

/** sq[j] += Σ_i x[i][j]² for X [n, dim]. */
export function accumulateFeatureSqNorms(sq: Float32Array, x: Float32Array, n: number, dim: number): void {
  native.featureNormsAccumulate(sq, x, { nSamples: n, dim });
}

// ---------------------------------------------------------------- packed sparse formats

export const pack24 = native.pack24;
export const unpack24 = native.unpack24;
export const packBitmap = native.packBitmap;
export const unpackBitmap = native.unpackBitmap;
export const packCsr = native.packCsr;
export const unpackCsr = native.unpackCsr;
export const packBsr = native.packBsr;
export const unpackBsr = native.unpackBsr;
