// 2:4 sparse weights as a CPU product: the values + meta that pack24 (and the .twsp 2:4
// section) store, run by the addon's sp24 kernels (AVX-512 / AVX2 / NEON; no index widening,
// no gathers). fp32 values read 53% of the dense bytes, fp16 values 28% — the form in which
// 2:4 beats a dense MatMul at batch 1 on a CPU (native/BENCH.md).
//
//   const w = sp24Weights(pack24(dense, { rows, cols }), { rows, cols, fp16: true }); // once, at load
//   const y = sp24Matmul(w, x, batch, { bias });                                      // per call
import { loadAddon } from './addon';
import { callNative } from './jobs';
import { count, f32, length, options, u8 } from './validate';
import { TwinforgeError, badInput } from '../errors';
import type { Packed24 } from './sparse-formats';

/** Checked 2:4 weights of a [rows = outputs, cols = inputs] matrix, ready for sp24Matmul. */
export interface Sp24Weights {
  readonly rows: number;
  readonly cols: number;
  /** [rows, cols/2] kept values: fp32, or IEEE fp16 bits (Uint16Array). */
  readonly values: Float32Array | Uint16Array;
  /** [rows, ceil(cols/8)]: 4 bits per group of 4 inputs, idx0 | idx1 << 2 (as pack24 writes). */
  readonly meta: Uint8Array;
}

interface Sp24Addon {
  sp24Matmul(values: Float32Array | Uint16Array, meta: Uint8Array, rows: number, cols: number, x: Float32Array, batch: number, y: Float32Array, bias?: Float32Array): void;
  sp24Validate(meta: Uint8Array, rows: number, cols: number): void;
  sp24HalfValues(values: Float32Array): Uint16Array;
}

function addon(): Sp24Addon {
  const a = loadAddon() as unknown as Partial<Sp24Addon>;
  if (typeof a.sp24Matmul !== 'function' || typeof a.sp24Validate !== 'function' || typeof a.sp24HalfValues !== 'function') {
    throw new TwinforgeError('UNSUPPORTED', 'The native addon has no 2:4 packed products (sp24Matmul): it was built before them.', 'Rebuild it with `npm run build:native`.');
  }
  return a as Sp24Addon;
}

/** Whether this addon has the 2:4 packed products. */
export function sp24Available(): boolean {
  try {
    addon();
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks packed 2:4 weights once (lengths, and every group's positions idx0 < idx1 — the kernels
 * trust them) and optionally converts the values to fp16 (round to nearest even; a value beyond
 * fp16's range is BAD_INPUT). Pass Uint16Array values to keep fp16 values you already have.
 */
export function sp24Weights(packed: Packed24 | { values: Float32Array | Uint16Array; meta: Uint8Array }, opts: { rows: number; cols: number; fp16?: boolean }): Sp24Weights {
  const o = options(opts, 'opts');
  const rows = count(o.rows, 'rows', { min: 1 });
  const cols = count(o.cols, 'cols', { min: 4 });
  if (cols % 4 !== 0) throw badInput(`2:4 weights need cols (inputs) % 4 == 0, got ${cols}`, undefined, { argument: 'cols' });
  const raw = (packed as { values?: unknown })?.values;
  const meta = u8((packed as { meta?: unknown })?.meta, 'meta');
  length(meta, rows * Math.ceil(cols / 8), 'meta');
  let values: Float32Array | Uint16Array = raw instanceof Uint16Array ? raw : f32(raw, 'values');
  length(values, (rows * cols) / 2, 'values');
  const a = addon();
  callNative(() => a.sp24Validate(meta, rows, cols));
  if (o.fp16 === true && values instanceof Float32Array) {
    const v = values;
    values = callNative(() => a.sp24HalfValues(v));
  }
  return { rows, cols, values, meta };
}

/** Y[batch, rows] = X[batch, cols] · Wᵀ (+ bias). out may be given to reuse memory. */
export function sp24Matmul(w: Sp24Weights, x: Float32Array, batch: number, opts: { out?: Float32Array; bias?: Float32Array } = {}): Float32Array {
  const o = options(opts, 'opts');
  f32(x, 'x');
  const b = count(batch, 'batch', { min: 1 });
  length(x, b * w.cols, 'x');
  const y = o.out === undefined ? new Float32Array(b * w.rows) : f32(o.out, 'out');
  length(y, b * w.rows, 'out');
  const bias = o.bias === undefined ? undefined : f32(o.bias, 'bias');
  if (bias) length(bias, w.rows, 'bias');
  callNative(() => addon().sp24Matmul(w.values, w.meta, w.rows, w.cols, x, b, y, bias));
  return y;
}
