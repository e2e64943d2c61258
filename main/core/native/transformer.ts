// Typed facade over the native decoder-block pieces (native/src/kernels/transformer): fp32,
// row-major [tokens, features], multi-threaded. Lengths are checked here so a wrong shape is a
// BAD_INPUT naming the argument, never memory read out of range.
import { loadAddon } from './addon';
import { callNative } from './jobs';
import { count, f32, length, typedArray } from './validate';
import { TwinforgeError } from '../errors';

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** Sliding window in tokens (0 = none). */
  window?: number;
}

interface TransformerAddon {
  llmRmsNorm(x: Float32Array, rows: number, dim: number, w: Float32Array, eps: number, out: Float32Array): void;
  llmRope(x: Float32Array, tokens: number, heads: number, headDim: number, positions: Int32Array, invFreq: Float32Array): void;
  llmAttention(q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, shape: AttentionShape): void;
  llmSiluMul(gate: Float32Array, up: Float32Array): void;
  llmLinear(x: Float32Array, rows: number, inF: number, w: Float32Array, outF: number, bias: Float32Array | null, y: Float32Array): void;
}
function addon(): TransformerAddon {
  const a = loadAddon();
  // An addon built before these kernels existed: say how to fix it rather than "not a function".
  if (typeof a.llmLinear !== 'function') throw new TwinforgeError('UNSUPPORTED', 'The native addon has no transformer kernels (it was built from an older source).', 'Rebuild it: npm run build:native.');
  return a as unknown as TransformerAddon;
}

/** RMSNorm of each row of x [rows, dim] times weight, into out (which may be x). */
export function rmsNorm(x: Float32Array, rows: number, dim: number, weight: Float32Array, eps: number, out: Float32Array = new Float32Array(rows * dim)): Float32Array {
  count(rows, 'rows');
  count(dim, 'dim', { min: 1 });
  length(f32(x, 'x'), rows * dim, 'x');
  length(f32(weight, 'weight'), dim, 'weight');
  length(f32(out, 'out'), rows * dim, 'out');
  callNative(() => addon().llmRmsNorm(x, rows, dim, weight, eps, out));
  return out;
}

/** Rotary embedding in place on x [tokens, heads*headDim] (rotate-half pairing). */
export function rope(x: Float32Array, tokens: number, heads: number, headDim: number, positions: Int32Array, invFreq: Float32Array): Float32Array {
  length(f32(x, 'x'), count(tokens, 'tokens') * count(heads, 'heads') * count(headDim, 'headDim'), 'x');
  length(typedArray(positions, 'Int32Array', 'positions'), tokens, 'positions');
  length(f32(invFreq, 'invFreq'), headDim / 2, 'invFreq');
  callNative(() => addon().llmRope(x, tokens, heads, headDim, positions, invFreq));
  return x;
}

/** Causal grouped-query attention; q/out [batch*seq, heads*headDim], k/v [batch*seq, kvHeads*headDim]. */
export function attention(q: Float32Array, k: Float32Array, v: Float32Array, shape: AttentionShape, out: Float32Array = new Float32Array(q.length)): Float32Array {
  const tokens = count(shape.batch, 'batch') * count(shape.seq, 'seq');
  length(f32(q, 'q'), tokens * count(shape.heads, 'heads', { min: 1 }) * count(shape.headDim, 'headDim', { min: 1 }), 'q');
  length(f32(k, 'k'), tokens * count(shape.kvHeads, 'kvHeads', { min: 1 }) * shape.headDim, 'k');
  length(f32(v, 'v'), k.length, 'v');
  length(f32(out, 'out'), q.length, 'out');
  callNative(() => addon().llmAttention(q, k, v, out, { ...shape, window: shape.window ?? 0 }));
  return out;
}

/** gate = silu(gate) * up, in place. */
export function siluMul(gate: Float32Array, up: Float32Array): Float32Array {
  length(f32(up, 'up'), f32(gate, 'gate').length, 'up');
  callNative(() => addon().llmSiluMul(gate, up));
  return gate;
}

/** y [rows, outF] = x [rows, inF] · wᵀ + bias, w a torch Linear weight [outF, inF]. */
export function linear(x: Float32Array, rows: number, inF: number, w: Float32Array, outF: number, bias?: Float32Array, y: Float32Array = new Float32Array(rows * outF)): Float32Array {
  length(f32(x, 'x'), count(rows, 'rows') * count(inF, 'in', { min: 1 }), 'x');
  length(f32(w, 'w'), count(outF, 'out', { min: 1 }) * inF, 'w');
  if (bias) length(f32(bias, 'bias'), outF, 'bias');
  length(f32(y, 'y'), rows * outF, 'y');
  callNative(() => addon().llmLinear(x, rows, inF, w, outF, bias ?? null, y));
  return y;
}
