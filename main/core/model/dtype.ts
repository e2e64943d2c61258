// Tensor element types: names, ONNX / safetensors codes, storage widths, and conversions to and
// from float32. Everything here is little-endian, like ONNX raw_data and safetensors payloads.
import { TwinforgeError } from '../errors';

export type DType =
  | 'float32' | 'float16' | 'bfloat16' | 'float64'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string' | 'complex64' | 'complex128'
  | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz' | 'float8e8m0'
  | 'float4e2m1' | 'int4' | 'uint4' | 'int2' | 'uint2';

interface DTypeInfo {
  onnx: number; // TensorProto.DataType
  bits: number; // storage bits per element (packed for sub-byte types); 0 = variable (string)
  float: boolean; // decodes to float32 (complex and string do not)
}

export const DTYPES: Record<DType, DTypeInfo> = {
  float32: { onnx: 1, bits: 32, float: true },
  uint8: { onnx: 2, bits: 8, float: true },
  int8: { onnx: 3, bits: 8, float: true },
  uint16: { onnx: 4, bits: 16, float: true },
  int16: { onnx: 5, bits: 16, float: true },
  int32: { onnx: 6, bits: 32, float: true },
  int64: { onnx: 7, bits: 64, float: true },
  string: { onnx: 8, bits: 0, float: false },
  bool: { onnx: 9, bits: 8, float: true },
  float16: { onnx: 10, bits: 16, float: true },
  float64: { onnx: 11, bits: 64, float: true },
  uint32: { onnx: 12, bits: 32, float: true },
  uint64: { onnx: 13, bits: 64, float: true },
  complex64: { onnx: 14, bits: 64, float: false },
  complex128: { onnx: 15, bits: 128, float: false },
  bfloat16: { onnx: 16, bits: 16, float: true },
  float8e4m3fn: { onnx: 17, bits: 8, float: true },
  float8e4m3fnuz: { onnx: 18, bits: 8, float: true },
  float8e5m2: { onnx: 19, bits: 8, float: true },
  float8e5m2fnuz: { onnx: 20, bits: 8, float: true },
  uint4: { onnx: 21, bits: 4, float: true },
  int4: { onnx: 22, bits: 4, float: true },
  float4e2m1: { onnx: 23, bits: 4, float: true },
  float8e8m0: { onnx: 24, bits: 8, float: true },
  uint2: { onnx: 25, bits: 2, float: true },
  int2: { onnx: 26, bits: 2, float: true },
};

const BY_ONNX = new Map<number, DType>(Object.entries(DTYPES).map(([k, v]) => [v.onnx, k as DType]));

/** The dtype for an ONNX TensorProto.DataType code, or undefined for UNDEFINED / unknown codes. */
export function dtypeFromOnnx(code: number): DType | undefined {
  return BY_ONNX.get(code);
}

/** The ONNX TensorProto.DataType code of a dtype. */
export function onnxDataType(dtype: DType): number {
  return DTYPES[dtype].onnx;
}

/** Storage bytes of `numel` elements (sub-byte types packed, rounded up to whole bytes). */
export function byteSize(dtype: DType, numel: number): number {
  const bits = DTYPES[dtype].bits;
  if (bits === 0) throw new TwinforgeError('UNSUPPORTED', 'String tensors have no fixed byte size.');
  return Math.ceil((numel * bits) / 8);
}

/** Whether the dtype is a floating-point format (as opposed to integers, bool, string). */
export function isFloatDType(dtype: DType): boolean {
  return dtype.startsWith('float') || dtype === 'bfloat16';
}

// ---------------------------------------------------------------------------------------------
// Small-float tables. Built on first use; 8-bit and 4-bit formats decode by table lookup.

let halfTable: Float32Array | undefined;
function half(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    if (e === 0) t[h] = s * m * 2 ** -24;
    else if (e === 31) t[h] = m ? NaN : s * Infinity;
    else t[h] = s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (halfTable = t);
}

// Decodes a minifloat with `e` exponent bits, `m` mantissa bits and the given bias; `kind` says
// how the top codes are used (IEEE inf/NaN, FN = only all-ones NaN, FNUZ = 0x80 is the only NaN).
function minifloat(code: number, e: number, m: number, bias: number, kind: 'ieee' | 'fn' | 'fnuz' | 'none'): number {
  const total = 1 + e + m;
  const sign = (code >> (total - 1)) & 1;
  const exp = (code >> m) & ((1 << e) - 1);
  const man = code & ((1 << m) - 1);
  if (kind === 'fnuz' && code === 1 << (total - 1)) return NaN;
  if (kind === 'ieee' && exp === (1 << e) - 1) return man ? NaN : sign ? -Infinity : Infinity;
  if (kind === 'fn' && exp === (1 << e) - 1 && man === (1 << m) - 1) return NaN;
  const v = exp === 0 ? man * 2 ** (1 - bias - m) : (1 + man / (1 << m)) * 2 ** (exp - bias);
  return sign ? -v : v;
}

const smallTables = new Map<DType, Float32Array>();
/** Decode table (code → float) for the 8-, 4- and 2-bit types. */
export function codeTable(dtype: DType): Float32Array {
  let t = smallTables.get(dtype);
  if (t) return t;
  const n = 1 << DTYPES[dtype].bits;
  t = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    switch (dtype) {
      case 'float8e4m3fn': t[c] = minifloat(c, 4, 3, 7, 'fn'); break;
      case 'float8e4m3fnuz': t[c] = minifloat(c, 4, 3, 8, 'fnuz'); break;
      case 'float8e5m2': t[c] = minifloat(c, 5, 2, 15, 'ieee'); break;
      case 'float8e5m2fnuz': t[c] = minifloat(c, 5, 2, 16, 'fnuz'); break;
      case 'float8e8m0': t[c] = c === 255 ? NaN : 2 ** (c - 127); break;
      case 'float4e2m1': t[c] = minifloat(c, 2, 1, 1, 'none'); break;
      case 'int8': t[c] = (c << 24) >> 24; break;
      case 'uint8': case 'bool': t[c] = c; break;
      case 'int4': t[c] = (c << 28) >> 28; break;
      case 'uint4': t[c] = c; break;
      case 'int2': t[c] = (c << 30) >> 30; break;
      case 'uint2': t[c] = c; break;
      default: throw new Error(`no code table for ${dtype}`);
    }
  }
  smallTables.set(dtype, t);
  return t;
}

// A typed view of little-endian storage: the bytes themselves when aligned, else an aligned copy.
function typedView<T>(bytes: Uint8Array, numel: number, size: number, Ctor: { new (buffer: ArrayBufferLike, offset: number, length: number): T; new (length: number): T }): T {
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, numel);
  const copy = new Ctor(numel);
  new Uint8Array((copy as unknown as ArrayBufferView).buffer).set(bytes.subarray(0, numel * size));
  return copy;
}

/**
 * Decodes `numel` elements starting at element `first` of little-endian storage into `out`
 * (which it returns). `bytes` must hold the elements [first, first + numel); for packed types
 * `first` must be a multiple of the elements per byte. Unaligned input is read through a DataView.
 */
export function decodeToFloat32(dtype: DType, bytes: Uint8Array, numel: number, out = new Float32Array(numel)): Float32Array {
  const need = byteSize(dtype, numel);
  if (bytes.byteLength < need) {
    throw new TwinforgeError('CORRUPT_MODEL', `Tensor data is ${bytes.byteLength} bytes, ${dtype} x ${numel} needs ${need}.`);
  }
  switch (dtype) {
    case 'float32':
      // A byte copy into the (aligned) output: as fast as a view, and safe for unaligned raw_data.
      new Uint8Array(out.buffer, out.byteOffset, numel * 4).set(bytes.subarray(0, numel * 4));
      return out;
    case 'float64': out.set(typedView(bytes, numel, 8, Float64Array)); return out;
    case 'float16': {
      const t = half();
      const u = typedView(bytes, numel, 2, Uint16Array);
      for (let i = 0; i < numel; i++) out[i] = t[u[i]];
      return out;
    }
    case 'bfloat16': {
      const u = typedView(bytes, numel, 2, Uint16Array);
      const o = new Uint32Array(out.buffer, out.byteOffset, numel);
      for (let i = 0; i < numel; i++) o[i] = u[i] << 16;
      return out;
    }
    case 'int16': out.set(typedView(bytes, numel, 2, Int16Array)); return out;
    case 'uint16': out.set(typedView(bytes, numel, 2, Uint16Array)); return out;
    case 'int32': out.set(typedView(bytes, numel, 4, Int32Array)); return out;
    case 'uint32': out.set(typedView(bytes, numel, 4, Uint32Array)); return out;
    case 'int64': {
      const v = typedView(bytes, numel, 8, BigInt64Array);
      for (let i = 0; i < numel; i++) out[i] = Number(v[i]);
      return out;
    }
    case 'uint64': {
      const v = typedView(bytes, numel, 8, BigUint64Array);
      for (let i = 0; i < numel; i++) out[i] = Number(v[i]);
      return out;
    }
    case 'int4': case 'uint4': case 'float4e2m1': {
      const t = codeTable(dtype);
      for (let i = 0; i < numel; i++) out[i] = t[(bytes[i >> 1] >> ((i & 1) * 4)) & 0xf];
      return out;
    }
    case 'int2': case 'uint2': {
      const t = codeTable(dtype);
      for (let i = 0; i < numel; i++) out[i] = t[(bytes[i >> 2] >> ((i & 3) * 2)) & 0x3];
      return out;
    }
    case 'string': case 'complex64': case 'complex128':
      throw new TwinforgeError('UNSUPPORTED', `A ${dtype} tensor cannot be read as float32.`, 'Only real numeric tensors are weights Twinforge can change.');
    default: {
      const t = codeTable(dtype);
      for (let i = 0; i < numel; i++) out[i] = t[bytes[i]];
      return out;
    }
  }
}

/** Counts elements whose value is not zero (−0 counts as zero; NaN counts as nonzero). */
export function countNonzeros(dtype: DType, bytes: Uint8Array, numel: number): number {
  let n = 0;
  const bits = DTYPES[dtype].bits;
  if (dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64') {
    // Sign-masked integer compare: no float decode needed.
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dtype === 'float32') {
      if (bytes.byteOffset % 4 === 0) {
        const u = new Uint32Array(bytes.buffer, bytes.byteOffset, numel);
        for (let i = 0; i < numel; i++) if (u[i] & 0x7fffffff) n++;
      } else for (let i = 0; i < numel; i++) if (dv.getUint32(i * 4, true) & 0x7fffffff) n++;
    } else if (dtype === 'float64') {
      for (let i = 0; i < numel; i++) if ((dv.getUint32(i * 8 + 4, true) & 0x7fffffff) | dv.getUint32(i * 8, true)) n++;
    } else {
      for (let i = 0; i < numel; i++) if (dv.getUint16(i * 2, true) & 0x7fff) n++;
    }
    return n;
  }
  if (bits === 8 || bits === 4 || bits === 2) {
    const t = codeTable(dtype);
    const per = 8 / bits;
    const mask = (1 << bits) - 1;
    if (per === 1) {
      for (let i = 0; i < numel; i++) if (t[bytes[i]] !== 0) n++;
    } else {
      for (let i = 0; i < numel; i++) if (t[(bytes[Math.floor(i / per)] >> ((i % per) * bits)) & mask] !== 0) n++;
    }
    return n;
  }
  // 16/32/64-bit integers: any set bit.
  const w = bits / 8;
  for (let i = 0; i < numel; i++) {
    let nz = false;
    for (let b = 0; b < w; b++) if (bytes[i * w + b]) { nz = true; break; }
    if (nz) n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Encoding from float32 (or from integer arrays for the integer types).

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even, overflow to ±inf. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rem = man & ((1 << shift) - 1);
    let r = man >>> shift;
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  const rem = man & 0x1fff;
  let r = (e << 10) | (man >>> 13);
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** float32 → bfloat16 bits, round to nearest even (NaN kept quiet). */
export function floatToBfloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// Nearest code of a small float format (ties to the even code); saturates to the largest finite.
function nearestCode(dtype: DType, v: number): number {
  const t = codeTable(dtype);
  if (Number.isNaN(v)) {
    for (let c = 0; c < t.length; c++) if (Number.isNaN(t[c])) return c;
    return 0;
  }
  let best = 0;
  let bestErr = Infinity;
  for (let c = 0; c < t.length; c++) {
    const x = t[c];
    if (!Number.isFinite(x)) continue;
    const err = Math.abs(x - v);
    if (err < bestErr || (err === bestErr && (c & 1) === 0 && Object.is(Math.sign(x), Math.sign(v)))) {
      best = c;
      bestErr = err;
    }
  }
  return best;
}

/** Rounds to the nearest integer, ties to even (as numpy, PyTorch and ONNX QuantizeLinear do). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r + 0;
}

/**
 * Encodes values into little-endian storage of `dtype`. Integer dtypes round (ties to even) and saturate; int4 /
 * uint4 / int2 / uint2 / float4 are packed low bits first; float8 formats round to nearest.
 */
export function encodeFromNumbers(dtype: DType, values: ArrayLike<number> | BigInt64Array | BigUint64Array): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(byteSize(dtype, n));
  const dv = new DataView(out.buffer);
  const num = (i: number): number => Number((values as ArrayLike<number | bigint>)[i]);
  const sat = (x: number, lo: number, hi: number): number => (Number.isNaN(x) ? 0 : Math.min(hi, Math.max(lo, roundHalfEven(x))));
  switch (dtype) {
    case 'float32':
      if (values instanceof Float32Array) out.set(new Uint8Array(values.buffer, values.byteOffset, n * 4));
      else for (let i = 0; i < n; i++) dv.setFloat32(i * 4, num(i), true);
      return out;
    case 'float64': for (let i = 0; i < n; i++) dv.setFloat64(i * 8, num(i), true); return out;
    case 'float16': for (let i = 0; i < n; i++) dv.setUint16(i * 2, floatToHalf(num(i)), true); return out;
    case 'bfloat16': for (let i = 0; i < n; i++) dv.setUint16(i * 2, floatToBfloat16(num(i)), true); return out;
    case 'int8': for (let i = 0; i < n; i++) dv.setInt8(i, sat(num(i), -128, 127)); return out;
    case 'uint8': for (let i = 0; i < n; i++) out[i] = sat(num(i), 0, 255); return out;
    case 'bool': for (let i = 0; i < n; i++) out[i] = num(i) ? 1 : 0; return out;
    case 'int16': for (let i = 0; i < n; i++) dv.setInt16(i * 2, sat(num(i), -32768, 32767), true); return out;
    case 'uint16': for (let i = 0; i < n; i++) dv.setUint16(i * 2, sat(num(i), 0, 65535), true); return out;
    case 'int32': for (let i = 0; i < n; i++) dv.setInt32(i * 4, sat(num(i), -(2 ** 31), 2 ** 31 - 1), true); return out;
    case 'uint32': for (let i = 0; i < n; i++) dv.setUint32(i * 4, sat(num(i), 0, 2 ** 32 - 1), true); return out;
    case 'int64':
      for (let i = 0; i < n; i++) {
        const v = (values as ArrayLike<number | bigint>)[i];
        dv.setBigInt64(i * 8, typeof v === 'bigint' ? v : BigInt(sat(v, -(2 ** 63), 2 ** 63 - 1)), true);
      }
      return out;
    case 'uint64':
      for (let i = 0; i < n; i++) {
        const v = (values as ArrayLike<number | bigint>)[i];
        dv.setBigUint64(i * 8, typeof v === 'bigint' ? v : BigInt(sat(v, 0, 2 ** 64 - 1)), true);
      }
      return out;
    case 'int4': case 'uint4': {
      const [lo, hi] = dtype === 'int4' ? [-8, 7] : [0, 15];
      for (let i = 0; i < n; i++) out[i >> 1] |= (sat(num(i), lo, hi) & 0xf) << ((i & 1) * 4);
      return out;
    }
    case 'int2': case 'uint2': {
      const [lo, hi] = dtype === 'int2' ? [-2, 1] : [0, 3];
      for (let i = 0; i < n; i++) out[i >> 2] |= (sat(num(i), lo, hi) & 0x3) << ((i & 3) * 2);
      return out;
    }
    case 'float4e2m1':
      for (let i = 0; i < n; i++) out[i >> 1] |= nearestCode(dtype, num(i)) << ((i & 1) * 4);
      return out;
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': case 'float8e8m0':
      for (let i = 0; i < n; i++) out[i] = nearestCode(dtype, num(i));
      return out;
    default:
      throw new TwinforgeError('UNSUPPORTED', `Cannot encode ${dtype} tensors.`);
  }
}

// safetensors dtype names (the format's header strings) and their dtypes.
export const SAFETENSORS_DTYPES: Record<string, DType> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8',
  U64: 'uint64', U32: 'uint32', U16: 'uint16', U8: 'uint8', BOOL: 'bool',
  F8_E4M3: 'float8e4m3fn', F8_E5M2: 'float8e5m2', F8_E8M0: 'float8e8m0', F4: 'float4e2m1',
  C64: 'complex64',
};

/** The safetensors header name of a dtype, if the format has one. */
export function safetensorsName(dtype: DType): string | undefined {
  for (const [k, v] of Object.entries(SAFETENSORS_DTYPES)) if (v === dtype) return k;
  return undefined;
}
