// Deployable sparse formats of a row-major [rows, cols] fp32 matrix and back (nonzero = w != 0).
import { loadAddon } from './addon';
import { callNative } from './jobs';
import { count, f32, length, options, shape, typedArray, u8 } from './validate';
import { badInput } from '../errors';

export interface Packed24 {
  /** [rows, cols/2]: the two kept values of every group of 4, in position order. */
  values: Float32Array;
  /** [rows, ceil(cols/8)]: per group 4 bits idx0 | idx1 << 2 (idx0 < idx1); group 2k in the low nibble of byte k. */
  meta: Uint8Array;
}
export interface Bitmap {
  /** bit i (LSB first) = w[i] != 0 */
  bitmap: Uint8Array;
  values: Float32Array;
}
export interface Csr {
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float32Array;
}
/** Block CSR: rowPtr over block rows, colIdx = block column, values [nnzb, blockRows, blockCols]. */
export type Bsr = Csr;

interface SparseAddon {
  pack24(w: Float32Array, rows: number, cols: number): Packed24;
  unpack24(values: Float32Array, meta: Uint8Array, rows: number, cols: number, out: Float32Array): void;
  packBitmap(w: Float32Array): Bitmap;
  unpackBitmap(bitmap: Uint8Array, values: Float32Array, out: Float32Array): void;
  packCsr(w: Float32Array, rows: number, cols: number): Csr;
  unpackCsr(rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, rows: number, cols: number, out: Float32Array): void;
  packBsr(w: Float32Array, rows: number, cols: number, br: number, bc: number): Bsr;
  unpackBsr(rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, rows: number, cols: number, br: number, bc: number, out: Float32Array): void;
}
const addon = () => loadAddon() as unknown as SparseAddon;

function outF32(out: unknown, n: number): Float32Array {
  const o = out === undefined ? new Float32Array(n) : f32(out, 'out');
  length(o, n, 'out');
  return o;
}

function cols4(cols: number): void {
  if (cols % 4 !== 0) throw badInput(`2:4 format needs cols % 4 == 0, got ${cols}`, undefined, { argument: 'cols' });
}

/** 2:4 compressed: values + 2-bit indices; a group with more than 2 nonzeros is BAD_INPUT. */
export function pack24(weights: Float32Array, opts: { rows: number; cols: number }): Packed24 {
  f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(weights, o.rows, o.cols, 'weights');
  cols4(cols);
  return callNative(() => addon().pack24(weights, rows, cols));
}

/** Dense matrix from 2:4 compressed data. */
export function unpack24(packed: Packed24, opts: { rows: number; cols: number; out?: Float32Array }): Float32Array {
  const o = options(opts, 'opts');
  const rows = count(o.rows, 'rows');
  const cols = count(o.cols, 'cols');
  cols4(cols);
  const values = f32(packed?.values, 'values');
  const meta = u8(packed.meta, 'meta');
  length(values, (rows * cols) / 2, 'values');
  length(meta, rows * Math.ceil(cols / 8), 'meta');
  const out = outF32(o.out, rows * cols);
  callNative(() => addon().unpack24(values, meta, rows, cols, out));
  return out;
}

/** Bitmap + nonzero values (flat). */
export function packBitmap(weights: Float32Array): Bitmap {
  f32(weights, 'weights');
  return callNative(() => addon().packBitmap(weights));
}

/** Dense array of length n from a bitmap and its values; a popcount/values mismatch is BAD_INPUT. */
export function unpackBitmap(packed: Bitmap, n: number, out?: Float32Array): Float32Array {
  const bitmap = u8(packed?.bitmap, 'bitmap');
  const values = f32(packed.values, 'values');
  count(n, 'n');
  length(bitmap, Math.ceil(n / 8), 'bitmap');
  const o = outF32(out, n);
  callNative(() => addon().unpackBitmap(bitmap, values, o));
  return o;
}

/** CSR with int32 indices. */
export function packCsr(weights: Float32Array, opts: { rows: number; cols: number }): Csr {
  f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(weights, o.rows, o.cols, 'weights');
  return callNative(() => addon().packCsr(weights, rows, cols));
}

/** Dense matrix from CSR; rowPtr/colIdx are validated (monotone, in range). */
export function unpackCsr(csr: Csr, opts: { rows: number; cols: number; out?: Float32Array }): Float32Array {
  const o = options(opts, 'opts');
  const rows = count(o.rows, 'rows');
  const cols = count(o.cols, 'cols');
  const rowPtr = typedArray(csr?.rowPtr, 'Int32Array', 'rowPtr');
  const colIdx = typedArray(csr.colIdx, 'Int32Array', 'colIdx');
  const values = f32(csr.values, 'values');
  length(rowPtr, rows + 1, 'rowPtr');
  length(colIdx, values.length, 'colIdx');
  const out = outF32(o.out, rows * cols);
  callNative(() => addon().unpackCsr(rowPtr, colIdx, values, rows, cols, out));
  return out;
}

function bsrShape(o: Record<string, unknown>) {
  const rows = count(o.rows, 'rows');
  const cols = count(o.cols, 'cols');
  const br = count(o.blockRows, 'blockRows', { min: 1 });
  const bc = count(o.blockCols, 'blockCols', { min: 1 });
  if (rows % br !== 0 || cols % bc !== 0) {
    throw badInput(`BSR needs blockRows | rows and blockCols | cols, got ${rows}x${cols} with ${br}x${bc} blocks`, undefined, { argument: 'blockRows' });
  }
  return { rows, cols, br, bc };
}

/** Block CSR: blocks with any nonzero are stored whole. */
export function packBsr(weights: Float32Array, opts: { rows: number; cols: number; blockRows: number; blockCols: number }): Bsr {
  f32(weights, 'weights');
  const o = options(opts, 'opts');
  shape(weights, o.rows, o.cols, 'weights');
  const { rows, cols, br, bc } = bsrShape(o);
  return callNative(() => addon().packBsr(weights, rows, cols, br, bc));
}

/** Dense matrix from block CSR. */
export function unpackBsr(bsr: Bsr, opts: { rows: number; cols: number; blockRows: number; blockCols: number; out?: Float32Array }): Float32Array {
  const o = options(opts, 'opts');
  const { rows, cols, br, bc } = bsrShape(o);
  const rowPtr = typedArray(bsr?.rowPtr, 'Int32Array', 'rowPtr');
  const colIdx = typedArray(bsr.colIdx, 'Int32Array', 'colIdx');
  const values = f32(bsr.values, 'values');
  length(rowPtr, rows / br + 1, 'rowPtr');
  length(values, colIdx.length * br * bc, 'values');
  const out = outF32(o.out, rows * cols);
  callNative(() => addon().unpackBsr(rowPtr, colIdx, values, rows, cols, br, bc, out));
  return out;
}
