// NumPy .npy reader and writer (format versions 1, 2 and 3). Headers are validated before any
// data is touched: a wrong magic, a header past the end, an unknown dtype or a data section
// shorter than the shape says is CORRUPT input, never a garbage array.
import { badInput, TwinforgeError } from '../errors';

export type NpyDtype = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export type NpyData = Float32Array | Float64Array | Uint16Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** C-order data. float16 is kept as raw Uint16Array bits; bool as Uint8Array. */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

// descr without byte order -> [dtype, bytes per element]
const DESCR: Record<string, [NpyDtype, number]> = {
  f4: ['float32', 4],
  f8: ['float64', 8],
  f2: ['float16', 2],
  i1: ['int8', 1],
  u1: ['uint8', 1],
  b1: ['bool', 1],
  i2: ['int16', 2],
  u2: ['uint16', 2],
  i4: ['int32', 4],
  u4: ['uint32', 4],
  i8: ['int64', 8],
  u8: ['uint64', 8],
};

function corrupt(what: string, message: string): TwinforgeError {
  return new TwinforgeError('BAD_INPUT', `${what}: not a valid .npy array: ${message}`, 'Save arrays with numpy.save / numpy.savez (numeric dtypes only, no pickled objects).');
}

/** Parses one .npy file's bytes into a C-order typed array. `what` names the file in errors. */
export function parseNpy(bytes: Uint8Array, what = '.npy'): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw corrupt(what, 'missing the \\x93NUMPY magic');
  const major = bytes[6];
  let headerLen: number;
  let headerStart: number;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw corrupt(what, 'truncated header');
    headerLen = dv.getUint32(8, true);
    headerStart = 12;
  } else throw corrupt(what, `unsupported format version ${major}`);
  if (headerStart + headerLen > bytes.length) throw corrupt(what, 'header runs past the end of the file');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([<>|=]?)([A-Za-z]\d*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeM = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shapeM) throw corrupt(what, `header is not a NumPy array header: ${header.trim().slice(0, 120)}`);
  const kind = DESCR[descr[2]];
  if (!kind) throw corrupt(what, `dtype '${descr[1]}${descr[2]}' is not supported (numeric dtypes only)`);
  const [dtype, size] = kind;
  const bigEndian = descr[1] === '>';
  const shape = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw corrupt(what, `bad dimension '${s}' in shape`);
      return n;
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const need = count * size;
  if (bytes.length - dataStart < need) throw corrupt(what, `data section holds ${bytes.length - dataStart} bytes, shape (${shape.join(', ')}) needs ${need}`);
  // Copy into a fresh, aligned buffer (the file's data offset need not be a multiple of 8).
  const raw = new Uint8Array(need);
  raw.set(bytes.subarray(dataStart, dataStart + need));
  if (bigEndian && size > 1) {
    for (let i = 0; i < need; i += size) raw.subarray(i, i + size).reverse();
  }
  let data = typed(dtype, raw.buffer, count);
  if (fortran[1] === 'True' && shape.length > 1) data = fortranToC(data, shape);
  return { dtype, shape, data };
}

function typed(dtype: NpyDtype, buf: ArrayBuffer, n: number): NpyData {
  switch (dtype) {
    case 'float32': return new Float32Array(buf, 0, n);
    case 'float64': return new Float64Array(buf, 0, n);
    case 'float16': return new Uint16Array(buf, 0, n);
    case 'int8': return new Int8Array(buf, 0, n);
    case 'uint8':
    case 'bool': return new Uint8Array(buf, 0, n);
    case 'int16': return new Int16Array(buf, 0, n);
    case 'uint16': return new Uint16Array(buf, 0, n);
    case 'int32': return new Int32Array(buf, 0, n);
    case 'uint32': return new Uint32Array(buf, 0, n);
    case 'int64': return new BigInt64Array(buf, 0, n);
    case 'uint64': return new BigUint64Array(buf, 0, n);
  }
}

function fortranToC(src: NpyData, shape: number[]): NpyData {
  const n = src.length;
  const out = new (src.constructor as new (n: number) => NpyData)(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  // Fortran strides: first axis fastest.
  const fstride = new Array<number>(nd);
  fstride[0] = 1;
  for (let d = 1; d < nd; d++) fstride[d] = fstride[d - 1] * shape[d - 1];
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < nd; d++) f += idx[d] * fstride[d];
    (out as unknown as unknown[])[c] = (src as unknown as unknown[])[f];
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

const WRITE_DESCR: Record<NpyDtype, string> = {
  float32: '<f4', float64: '<f8', float16: '<f2', int8: '|i1', uint8: '|u1', bool: '|b1',
  int16: '<i2', uint16: '<u2', int32: '<i4', uint32: '<u4', int64: '<i8', uint64: '<u8',
};

/** Serialises an array as a version-1 .npy file (tests and exports of sample data use it). */
export function writeNpy(arr: NpyArray): Uint8Array {
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${WRITE_DESCR[arr.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const hb = new TextEncoder().encode(header);
  const body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  const out = new Uint8Array(10 + hb.length + body.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, hb.length, true);
  out.set(hb, 10);
  out.set(body, 10 + hb.length);
  return out;
}

/** float16 bits -> float32 value. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Any numeric array as float32 (float16 decoded, int64 converted). */
export function toFloat32(arr: NpyArray): Float32Array {
  if (arr.data instanceof Float32Array) return arr.data;
  const out = new Float32Array(arr.data.length);
  if (arr.dtype === 'float16') {
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat((arr.data as Uint16Array)[i]);
  } else if (arr.data instanceof BigInt64Array || arr.data instanceof BigUint64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Number(arr.data[i]);
  } else {
    out.set(arr.data as ArrayLike<number>);
  }
  return out;
}

/** Any integer array as int64 (for token-id inputs and labels). */
export function toInt64(arr: NpyArray): BigInt64Array {
  if (arr.data instanceof BigInt64Array) return arr.data;
  const out = new BigInt64Array(arr.data.length);
  if (arr.data instanceof BigUint64Array) {
    for (let i = 0; i < out.length; i++) out[i] = BigInt.asIntN(64, arr.data[i]);
    return out;
  }
  if (arr.dtype === 'float16' || arr.dtype === 'float32' || arr.dtype === 'float64') {
    throw badInput(`expected an integer array, got ${arr.dtype}`, 'Save labels and token ids as an integer dtype.');
  }
  for (let i = 0; i < out.length; i++) out[i] = BigInt((arr.data as ArrayLike<number>)[i]);
  return out;
}
