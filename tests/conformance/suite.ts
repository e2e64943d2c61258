// The ONNX backend test suite as packaged by Debian (libonnx-testdata): where it lives, its model
// folders, and each folder's test_data_set_0 turned into ONNX Runtime tensors. Shared by the
// conformance test and the opset up-conversion tests (the old-opset node models).
import fs from 'node:fs';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema, type TensorProto, TensorProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';

/** Where the package puts its data; TWINFORGE_ONNX_TESTDATA overrides it. */
export const SUITE_ROOT = process.env.TWINFORGE_ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';

export function suiteAvailable(): boolean {
  return fs.existsSync(SUITE_ROOT);
}

/** Every model folder (relative path, e.g. 'node/test_abs'), sorted. */
export function suiteModels(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const sub = path.join(dir, e.name);
      if (fs.existsSync(path.join(sub, 'model.onnx'))) out.push(path.relative(SUITE_ROOT, sub));
      else walk(sub);
    }
  };
  walk(SUITE_ROOT);
  return out.sort();
}

export function readProto(file: string): ModelProto {
  return fromBinary(ModelProtoSchema, fs.readFileSync(file));
}

export function opsetOf(m: ModelProto): number {
  const o = m.opsetImport.find((x) => x.domain === '' || x.domain === 'ai.onnx');
  return o ? Number(o.version) : 0;
}

const ORT_TYPES: Record<number, ort.Tensor.Type> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
const ARRAYS: Partial<Record<ort.Tensor.Type, { new (b: ArrayBuffer): ArrayBufferView; BYTES_PER_ELEMENT: number }>> = {
  float32: Float32Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  bool: Uint8Array, float16: Uint16Array, float64: Float64Array, uint32: Uint32Array, uint64: BigUint64Array,
};

/** One serialized TensorProto as an ORT tensor; undefined for types ORT's JS API cannot feed. */
export function toOrtTensor(t: TensorProto): ort.Tensor | undefined {
  const type = ORT_TYPES[t.dataType];
  if (!type) return undefined;
  const dims = t.dims.map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  if (type === 'string') return new ort.Tensor('string', t.stringData.map((s) => new TextDecoder().decode(s)), dims);
  const Arr = ARRAYS[type]!;
  let data: ArrayBufferView;
  if (t.rawData.byteLength) {
    // A copy: rawData may be a Buffer view into a pooled buffer (Buffer#slice does not copy).
    data = new Arr(Uint8Array.from(t.rawData).buffer as ArrayBuffer);
  } else {
    const buf = new Arr(new ArrayBuffer(n * Arr.BYTES_PER_ELEMENT)) as unknown as { [i: number]: number | bigint };
    const src: ArrayLike<number | bigint> =
      type === 'float32' ? t.floatData : type === 'float64' ? t.doubleData : type === 'int64' ? t.int64Data : type === 'uint64' || type === 'uint32' ? t.uint64Data : t.int32Data;
    for (let i = 0; i < n; i++) {
      const v = src[i];
      buf[i] = type === 'int64' || type === 'uint64' ? BigInt(v) : Number(v);
    }
    data = buf as unknown as ArrayBufferView;
  }
  return new ort.Tensor(type, data as ort.Tensor.DataType, dims);
}

/**
 * test_data_set_0's inputs as feeds by the model's input names (the files are in input order;
 * initializers listed as graph inputs come after the fed ones). Undefined when a file is not a
 * plain tensor (sequences, maps, optionals) or has a type ORT's JS API lacks.
 */
export function feedsOf(dir: string, m: ModelProto): Record<string, ort.Tensor> | undefined {
  const set = path.join(SUITE_ROOT, dir, 'test_data_set_0');
  if (!fs.existsSync(set)) return undefined;
  const inits = new Set(m.graph?.initializer.map((t) => t.name));
  const names = (m.graph?.input ?? []).filter((v) => !inits.has(v.name)).map((v) => v.name);
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; ; i++) {
    const f = path.join(set, `input_${i}.pb`);
    if (!fs.existsSync(f)) break;
    if (i >= names.length) return undefined;
    const vi = m.graph!.input.find((v) => v.name === names[i]);
    if (vi?.type?.value.case !== 'tensorType') return undefined;
    let t: TensorProto;
    try {
      t = fromBinary(TensorProtoSchema, fs.readFileSync(f));
    } catch {
      return undefined;
    }
    const ot = toOrtTensor(t);
    if (!ot) return undefined;
    feeds[names[i]] = ot;
  }
  return feeds;
}

/** Output name → raw bytes (strings joined) so two runs can be compared bit for bit. */
export function outputBytes(out: ort.InferenceSession.OnnxValueMapType): Record<string, { dims: number[]; bytes: Uint8Array }> {
  const res: Record<string, { dims: number[]; bytes: Uint8Array }> = {};
  for (const [k, v] of Object.entries(out)) {
    const d = v.data as ArrayBufferView | string[];
    const bytes = Array.isArray(d) ? new TextEncoder().encode(JSON.stringify(d)) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
    res[k] = { dims: [...v.dims], bytes };
  }
  return res;
}

/** Whether two outputBytes maps agree exactly (names, dims, every byte). */
export function sameBytes(a: ReturnType<typeof outputBytes>, b: ReturnType<typeof outputBytes>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.join('\0') !== kb.join('\0')) return false;
  for (const k of ka) {
    if (a[k].dims.join(',') !== b[k].dims.join(',')) return false;
    const x = a[k].bytes;
    const y = b[k].bytes;
    if (x.byteLength !== y.byteLength) return false;
    for (let i = 0; i < x.byteLength; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/** Loads a model into ORT (single thread, for repeatable bits) and runs it; throws what ORT throws. */
export async function runOrt(model: string | Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ReturnType<typeof outputBytes>> {
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  const s = typeof model === 'string' ? await ort.InferenceSession.create(model, opts) : await ort.InferenceSession.create(model, opts);
  try {
    return outputBytes(await s.run(feeds));
  } finally {
    await s.release();
  }
}
