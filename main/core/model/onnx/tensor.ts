// Where a TensorProto's bytes live and how to get them: inline raw_data (a view), a payload left
// in the model file (lazy marker), an external data file (positional reads), or the typed fields
// (float_data, int32_data, ...), converted to little-endian storage on demand. Also the checks
// that make a bad tensor a clear CORRUPT_MODEL before anything reads it.
import fs from 'node:fs';
import type { TensorProto } from 'onnx-buf';
import { TwinforgeError } from '../../errors';
import { type DType, DTYPES, byteSize, dtypeFromOnnx, encodeFromNumbers } from '../dtype';
import { type ByteSource, FileSource, MemorySource, resolveInside } from '../source';
import { type LazySpan, markerIndex } from './wire';

/** Where a tensor's payload is. */
export type TensorStorageKind = 'inline' | 'lazy' | 'external' | 'typed' | 'empty';

export interface TensorPayload {
  kind: TensorStorageKind;
  byteLength: number;
  /** The source and offset the bytes are at (for inline / lazy / external); typed data is converted. */
  source: ByteSource;
  offset: number;
}

/** Largest element count Twinforge accepts in one tensor (2^40: far past any real weight). */
export const MAX_NUMEL = 2 ** 40;

function corrupt(message: string, hint = 'The model file is damaged or was written by a broken exporter; re-export it.'): TwinforgeError {
  return new TwinforgeError('CORRUPT_MODEL', message, hint);
}

/** Validated dims (int64 → number) of a tensor; refuses negative and overflowing shapes. */
export function checkedDims(dims: readonly bigint[], what: string): { dims: number[]; numel: number } {
  const out: number[] = [];
  let numel = 1;
  for (const d of dims) {
    if (d < 0n) throw corrupt(`${what} has a negative dimension (${d}).`);
    if (d > BigInt(MAX_NUMEL)) throw corrupt(`${what} has a dimension too large to be real (${d}).`);
    const n = Number(d);
    out.push(n);
    numel *= n;
    if (numel > MAX_NUMEL) throw corrupt(`${what} has dims [${dims.join(', ')}] whose element count overflows.`);
  }
  return { dims: out, numel };
}

export function tensorDType(t: TensorProto, what: string): DType {
  const d = dtypeFromOnnx(t.dataType);
  if (!d) throw corrupt(`${what} has unknown data type ${t.dataType}.`, 'The file may come from a newer ONNX version or be damaged.');
  return d;
}

/** Reads the external_data key/values of a tensor, checked. */
export function externalInfo(t: TensorProto, what: string): { location: string; offset: number; length?: number } {
  const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
  const location = kv.get('location');
  if (location === undefined) throw corrupt(`${what} says its data is external but names no location.`);
  const num = (key: string): number | undefined => {
    const v = kv.get(key);
    if (v === undefined || v === '') return undefined;
    if (!/^[0-9]+$/.test(v.trim())) throw corrupt(`${what} has external data ${key} "${v}", not a non-negative integer.`);
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n)) throw corrupt(`${what} has external data ${key} ${v}, too large.`);
    return n;
  };
  return { location, offset: num('offset') ?? 0, length: num('length') };
}

/** Byte / element count of the typed field that holds a tensor's data, if any. */
function typedCount(t: TensorProto): number {
  return t.floatData.length + t.int32Data.length + t.int64Data.length + t.doubleData.length + t.uint64Data.length + t.stringData.length;
}

/** Opens external data files of one model, each once. */
export class ExternalFiles {
  private files = new Map<string, FileSource>();
  constructor(readonly folder: string) {}
  resolve(location: string): string {
    return resolveInside(this.folder, location);
  }
  size(real: string): number {
    return fs.statSync(real).size;
  }
  get(real: string): FileSource {
    let f = this.files.get(real);
    if (!f) {
      f = new FileSource(real);
      this.files.set(real, f);
    }
    return f;
  }
  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}

export interface TensorContext {
  /** The model file (lazy payloads live there). */
  modelSource: ByteSource;
  spans: LazySpan[];
  externals: ExternalFiles;
}

/**
 * Checks a tensor and says where its bytes are: dtype known, dims sane, the data's length equal
 * to what dtype × dims needs, external data inside the model folder and inside its file.
 */
export function locatePayload(t: TensorProto, ctx: TensorContext, what: string): TensorPayload {
  const dtype = tensorDType(t, what);
  const { numel } = checkedDims(t.dims, what);
  if (t.segment) throw new TwinforgeError('UNSUPPORTED', `${what} is stored in segments, which Twinforge does not read.`, 'Re-save the model without segmented tensors.');
  if (dtype === 'string') {
    if (t.stringData.length !== numel) throw corrupt(`${what} has ${t.stringData.length} strings for ${numel} elements.`);
    return { kind: 'typed', byteLength: 0, source: new MemorySource(new Uint8Array(0), what), offset: 0 };
  }
  const need = byteSize(dtype, numel);
  const lazy = markerIndex(t.$unknown);
  if (lazy !== undefined) {
    const span = ctx.spans[lazy];
    // A marker the reader did not write is the reserved field 8191 in the file itself.
    if (!span) throw corrupt(`${what} carries protobuf field 8191, which ONNX does not define and Twinforge reserves.`);
    if (span.length !== need) throw corrupt(`${what} holds ${span.length} bytes of data, but ${dtype} [${t.dims.join(', ')}] needs ${need}.`);
    return { kind: 'lazy', byteLength: need, source: ctx.modelSource, offset: span.offset };
  }
  if (t.dataLocation === 1 || t.externalData.length > 0) {
    const ext = externalInfo(t, what);
    const real = ctx.externals.resolve(ext.location);
    const size = ctx.externals.size(real);
    const length = ext.length ?? need;
    if (length !== need) throw corrupt(`${what}: external data length ${length} disagrees with ${dtype} [${t.dims.join(', ')}] (${need} bytes).`);
    if (ext.offset + length > size) throw corrupt(`${what}: external data [${ext.offset}, ${ext.offset + length}) lies past the end of ${ext.location} (${size} bytes).`, 'The external data file is truncated or belongs to another model.');
    return { kind: 'external', byteLength: need, source: ctx.externals.get(real), offset: ext.offset };
  }
  if (t.rawData.byteLength > 0) {
    if (typedCount(t) > 0) throw corrupt(`${what} has both raw_data and typed data.`);
    if (t.rawData.byteLength !== need) throw corrupt(`${what} holds ${t.rawData.byteLength} bytes of data, but ${dtype} [${t.dims.join(', ')}] needs ${need}.`);
    return { kind: 'inline', byteLength: need, source: new MemorySource(t.rawData, what), offset: 0 };
  }
  if (typedCount(t) > 0) {
    const bytes = typedToBytes(t, dtype, numel, what);
    return { kind: 'typed', byteLength: need, source: new MemorySource(bytes, what), offset: 0 };
  }
  if (numel === 0) return { kind: 'empty', byteLength: 0, source: new MemorySource(new Uint8Array(0), what), offset: 0 };
  throw corrupt(`${what} has ${numel} elements but no data.`);
}

// Converts the typed repeated fields into the little-endian storage raw_data would hold.
function typedToBytes(t: TensorProto, dtype: DType, numel: number, what: string): Uint8Array {
  const expect = (have: number, want: number, field: string): void => {
    if (have !== want) throw corrupt(`${what} has ${have} values in ${field}, but ${dtype} [${t.dims.join(', ')}] needs ${want}.`);
  };
  const bits = DTYPES[dtype].bits;
  switch (dtype) {
    case 'float32':
      expect(t.floatData.length, numel, 'float_data');
      return encodeFromNumbers('float32', Float32Array.from(t.floatData));
    case 'complex64':
      expect(t.floatData.length, numel * 2, 'float_data');
      return encodeFromNumbers('float32', Float32Array.from(t.floatData));
    case 'float64':
      expect(t.doubleData.length, numel, 'double_data');
      return encodeFromNumbers('float64', t.doubleData);
    case 'complex128':
      expect(t.doubleData.length, numel * 2, 'double_data');
      return encodeFromNumbers('float64', t.doubleData);
    case 'int64':
      expect(t.int64Data.length, numel, 'int64_data');
      return encodeFromNumbers('int64', BigInt64Array.from(t.int64Data.map((v) => BigInt.asIntN(64, v))));
    case 'uint32': case 'uint64':
      expect(t.uint64Data.length, numel, 'uint64_data');
      return dtype === 'uint64'
        ? encodeFromNumbers('uint64', BigUint64Array.from(t.uint64Data.map((v) => BigInt.asUintN(64, v))))
        : encodeFromNumbers('uint32', t.uint64Data.map(Number));
    case 'int32': case 'int16': case 'uint16': case 'int8': case 'uint8': case 'bool':
      expect(t.int32Data.length, numel, 'int32_data');
      return encodeFromNumbers(dtype, t.int32Data);
    case 'float16': case 'bfloat16': {
      expect(t.int32Data.length, numel, 'int32_data');
      const out = new Uint8Array(numel * 2);
      const dv = new DataView(out.buffer);
      t.int32Data.forEach((v, i) => dv.setUint16(i * 2, v & 0xffff, true));
      return out;
    }
    default: {
      // 8-bit floats: one code per int32; 4- and 2-bit types: one packed byte per int32.
      const perValue = bits >= 8 ? 1 : 8 / bits;
      expect(t.int32Data.length, Math.ceil(numel / perValue), 'int32_data');
      return Uint8Array.from(t.int32Data, (v) => v & 0xff);
    }
  }
}

/** All bytes of a payload (a view for in-memory data). */
export function payloadBytes(p: TensorPayload): Uint8Array {
  return p.source.read(p.offset, p.byteLength);
}
