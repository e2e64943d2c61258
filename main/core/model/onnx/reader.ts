// ONNX reader: recognises the format by its first bytes (match), then opens it (open): big
// weight payloads stay in the file (skeleton + positional reads), the rest is decoded with
// onnx-buf, every tensor is checked, and the model is presented as the IR with lazy weights.
import fs from 'node:fs';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema, type SparseTensorProto, type TensorProto } from 'onnx-buf';
import { TwinforgeError } from '../../errors';
import { type DType, DTYPES, byteSize, countNonzeros, decodeToFloat32, encodeFromNumbers } from '../dtype';
import type { ModelIR, NodeInfo, ValueInfo, Weight, WeightChunk } from '../ir';
import { assignRoles } from '../roles';
import { type ByteSource, FileSource, MemorySource, openForRead, sharedScratch } from '../source';
import { type OnnxWeightEntry, type WalkedGraphs, valueInfoOf, walkGraphs } from './graph';
import { ExternalFiles, type TensorPayload, checkedDims, locatePayload, payloadBytes, tensorDType } from './tensor';
import { type LazySpan, stripWeights } from './wire';
import { nbitsLogical } from './nbits-view';

export interface OnnxOpenOptions {
  /** raw_data payloads at least this big stay in the file until read (default 1 KiB). */
  lazyMinBytes?: number;
  /** Files up to this size are read in one go; bigger ones by positional reads (default 64 MiB). */
  wholeFileMaxBytes?: number;
}

// ModelProto fields and their wire types (1 = ir_version varint ... 26 = configuration).
const MODEL_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2 };

/** Whether the first bytes look like an ONNX ModelProto (a run of valid ModelProto fields). */
export function matchOnnx(head: Uint8Array): boolean {
  let pos = 0;
  let fields = 0;
  const varint = (): number | undefined => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10 && pos < head.length; i++) {
      const b = head[pos++];
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 128;
    }
    return undefined;
  };
  while (pos < head.length && fields < 4) {
    const tag = varint();
    if (tag === undefined) return false;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (MODEL_FIELDS[field] !== wire) return false;
    const v = varint();
    if (v === undefined) return fields > 0;
    if (field === 1 && (v < 1 || v > 100)) return false;
    if (wire === 2) pos += v;
    fields++;
  }
  return fields > 0;
}


/** An open ONNX model: the decoded skeleton (for edits and writing) and the IR view of it. */
export class OnnxModel implements ModelIR {
  readonly format = 'onnx' as const;
  readonly path: string;
  readonly folder: string;
  proto!: ModelProto;
  /** The model file's bytes (lazy payloads are read from it). */
  readonly source: ByteSource;
  readonly spans: LazySpan[];
  readonly externals: ExternalFiles;
  nodes: NodeInfo[] = [];
  weights: Weight[] = [];
  inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];
  valueInfo: ValueInfo[] = [];
  subgraphInputs: Record<string, ValueInfo[]> = {};
  walked!: WalkedGraphs;
  private byId = new Map<string, Weight>();
  private entryById = new Map<string, OnnxWeightEntry>();
  private payloads = new WeakMap<TensorProto, TensorPayload>();

  private constructor(file: string, source: ByteSource, proto: ModelProto, spans: LazySpan[]) {
    this.path = path.resolve(file);
    this.folder = path.dirname(this.path);
    this.source = source;
    this.proto = proto;
    this.spans = spans;
    this.externals = new ExternalFiles(this.folder);
  }

  /** Opens and checks an ONNX file; weights stay lazy. Throws CORRUPT_MODEL for damaged files. */
  static open(file: string, opts: OnnxOpenOptions = {}): OnnxModel {
    const lazyMin = Math.max(16, opts.lazyMinBytes ?? 1024);
    const wholeMax = opts.wholeFileMaxBytes ?? 64 * 2 ** 20;
    const fd = openForRead(file);
    let size: number;
    try {
      size = fs.fstatSync(fd).size;
    } finally {
      fs.closeSync(fd);
    }
    if (size === 0) throw new TwinforgeError('CORRUPT_MODEL', `${file} is empty.`, 'The file was not written completely; export it again.');
    if (size >= 2 ** 31) throw new TwinforgeError('CORRUPT_MODEL', `${file} is ${size} bytes; an ONNX protobuf cannot exceed 2 GB.`, 'Models over 2 GB keep their weights in external data files.');
    const source: ByteSource = size <= wholeMax ? new MemorySource(fs.readFileSync(file), file) : new FileSource(file);
    return OnnxModel.fromSource(source, file, lazyMin);
  }

  /** Reads an ONNX model from bytes in memory; `file` says where it lives (external data resolves next to it). */
  static fromBytes(bytes: Uint8Array, file: string, opts: OnnxOpenOptions = {}): OnnxModel {
    if (bytes.byteLength === 0) throw new TwinforgeError('CORRUPT_MODEL', `${file} is empty.`, 'The file was not written completely; export it again.');
    return OnnxModel.fromSource(new MemorySource(bytes, file), file, Math.max(16, opts.lazyMinBytes ?? 1024));
  }

  private static fromSource(source: ByteSource, file: string, lazyMin: number): OnnxModel {
    try {
      const { skeleton, spans } = stripWeights(source, lazyMin);
      let proto: ModelProto;
      try {
        proto = fromBinary(ModelProtoSchema, skeleton);
      } catch (err) {
        throw new TwinforgeError('CORRUPT_MODEL', `${file} is not a valid ONNX model: ${(err as Error).message}.`, 'The file is truncated or is not an ONNX protobuf; re-export it.');
      }
      const model = new OnnxModel(file, source, proto, spans);
      model.index();
      return model;
    } catch (err) {
      source.close();
      // Allocation failures from absurd sizes are the file's fault; any other error is a bug and stays one.
      if (err instanceof RangeError) {
        throw new TwinforgeError('CORRUPT_MODEL', `${file} could not be read as ONNX: ${err.message}.`, 'The file is damaged; re-export it.');
      }
      throw err;
    }
  }

  /** A model built in memory (all tensors inline); `file` names where it would live (external data resolves there). */
  static fromProto(proto: ModelProto, file = path.join(process.cwd(), 'model.onnx')): OnnxModel {
    const model = new OnnxModel(file, new MemorySource(new Uint8Array(0), file), proto, []);
    model.index();
    return model;
  }

  get producer(): { name: string; version: string } {
    return { name: this.proto.producerName, version: this.proto.producerVersion };
  }
  get graphName(): string {
    return this.proto.graph?.name ?? '';
  }
  get irVersion(): number {
    return Number(this.proto.irVersion);
  }
  get docString(): string | undefined {
    return this.proto.docString || undefined;
  }
  get opsets(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const o of this.proto.opsetImport) out[o.domain === 'ai.onnx' ? '' : o.domain] = Number(o.version);
    return out;
  }
  get metadata(): Record<string, string> {
    return Object.fromEntries(this.proto.metadataProps.map((p) => [p.key, p.value]));
  }

  weight(id: string): Weight | undefined {
    return this.byId.get(id);
  }
  /** The file-level entry (protobuf objects) behind a weight id. */
  entry(id: string): OnnxWeightEntry | undefined {
    return this.entryById.get(id);
  }

  /** Where a tensor's bytes are (checked once, then cached). */
  payload(t: TensorProto, what = `Tensor "${t.name}"`): TensorPayload {
    let p = this.payloads.get(t);
    if (!p) {
      p = locatePayload(t, { modelSource: this.source, spans: this.spans, externals: this.externals }, what);
      this.payloads.set(t, p);
    }
    return p;
  }
  /** Forgets the cached location of a tensor whose fields were changed. */
  invalidate(t: TensorProto): void {
    this.payloads.delete(t);
  }

  /** Rebuilds nodes, weights and roles from the protobuf (after edits, or at open). */
  index(): void {
    const g = this.proto.graph;
    if (!g) throw new TwinforgeError('CORRUPT_MODEL', `${this.path} has no graph.`, 'The file is not a complete ONNX model.');
    if (this.proto.opsetImport.length === 0 && this.proto.irVersion >= 3n) {
      throw new TwinforgeError('CORRUPT_MODEL', `${this.path} declares no opset.`, 'The exporter left out opset_import; re-export the model.');
    }
    const initNames = new Set(g.initializer.map((t) => t.name));
    this.inputs = g.input.filter((v) => !initNames.has(v.name)).map(valueInfoOf);
    this.outputs = g.output.map(valueInfoOf);
    this.walked = walkGraphs(g);
    this.nodes = this.walked.nodes;
    this.valueInfo = this.walked.valueInfo;
    this.subgraphInputs = {};
    for (const [p, sg] of this.walked.graphs) if (p && sg.input.length) this.subgraphInputs[p] = sg.input.map(valueInfoOf);
    this.byId.clear();
    this.entryById.clear();
    const pre = this.walked.entries.map((e) => ({ e, acc: this.access(e) }));
    const roles = assignRoles(
      this.nodes,
      pre.map(({ e, acc }) => ({ id: e.id, name: e.name, graph: e.graph, dtype: acc.dtype, dims: acc.dims, numel: acc.numel, consumers: this.walked.consumers.get(e.id) ?? [] })),
    );
    this.weights = pre.map(({ e, acc }) => {
      const r = roles.get(e.id)!;
      const w = makeWeight(e, acc, r, this.walked.consumers.get(e.id) ?? []);
      this.byId.set(e.id, w);
      this.entryById.set(e.id, e);
      return w;
    });
    // 4-bit MatMulNBits weights count the K x N weights they encode (nbits-view.ts).
    for (const w of this.weights) {
      if (w.role !== 'matmul_nbits') continue;
      const use = w.consumers.find((c) => c.op === 'MatMulNBits' && c.input === 1);
      const node = use && this.nodes.find((n) => n.name === use.node && n.graph === use.graph);
      if (!node) continue;
      const input = (i: number) => (node.inputs[i] ? this.weights.find((x) => x.name === node.inputs[i] && x.graph === node.graph) : undefined);
      const view = nbitsLogical(w, node, input(2), input(3));
      if (view) Object.assign(w, view);
    }
  }

  // Data access for one entry: dense tensor, Constant attribute, or sparse tensor.
  private access(e: OnnxWeightEntry): Access {
    const what = e.graph ? `Weight "${e.name}" (in ${e.graph})` : `Weight "${e.name}"`;
    if (e.tensor) {
      const t = e.tensor;
      const dtype = tensorDType(t, what);
      const { dims, numel } = checkedDims(t.dims, what);
      const p = this.payload(t, what);
      const src = p.source;
      return {
        dtype,
        dims,
        numel,
        byteLength: p.byteLength,
        storage: p.kind,
        read: (o, l) => src.read(p.offset + o, l),
        readInto: src instanceof FileSource ? (o, out) => src.readInto(p.offset + o, out) : undefined,
        all: () => payloadBytes(p),
        allAsync: src instanceof FileSource ? () => src.readAsync(p.offset, p.byteLength) : undefined,
      };
    }
    if (e.sparse) return this.sparseAccess(e.sparse, what);
    const a = e.attr!;
    let dtype: DType;
    let dims: number[];
    let data: Uint8Array;
    switch (a.name) {
      case 'value_float': dtype = 'float32'; dims = []; data = encodeFromNumbers('float32', [a.f]); break;
      case 'value_floats': dtype = 'float32'; dims = [a.floats.length]; data = encodeFromNumbers('float32', a.floats); break;
      case 'value_int': dtype = 'int64'; dims = []; data = encodeFromNumbers('int64', BigInt64Array.of(a.i)); break;
      case 'value_ints': dtype = 'int64'; dims = [a.ints.length]; data = encodeFromNumbers('int64', BigInt64Array.from(a.ints)); break;
      default: throw new TwinforgeError('CORRUPT_MODEL', `${what}: Constant attribute ${a.name} has no value.`);
    }
    const numel = dims.length ? dims[0] : 1;
    return { dtype, dims, numel, byteLength: data.byteLength, storage: 'attribute', read: (o, l) => data.subarray(o, o + l), all: () => data };
  }

  private sparseAccess(s: SparseTensorProto, what: string): Access {
    if (!s.values || !s.indices) throw new TwinforgeError('CORRUPT_MODEL', `${what} is a sparse tensor without values or indices.`);
    const dtype = tensorDType(s.values, what);
    const { dims, numel } = checkedDims(s.dims, what);
    const vdims = checkedDims(s.values.dims, what);
    const idims = checkedDims(s.indices.dims, what);
    const nnz = vdims.numel;
    if (vdims.dims.length !== 1) throw new TwinforgeError('CORRUPT_MODEL', `${what}: sparse values must be 1-D, got [${vdims.dims}].`);
    const coo = idims.dims.length === 2;
    if (!(idims.dims.length === 1 && idims.numel === nnz) && !(coo && idims.dims[0] === nnz && idims.dims[1] === dims.length)) {
      throw new TwinforgeError('CORRUPT_MODEL', `${what}: sparse indices [${idims.dims}] do not fit ${nnz} values of a rank-${dims.length} tensor.`);
    }
    if (tensorDType(s.indices, what) !== 'int64') throw new TwinforgeError('CORRUPT_MODEL', `${what}: sparse indices must be int64.`);
    const vp = this.payload(s.values, `${what} (values)`);
    const ip = this.payload(s.indices, `${what} (indices)`);
    if (DTYPES[dtype].bits < 8) {
      throw new TwinforgeError('UNSUPPORTED', `${what}: sparse tensors of ${dtype} are not supported.`);
    }
    const el = byteSize(dtype, 1);
    // The dense form is what callers read; its size is not bounded by the file, so cap it.
    // Beyond the absolute cap, the dense form may not outgrow what the file stores by more than a
    // sparsity no real weight has (a 139-byte tensor must not claim gigabytes).
    const stored = vp.byteLength + ip.byteLength;
    const cap = Math.min(MAX_SPARSE_DENSE_BYTES, SPARSE_DENSE_FLOOR + SPARSE_DENSE_RATIO * stored);
    if (numel * el > cap) {
      throw new TwinforgeError('CORRUPT_MODEL', `${what} is a sparse [${dims}] tensor of ${nnz} values (${stored} bytes stored); its dense form (${numel * el} bytes) is larger than such a file can hold.`, `Twinforge reads sparse initializers up to ${SPARSE_DENSE_RATIO}× their stored size dense (2 GiB at most); re-export the model with dense weights.`);
    }
    const dense = (): Uint8Array => {
      const out = new Uint8Array(byteSize(dtype, numel));
      const vals = payloadBytes(vp);
      const idx = payloadBytes(ip);
      const dv = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
      const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
      for (let k = 0; k < nnz; k++) {
        let lin = 0;
        if (coo) for (let j = 0; j < dims.length; j++) lin += Number(dv.getBigInt64((k * dims.length + j) * 8, true)) * strides[j];
        else lin = Number(dv.getBigInt64(k * 8, true));
        if (!(lin >= 0 && lin < numel)) throw new TwinforgeError('CORRUPT_MODEL', `${what}: sparse index ${lin} is outside ${numel} elements.`);
        out.set(vals.subarray(k * el, (k + 1) * el), lin * el);
      }
      return out;
    };
    let cached: Uint8Array | undefined;
    const all = (): Uint8Array => (cached ??= dense());
    return { dtype, dims, numel, byteLength: vp.byteLength + ip.byteLength, storage: 'sparse', read: (o, l) => all().subarray(o, o + l), all };
  }

  /** Closes the model file and external data files. */
  close(): void {
    this.source.close();
    this.externals.close();
  }
}

interface Access {
  dtype: DType;
  dims: number[];
  numel: number;
  byteLength: number;
  storage: Weight['storage'];
  /** Bytes [offset, offset + length) of the dense little-endian storage. */
  read(offset: number, length: number): Uint8Array;
  /** The same into a caller's buffer (file-backed weights: streaming reuses one buffer). */
  readInto?: (offset: number, out: Uint8Array) => void;
  all(): Uint8Array;
  /** all() on the thread pool (file-backed weights). */
  allAsync?: () => Promise<Uint8Array>;
}

const DEFAULT_CHUNK = 1 << 22;
const MAX_SPARSE_DENSE_BYTES = 2 ** 31;
const SPARSE_DENSE_FLOOR = 64 * 2 ** 20; // any sparse tensor may be this large dense
const SPARSE_DENSE_RATIO = 1024; // dense bytes per stored byte past the floor (0.1% density) // elements per chunk when streaming (16 MB of float32)

function makeWeight(e: OnnxWeightEntry, acc: Access, r: ReturnType<typeof assignRoles> extends Map<string, infer R> ? R : never, consumers: Weight['consumers']): Weight {
  const w: Weight = {
    id: e.id,
    name: e.name,
    graph: e.graph,
    source: e.source,
    storage: acc.storage,
    dtype: acc.dtype,
    dims: acc.dims,
    numel: acc.numel,
    byteLength: acc.byteLength,
    role: r.role,
    isParameter: r.isParameter && acc.dtype !== 'string',
    consumers,
    bytes: () => acc.all(),
    ...(acc.allAsync ? { bytesAsync: acc.allAsync } : {}),
    byteRange: (offset, length) => acc.read(offset, length),
    float32: () => decodeToFloat32(acc.dtype, acc.all(), acc.numel),
    chunks: (max = DEFAULT_CHUNK) => chunked(acc, max),
    nonzeros: () => {
      if (acc.storage === 'sparse') {
        let n = 0;
        for (const c of chunked(acc, DEFAULT_CHUNK)) for (const v of c.values) if (v !== 0) n++;
        return n;
      }
      let n = 0;
      const scratch = acc.readInto ? sharedScratch(byteSize(acc.dtype, Math.min(acc.numel, DEFAULT_CHUNK))) : undefined;
      for (const [first, count] of ranges(acc, DEFAULT_CHUNK)) n += countNonzeros(acc.dtype, readElements(acc, first, count, scratch), count);
      return n;
    },
  };
  if (r.layout) w.layout = r.layout;
  if (r.attention) w.attention = r.attention;
  if (r.quantized) w.quantized = true;
  return w;
}

// Element ranges [first, count) of at most `max` elements, aligned to whole bytes for packed types.
function* ranges(acc: Access, max: number): Iterable<[number, number]> {
  const step = Math.max(8, max - (max % 8));
  for (let first = 0; first < acc.numel; first += step) yield [first, Math.min(step, acc.numel - first)];
}

// Storage bytes of elements [first, first + count): into `scratch` when given (file reads), else a read/view.
function readElements(acc: Access, first: number, count: number, scratch?: Uint8Array): Uint8Array {
  const start = byteSize(acc.dtype, first);
  const length = byteSize(acc.dtype, first + count) - start;
  if (scratch && acc.readInto) {
    const view = scratch.subarray(0, length);
    acc.readInto(start, view);
    return view;
  }
  return acc.read(start, length);
}

function* chunked(acc: Access, max: number): Iterable<WeightChunk> {
  // One read buffer per stream: fresh 16 MB buffers per chunk cost more in page faults than the reads.
  const scratch = acc.readInto ? new Uint8Array(byteSize(acc.dtype, Math.min(acc.numel, Math.max(8, max - (max % 8))))) : undefined;
  for (const [first, count] of ranges(acc, max)) yield { first, values: decodeToFloat32(acc.dtype, readElements(acc, first, count, scratch), count) };
}


