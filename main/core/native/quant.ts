// Weight quantization: int8 per-channel symmetric (ONNX QuantizeLinear semantics) and int4
// group-wise (ONNX Runtime MatMulNBits layout), with dequantization. Weights must be finite.
import { loadAddon } from './addon';
import { callNative, PinnedBuffers, runPinnedJob, type NativeAsyncOptions, type NativeJobHandle } from './jobs';
import { axis01, f32, length, oneOf, options, shape, typedArray, u8 } from './validate';
import { badInput } from '../errors';

export interface Int8Quantized {
  q: Int8Array;
  /** One per channel: max|w| / 127 (1 for an all-zero channel). */
  scales: Float32Array;
  /** The channel axis the scales run along. */
  axis: 0 | 1;
}

export interface Int4Quantized {
  /** Nibbles, low first: MatMulNBits B [rows, cols/groupSize, groupSize/2] (= ONNX uint4 [rows, cols]). */
  packed: Uint8Array;
  /** [rows, cols/groupSize] */
  scales: Float32Array;
  /** Asymmetric only: one zero point per group, one per byte [rows, cols/groupSize] (see packInt4ZeroPoints). Symmetric: implied 8. */
  zeroPoints?: Uint8Array;
  groupSize: 32 | 64 | 128;
  symmetric: boolean;
}

interface QuantAddon {
  quantizeInt8(w: Float32Array, rows: number, cols: number, axis: number, q: Int8Array, scales: Float32Array): void;
  quantizeInt8Async(w: Float32Array, rows: number, cols: number, axis: number, q: Int8Array, scales: Float32Array, onProgress?: unknown): NativeJobHandle<void>;
  dequantizeInt8(q: Int8Array, scales: Float32Array, rows: number, cols: number, axis: number, out: Float32Array): void;
  quantizeInt4(w: Float32Array, rows: number, cols: number, group: number, symmetric: boolean, packed: Uint8Array, scales: Float32Array, zps: Uint8Array | null): void;
  quantizeInt4Async(w: Float32Array, rows: number, cols: number, group: number, symmetric: boolean, packed: Uint8Array, scales: Float32Array, zps: Uint8Array | null, onProgress?: unknown): NativeJobHandle<void>;
  dequantizeInt4(packed: Uint8Array, scales: Float32Array, zps: Uint8Array | null, rows: number, cols: number, group: number, out: Float32Array): void;
  packInt4ZeroPoints(zps: Uint8Array, rows: number, groupsPerRow: number, out: Uint8Array): void;
}
const addon = () => loadAddon() as unknown as QuantAddon;

export interface Int8Options {
  rows: number;
  cols: number;
  /** Channel axis: 0 = one scale per row ([out, in], PyTorch Linear), 1 = per column ([in, out], ONNX MatMul B). */
  axis: 0 | 1;
  out?: { q?: Int8Array; scales?: Float32Array };
}

function int8Args(weights: unknown, opts: unknown) {
  const w = f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(w, o.rows, o.cols, 'weights');
  const axis = axis01(o.axis);
  const out = options(o.out, 'out');
  const q = out.q === undefined ? new Int8Array(w.length) : typedArray(out.q, 'Int8Array', 'out.q');
  length(q, w.length, 'out.q');
  const nScales = axis === 0 ? rows : cols;
  const scales = out.scales === undefined ? new Float32Array(nScales) : f32(out.scales, 'out.scales');
  length(scales, nScales, 'out.scales');
  return { rows, cols, axis, q, scales };
}

/** int8 per-channel symmetric: scale = max|w|/127 per channel, q = clamp(round-half-even(w/scale), -127, 127). NaN/Inf are BAD_INPUT. */
export function quantizeInt8PerChannel(weights: Float32Array, opts: Int8Options): Int8Quantized {
  const a = int8Args(weights, opts);
  callNative(() => addon().quantizeInt8(weights, a.rows, a.cols, a.axis, a.q, a.scales));
  return { q: a.q, scales: a.scales, axis: a.axis };
}

/** quantizeInt8PerChannel off the JS thread, with progress and AbortSignal (for big tensors). */
export async function quantizeInt8PerChannelAsync(weights: Float32Array, opts: Int8Options, asyncOpts: NativeAsyncOptions = {}): Promise<Int8Quantized> {
  const a = int8Args(weights, opts);
  const pin = new PinnedBuffers(); // the caller may detach its arrays while the job runs
  const w = pin.own(weights);
  const q = pin.out(a.q);
  const sc = pin.out(a.scales);
  await runPinnedJob(pin, (p) => addon().quantizeInt8Async(w, a.rows, a.cols, a.axis, q, sc, p), asyncOpts);
  return { q: a.q, scales: a.scales, axis: a.axis };
}

/** w = q * scale[channel]. */
export function dequantizeInt8PerChannel(q: Int8Array, scales: Float32Array, opts: { rows: number; cols: number; axis: 0 | 1; out?: Float32Array }): Float32Array {
  typedArray(q, 'Int8Array', 'q');
  f32(scales, 'scales');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(q, o.rows, o.cols, 'q');
  const axis = axis01(o.axis);
  length(scales, axis === 0 ? rows : cols, 'scales');
  const out = o.out === undefined ? new Float32Array(q.length) : f32(o.out, 'out');
  length(out, q.length, 'out');
  callNative(() => addon().dequantizeInt8(q, scales, rows, cols, axis, out));
  return out;
}

export interface Int4Options {
  /** N (output features). */
  rows: number;
  /** K (input features, contiguous): a multiple of groupSize. */
  cols: number;
  groupSize: 32 | 64 | 128;
  /** Default true: scale = max|w|/7, zero point 8. false: range [min(w,0), max(w,0)] / 15 with a zero point per group. */
  symmetric?: boolean;
  out?: { packed?: Uint8Array; scales?: Float32Array; zeroPoints?: Uint8Array };
}

function int4Args(weights: unknown, opts: unknown) {
  const w = f32(weights, 'weights');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(w, o.rows, o.cols, 'weights');
  const groupSize = oneOf(o.groupSize, [32, 64, 128] as const, 'groupSize');
  if (cols % groupSize !== 0) {
    throw badInput(`cols (${cols}) must be a multiple of groupSize (${groupSize})`, 'Pad K to a multiple of the group size (MatMulNBits pads the same way).', { argument: 'cols' });
  }
  if (o.symmetric !== undefined && typeof o.symmetric !== 'boolean') throw badInput('symmetric must be a boolean', undefined, { argument: 'symmetric' });
  const symmetric = o.symmetric !== false;
  const out = options(o.out, 'out');
  const groups = w.length / groupSize;
  const packed = out.packed === undefined ? new Uint8Array(w.length / 2) : u8(out.packed, 'out.packed');
  length(packed, w.length / 2, 'out.packed');
  const scales = out.scales === undefined ? new Float32Array(groups) : f32(out.scales, 'out.scales');
  length(scales, groups, 'out.scales');
  let zeroPoints: Uint8Array | undefined;
  if (!symmetric) {
    zeroPoints = out.zeroPoints === undefined ? new Uint8Array(groups) : u8(out.zeroPoints, 'out.zeroPoints');
    length(zeroPoints, groups, 'out.zeroPoints');
  }
  return { rows, cols, groupSize, symmetric, packed, scales, zeroPoints };
}

/** int4 group-wise quantization along cols (K) into MatMulNBits layout; NaN/Inf are BAD_INPUT. */
export function quantizeInt4Groups(weights: Float32Array, opts: Int4Options): Int4Quantized {
  const a = int4Args(weights, opts);
  callNative(() => addon().quantizeInt4(weights, a.rows, a.cols, a.groupSize, a.symmetric, a.packed, a.scales, a.zeroPoints ?? null));
  return { packed: a.packed, scales: a.scales, zeroPoints: a.zeroPoints, groupSize: a.groupSize, symmetric: a.symmetric };
}

/** quantizeInt4Groups off the JS thread, with progress and AbortSignal. */
export async function quantizeInt4GroupsAsync(weights: Float32Array, opts: Int4Options, asyncOpts: NativeAsyncOptions = {}): Promise<Int4Quantized> {
  const a = int4Args(weights, opts);
  const pin = new PinnedBuffers();
  const w = pin.own(weights);
  const packed = pin.out(a.packed);
  const sc = pin.out(a.scales);
  const zps = a.zeroPoints ? pin.out(a.zeroPoints) : null;
  await runPinnedJob(pin, (p) => addon().quantizeInt4Async(w, a.rows, a.cols, a.groupSize, a.symmetric, packed, sc, zps, p), asyncOpts);
  return { packed: a.packed, scales: a.scales, zeroPoints: a.zeroPoints, groupSize: a.groupSize, symmetric: a.symmetric };
}

/** w = (q - zp) * scale per group (zp = 8 when zeroPoints is absent). */
export function dequantizeInt4Groups(
  quantized: Pick<Int4Quantized, 'packed' | 'scales' | 'zeroPoints' | 'groupSize'>,
  opts: { rows: number; cols: number; out?: Float32Array },
): Float32Array {
  const o = options(opts, 'opts');
  const packed = u8(quantized?.packed, 'packed');
  const scales = f32(quantized.scales, 'scales');
  const groupSize = oneOf(quantized.groupSize, [32, 64, 128] as const, 'groupSize');
  const rows = o.rows as number;
  const cols = o.cols as number;
  const n = shape({ length: packed.length * 2 } as unknown as Float32Array, rows, cols, 'packed').rows * cols;
  if (cols % groupSize !== 0) throw badInput(`cols (${cols}) must be a multiple of groupSize (${groupSize})`, undefined, { argument: 'cols' });
  length(scales, n / groupSize, 'scales');
  const zeroPoints = quantized.zeroPoints === undefined ? null : u8(quantized.zeroPoints, 'zeroPoints');
  if (zeroPoints) length(zeroPoints, n / groupSize, 'zeroPoints');
  const out = o.out === undefined ? new Float32Array(n) : f32(o.out, 'out');
  length(out, n, 'out');
  callNative(() => addon().dequantizeInt4(packed, scales, zeroPoints, rows, cols, groupSize, out));
  return out;
}

/** Zero points in MatMulNBits' layout: uint8 [rows, ceil(groupsPerRow/2)], low nibble first, each row byte-aligned. */
export function packInt4ZeroPoints(zeroPoints: Uint8Array, rows: number, groupsPerRow: number): Uint8Array {
  u8(zeroPoints, 'zeroPoints');
  shape(zeroPoints, rows, groupsPerRow, 'zeroPoints');
  const out = new Uint8Array(rows * Math.ceil(groupsPerRow / 2));
  callNative(() => addon().packInt4ZeroPoints(zeroPoints, rows, groupsPerRow, out));
  return out;
}

/** Symmetric int4 (zero point 8) as ONNX signed int4 with zero point 0: q - 8 per nibble = XOR 0x88 per byte. Returns a new array. */
export function int4ToSigned(packed: Uint8Array): Uint8Array {
  u8(packed, 'packed');
  const out = new Uint8Array(packed.length);
  for (let i = 0; i < packed.length; i++) out[i] = packed[i] ^ 0x88;
  return out;
}
