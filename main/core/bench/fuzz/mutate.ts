// The seeded mutators of the fuzz harness. Byte-level ones (bit flips, overwrites, truncations,
// insertions, duplicated spans, huge varints) work on any file; structural ones build inputs a
// byte flip rarely reaches: graphs of shape ops with extreme integer constants, hostile
// external-data locations, safetensors headers with bad fields, and tar archives with bad entries.
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { graphProto, modelProto, node, tensorProto, valueInfo, type AttrInit } from '../../model/onnx/build';
import type { Dim } from '../../model/ir';

export type Rand = () => number;

/** A small, fast, seeded PRNG (mulberry32). */
export function seeded(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (r: Rand, n: number): number => Math.floor(r() * n);
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** One byte-level mutation of `src`; returns the new bytes and its name. */
export function mutateBytes(src: Uint8Array, r: Rand): { bytes: Uint8Array; how: string } {
  const n = Math.max(1, src.byteLength);
  const out = Buffer.from(src);
  const at = int(r, n);
  const len = 1 + int(r, 16);
  switch (int(r, 8)) {
    case 0: {
      const flips = 1 + int(r, 8);
      for (let i = 0; i < flips && out.length; i++) out[int(r, out.length)] ^= 1 << int(r, 8);
      return { bytes: out, how: `bitflip x${flips}` };
    }
    case 1:
      for (let i = 0; i < len && at + i < out.length; i++) out[at + i] = int(r, 256);
      return { bytes: out, how: `overwrite ${at}+${len}` };
    case 2:
      return { bytes: out.subarray(0, at), how: `truncate ${at}` };
    case 3:
      return { bytes: Buffer.concat([out.subarray(0, at), Buffer.from(Array.from({ length: len }, () => int(r, 256))), out.subarray(at)]), how: `insert ${at}+${len}` };
    case 4: {
      const from = int(r, n);
      return { bytes: Buffer.concat([out.subarray(0, at), out.subarray(from, from + len * 8), out.subarray(at)]), how: `duplicate ${from}->${at}` };
    }
    case 5:
      // A huge varint where a length or tag was: continuation bits, then a big top byte.
      for (let i = 0; i < 9 && at + i < out.length; i++) out[at + i] = 0xff;
      if (at + 9 < out.length) out[at + 9] = pick(r, [0x01, 0x7f, 0x0f]);
      return { bytes: out, how: `varint ${at}` };
    case 6:
      if (out.length) out[at % out.length] = pick(r, [0x00, 0x7f, 0x80, 0xff]);
      return { bytes: out, how: `byte ${at}` };
    default: {
      // Several mutations at once.
      let b: Uint8Array = out;
      const k = 2 + int(r, 3);
      for (let i = 0; i < k; i++) b = mutateBytes(b, r).bytes;
      return { bytes: b, how: `multi x${k}` };
    }
  }
}

const EXTREME = [0, 1, -1, 2, 3, 7, 64, -64, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
const SHAPE_OPS = ['Slice', 'Concat', 'Reshape', 'Gather', 'Range', 'Expand', 'Tile', 'Pad', 'Unsqueeze', 'Squeeze', 'Split', 'TopK', 'ConstantOfShape', 'Resize', 'Add', 'Mul', 'Div', 'Sub', 'Where', 'Equal', 'Max', 'Min', 'Transpose', 'Flatten', 'ReduceSum', 'Conv', 'MatMul', 'Gemm', 'MaxPool', 'Size', 'Cast', 'Identity', 'ArgMax', 'LSTM'];

/** A graph of shape and math ops fed by extreme int64 constants and odd declared shapes. */
export function craftedGraph(r: Rand): Uint8Array {
  const dim = (): Dim => (r() < 0.15 ? pick(r, ['N', 'seq', null]) : pick(r, [0, 1, 2, 3, 4, 8, 16, 1 << 20, 2 ** 31]));
  const rank = 1 + int(r, 4);
  const xShape = Array.from({ length: rank }, dim);
  const inits = [];
  const values: string[] = ['x'];
  const consts: string[] = [];
  for (let i = 0; i < 1 + int(r, 5); i++) {
    const n = int(r, 5);
    const name = `k${i}`;
    const data = Array.from({ length: n }, () => pick(r, EXTREME));
    inits.push(tensorProto(name, 'int64', [n], BigInt64Array.from(data.map((v) => BigInt(Math.trunc(v))))));
    consts.push(name);
  }
  const nodes = [node('Shape', ['x'], ['s0'])];
  values.push('s0');
  consts.push('s0');
  const steps = 2 + int(r, 10);
  for (let i = 1; i <= steps; i++) {
    const op = pick(r, SHAPE_OPS);
    const arity = 1 + int(r, 5);
    const ins = Array.from({ length: arity }, (_, j) => (j === 0 ? pick(r, r() < 0.5 ? consts : values) : pick(r, [...consts, ...values, ''])));
    const attrs: Record<string, AttrInit> = {};
    if (r() < 0.5) attrs.axis = pick(r, [-3, -1, 0, 1, 2, 5, 1 << 30]);
    if (r() < 0.2) attrs.perm = Array.from({ length: 1 + int(r, 4) }, () => int(r, 6) - 1);
    if (r() < 0.2) attrs.kernel_shape = [pick(r, [0, 1, 3, 1 << 20]), pick(r, [1, 3])];
    if (r() < 0.2) attrs.axes = { ints: [pick(r, [-1, 0, 1, 9])] };
    if (r() < 0.1) attrs.keepdims = 0;
    const out = `v${i}`;
    nodes.push(node(op, ins, r() < 0.15 ? [out, `${out}b`] : [out], attrs, { name: r() < 0.2 ? 'same' : `n${i}` }));
    values.push(out);
    if (r() < 0.6) consts.push(out);
  }
  const last = values[values.length - 1];
  const vi = r() < 0.3 ? [valueInfo(pick(r, values), 'int64', Array.from({ length: int(r, 4) }, dim))] : [];
  return toBinary(
    ModelProtoSchema,
    modelProto({ opsets: { '': pick(r, [7, 11, 13, 17, 21]) }, graph: graphProto({ name: 'crafted', inputs: [valueInfo('x', 'float32', xShape)], outputs: [valueInfo(last, 'int64', null)], initializers: inits, nodes, valueInfo: vi }) }),
  );
}

/** External-data locations and offsets that must all be refused or read safely. */
export const HOSTILE_LOCATIONS = ['../outside.bin', '/etc/passwd', 'C:\\Windows\\win.ini', 'a/../../b.bin', 'w.bin\0.txt', 'link.bin', '', '.', 'sub/../../x', 'CON', '/dev/zero', 'w.bin', 'x'.repeat(5000), '..\\..\\x', 'nested/../w.bin'];

/** A tensor stored "externally" at a hostile location, offset or length. */
export function externalDataModel(r: Rand): { model: Uint8Array; location: string } {
  const location = pick(r, HOSTILE_LOCATIONS);
  const t = tensorProto('w', 'float32', [4], [1, 2, 3, 4]);
  t.rawData = new Uint8Array(0);
  t.dataLocation = 1;
  const kv = (key: string, value: string) => ({ $typeName: 'onnx.StringStringEntryProto', key, value });
  const entries = [kv('location', location)];
  if (r() < 0.6) entries.push(kv('offset', String(pick(r, [0, 4, 16, 2 ** 40, -1, 'abc', '1e9', '99999999999999999999']))));
  if (r() < 0.6) entries.push(kv('length', String(pick(r, [16, 0, 8, 2 ** 31, -16, 'x']))));
  t.externalData = entries as never;
  const model = toBinary(
    ModelProtoSchema,
    modelProto({ opsets: { '': 13 }, graph: graphProto({ name: 'ext', inputs: [valueInfo('x', 'float32', [4])], outputs: [valueInfo('y', 'float32', [4])], initializers: [t], nodes: [node('Add', ['x', 'w'], ['y'])] }) }),
  );
  return { model, location };
}

const ST_DTYPES = ['F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'F6_E2M3', 'C64', 'Q4', '', 'f32'];

/** A safetensors file whose header has hostile fields (or a broken length prefix). */
export function hostileSafetensors(r: Rand): Uint8Array {
  const header: Record<string, unknown> = {};
  const count = int(r, 6);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const shape = Array.from({ length: int(r, 4) }, () => pick(r, [0, 1, 2, 3, 8, 2 ** 20, 2 ** 40, -1, 1.5]));
    const len = pick(r, [0, 4, 16, 32, 2 ** 40]);
    const off = r() < 0.7 ? [at, at + len] : pick(r, [[len, 0], [0, -4], [0], ['0', '4'], null, [0, 2 ** 60]]);
    header[r() < 0.1 ? '__metadata__' : `t${i}`] = r() < 0.1 ? pick(r, [null, 7, 'x', [], { dtype: 'F32' }]) : { dtype: pick(r, ST_DTYPES), shape, data_offsets: off };
    at += typeof len === 'number' && len < 1024 ? len : 0;
  }
  if (r() < 0.2) header.__metadata__ = pick(r, [{ a: 1 }, { a: 'b' }, 'x', null]);
  let json = Buffer.from(JSON.stringify(r() < 0.05 ? pick(r, [[], 'x', 5, null]) : header));
  if (r() < 0.05) json = Buffer.from('['.repeat(100000));
  const data = Buffer.alloc(Math.min(at, 4096), 0x3f);
  const out = Buffer.alloc(8 + json.length + data.length);
  const declared = r() < 0.8 ? BigInt(json.length) : BigInt(pick(r, [0, 1, json.length + 5, 2 ** 40, 100 * 2 ** 20 + 1]));
  out.writeBigUInt64LE(declared, 0);
  json.copy(out, 8);
  data.copy(out, 8 + json.length);
  return out;
}
