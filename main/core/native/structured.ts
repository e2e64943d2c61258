// Structured pruning scores and masks: channel norms, block masks, Wanda scores.
import { loadAddon } from './addon';
import { callNative } from './jobs';
import { axis01, count, f32, fraction, length, oneOf, options, shape, u8 } from './validate';
import { badInput } from '../errors';

export type NormKind = 'l1' | 'l2';

interface StructuredAddon {
  channelNorms(x: Float32Array, rows: number, cols: number, perRow: boolean, norm: NormKind, out: Float32Array): void;
  blockScores(x: Float32Array, rows: number, cols: number, br: number, bc: number, norm: NormKind, scores: Float32Array): void;
  blockMask(x: Float32Array, rows: number, cols: number, br: number, bc: number, norm: NormKind, sparsity: number, mask: Uint8Array, scores: Float32Array | null): number;
  wandaScores(w: Float32Array, xnorm: Float32Array, rows: number, cols: number, axis: number, out: Float32Array): void;
}
const addon = () => loadAddon() as unknown as StructuredAddon;

function outF32(o: Record<string, unknown>, n: number, argument = 'out'): Float32Array {
  const out = o[argument] === undefined ? new Float32Array(n) : f32(o[argument], argument);
  length(out, n, argument);
  return out;
}

/** L1 (sum |x|) or L2 norm of every row (`per: 'row'`, length rows) or column (length cols), summed in double. */
export function channelNorms(
  weights: Float32Array,
  opts: { rows: number; cols: number; per: 'row' | 'col'; norm?: NormKind; out?: Float32Array },
): Float32Array {
  f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(weights, o.rows, o.cols, 'weights');
  const per = oneOf(o.per, ['row', 'col'] as const, 'per');
  const norm = o.norm === undefined ? 'l2' : oneOf(o.norm, ['l1', 'l2'] as const, 'norm');
  const out = outF32(o, per === 'row' ? rows : cols);
  callNative(() => addon().channelNorms(weights, rows, cols, per === 'row', norm, out));
  return out;
}

export interface BlockOptions {
  rows: number;
  cols: number;
  blockRows: number;
  blockCols: number;
  /** Block score: 'l1' = mean |x|, 'l2' = sqrt(mean x^2) (mean-normalised so partial edge blocks compare fairly). Default 'l2'. */
  norm?: NormKind;
}

function blockArgs(weights: unknown, opts: unknown) {
  const w = f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(w, o.rows, o.cols, 'weights');
  const br = count(o.blockRows, 'blockRows', { min: 1 });
  const bc = count(o.blockCols, 'blockCols', { min: 1 });
  const norm = o.norm === undefined ? 'l2' : oneOf(o.norm, ['l1', 'l2'] as const, 'norm');
  const blocks = Math.ceil(rows / br) * Math.ceil(cols / bc);
  return { o, rows, cols, br, bc, norm, blocks };
}

/** Per-block scores, row-major over the ceil(rows/br) x ceil(cols/bc) blocks. */
export function blockScores(weights: Float32Array, opts: BlockOptions & { out?: Float32Array }): Float32Array {
  const a = blockArgs(weights, opts);
  const out = outF32(a.o, a.blocks);
  callNative(() => addon().blockScores(weights, a.rows, a.cols, a.br, a.bc, a.norm, out));
  return out;
}

/** Block keep-mask: prunes exactly floor(sparsity * blocks) lowest-scored blocks (ties prune the higher block index); opts.scores receives the block scores. */
export function blockMask(
  weights: Float32Array,
  opts: BlockOptions & { sparsity: number; out?: Uint8Array; scores?: Float32Array },
): Uint8Array {
  const a = blockArgs(weights, opts);
  const sparsity = fraction(a.o.sparsity, 'sparsity');
  const mask = a.o.out === undefined ? new Uint8Array(weights.length) : u8(a.o.out, 'out');
  length(mask, weights.length, 'out');
  const scores = a.o.scores === undefined ? null : f32(a.o.scores, 'scores');
  if (scores) length(scores, a.blocks, 'scores');
  callNative(() => addon().blockMask(weights, a.rows, a.cols, a.br, a.bc, a.norm, sparsity, mask, scores));
  return mask;
}

/** Wanda scores |w_ij| * ||x_j||: inputNorms has one entry per input feature along `axis` (1: [out, in], 0: [in, out]). */
export function wandaScores(
  weights: Float32Array,
  inputNorms: Float32Array,
  opts: { rows: number; cols: number; axis?: 0 | 1; out?: Float32Array },
): Float32Array {
  f32(weights, 'weights');
  f32(inputNorms, 'inputNorms');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(weights, o.rows, o.cols, 'weights');
  const axis = o.axis === undefined ? 1 : axis01(o.axis);
  length(inputNorms, axis === 1 ? cols : rows, 'inputNorms');
  for (let i = 0; i < inputNorms.length; i++) {
    const v = inputNorms[i];
    if (!(v >= 0) || v === Infinity) throw badInput(`inputNorms[${i}] must be a finite number >= 0, got ${v}`, undefined, { argument: 'inputNorms' });
  }
  const out = outF32(o, weights.length);
  callNative(() => addon().wandaScores(weights, inputNorms, rows, cols, axis, out));
  return out;
}
