// A GraphView of an ONNX model for costing: nodes from the file, every tensor's shape from ONNX
// Runtime itself (the model runs once with all intermediates exposed as outputs), so the costs
// hold for any op ORT can run, with no shape inference of our own to drift from the runtime's.
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, TensorProto_DataType, ValueInfoProtoSchema, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { decodeToFloat32, dtypeFromOnnx } from '../model/dtype';
import { generateInputs, resolveInputs } from '../runtime/inputs';
import * as ort from 'onnxruntime-node';
import { badInput, TwinforgeError } from '../errors';
import { folderGivenForFile } from '../model/hf/folder-given';
import { buildInputModel, concreteShapes, requireResolved, type GraphFacts } from '../model/input-model';
import type { GraphNodeView, GraphView, Subgraph, TensorInfo } from './costs';
import { countNonzero } from '../native';

const ELEMENT_BYTES: Record<number, number> = {
  [TensorProto_DataType.FLOAT]: 4,
  [TensorProto_DataType.UINT8]: 1,
  [TensorProto_DataType.INT8]: 1,
  [TensorProto_DataType.UINT16]: 2,
  [TensorProto_DataType.INT16]: 2,
  [TensorProto_DataType.INT32]: 4,
  [TensorProto_DataType.INT64]: 8,
  [TensorProto_DataType.BOOL]: 1,
  [TensorProto_DataType.FLOAT16]: 2,
  [TensorProto_DataType.DOUBLE]: 8,
  [TensorProto_DataType.UINT32]: 4,
  [TensorProto_DataType.UINT64]: 8,
  [TensorProto_DataType.BFLOAT16]: 2,
};
const ORT_BYTES: Record<string, number> = { float32: 4, float16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8, bool: 1, float64: 8, bfloat16: 2 };

export interface ModelView extends GraphView {
  /** Input shapes used (given, or read from the model with symbolic dims set to 1). */
  inputShapes: Record<string, number[]>;
  notes: string[];
  /** The model's bytes, external data inlined (kept for timing and variant building). */
  bytes: Uint8Array;
  /** A weight's values as float32 (initializers and Constant nodes); undefined if not a float weight. */
  weightData(name: string): Float32Array | undefined;
}

export interface ModelViewOptions {
  /**
   * 'inline' (default): external-data weights are read into the view's bytes (timing and
   * variant building need a self-contained model). 'reference': they stay in their files — ORT
   * reads them from the model's folder without prepacking, nonzeros are counted from the files —
   * for a view used only for costing (shapes, bytes, nonzeros): one read of the weights instead
   * of several copies and two protobuf encodes of them. `bytes` is then the file as it is and
   * weightData() knows only inline weights.
   */
  externalData?: 'inline' | 'reference';
  /** Nonzeros of float initializers the caller already counted (by name): with 'reference', their files are not read again. */
  knownNonzeros?: ReadonlyMap<string, number>;
}

/** Reads external-data initializers into raw_data (ORT sessions from bytes cannot find them). */
function inlineExternalData(model: ModelProto, dir: string): boolean {
  let changed = false;
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
    const file = path.resolve(dir, kv.location ?? '');
    if (!file.startsWith(path.resolve(dir))) throw new TwinforgeError('CORRUPT_MODEL', `External data '${kv.location}' points outside the model's folder.`, 'Keep external data files next to the model.');
    const all = readFileSync(file);
    const offset = Number(kv.offset ?? 0);
    const length = kv.length !== undefined ? Number(kv.length) : all.byteLength - offset;
    t.rawData = new Uint8Array(all.subarray(offset, offset + length));
    t.dataLocation = TensorProto_DataLocation.DEFAULT;
    t.externalData = [];
    changed = true;
  }
  return changed;
}

/**
 * Nonzeros of the float32 initializers kept in external data files (unless `known` has them),
 * read in bounded chunks (one reused buffer) and counted natively. Files are resolved inside the
 * model's folder only.
 */
function externalNonzeros(model: ModelProto, dir: string, known?: ReadonlyMap<string, number>): Map<TensorProto, number> {
  const out = new Map<TensorProto, number>();
  const fds = new Map<string, number>();
  let buf = new Float32Array(0);
  try {
    for (const t of model.graph?.initializer ?? []) {
      if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL || t.dataType !== TensorProto_DataType.FLOAT) continue;
      const given = known?.get(t.name);
      if (given !== undefined) {
        out.set(t, given);
        continue;
      }
      const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
      const file = path.resolve(dir, kv.location ?? '');
      if (!file.startsWith(path.resolve(dir) + path.sep)) throw new TwinforgeError('CORRUPT_MODEL', `External data '${kv.location}' points outside the model's folder.`, 'Keep external data files next to the model.');
      let fd = fds.get(file);
      if (fd === undefined) {
        try {
          fd = openSync(file, 'r');
        } catch {
          throw new TwinforgeError('NOT_FOUND', `External data file ${file} of tensor '${t.name}' cannot be read.`, 'Keep the data file next to the model.');
        }
        fds.set(file, fd);
      }
      const numel = t.dims.reduce((a, d) => a * Number(d), 1);
      const length = kv.length !== undefined ? Number(kv.length) : numel * 4;
      let offset = Number(kv.offset ?? 0);
      let nz = 0;
      for (let left = length; left > 0; ) {
        const n = Math.min(left, 16 * 2 ** 20);
        if (buf.byteLength < n) buf = new Float32Array(16 * 2 ** 18);
        const view = new Uint8Array(buf.buffer, 0, n);
        for (let done = 0; done < n; ) {
          const got = readSync(fd, view, done, n - done, offset + done);
          if (got === 0) throw new TwinforgeError('CORRUPT_MODEL', `External data of '${t.name}' ends early in ${file}.`, 'Re-export the model.');
          done += got;
        }
        nz += countNonzero(buf.subarray(0, n >> 2));
        offset += n;
        left -= n;
      }
      out.set(t, nz);
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return out;
}

function countNonzeros(t: TensorProto): number | undefined {
  if (t.dataType !== TensorProto_DataType.FLOAT) return undefined;
  if (t.rawData && t.rawData.byteLength) {
    const raw = t.rawData;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    let nz = 0;
    for (let i = 0; i + 4 <= raw.byteLength; i += 4) if (dv.getFloat32(i, true) !== 0) nz++;
    return nz;
  }
  if (t.floatData.length) return t.floatData.filter((v) => v !== 0).length;
  return undefined;
}

function attrValue(a: { i: bigint; f: number; s: Uint8Array; ints: bigint[]; floats: number[]; type: number }): number | number[] | string {
  switch (a.type) {
    case 1:
      return a.f;
    case 2:
      return Number(a.i);
    case 3:
      return new TextDecoder().decode(a.s);
    case 6:
      return a.floats;
    case 7:
      return a.ints.map(Number);
    default:
      return '';
  }
}

/** Op types a body executes per iteration (Constants are folded at load; nested control flow counts as its own node). */
function bodyOps(graph: GraphProto | undefined): string[] {
  return (graph?.node ?? []).filter((n) => n.opType !== 'Constant').map((n) => n.opType);
}

/**
 * What a Loop / Scan / If runs per call: its body's ops and the iterations, from the trip count
 * (a constant), the scan axis length, or the length of a Loop's scan outputs; 1 when unknown.
 */
function subgraphOf(n: NodeProto, tensors: Map<string, TensorInfo>, protos: Map<string, TensorProto>): Subgraph | undefined {
  const graphAttr = (name: string) => n.attribute.find((a) => a.name === name)?.g;
  if (n.opType === 'If') {
    const [a, b] = [bodyOps(graphAttr('then_branch')), bodyOps(graphAttr('else_branch'))];
    return { ops: a.length >= b.length ? a : b, iterations: 1 };
  }
  if (n.opType === 'Loop') {
    let iterations = 0;
    const trips = n.input[0] ? protos.get(n.input[0]) : undefined;
    if (trips) {
      const raw = trips.rawData?.byteLength ? new DataView(trips.rawData.buffer, trips.rawData.byteOffset, trips.rawData.byteLength).getBigInt64(0, true) : trips.int64Data[0];
      if (raw !== undefined) iterations = Number(raw);
    }
    if (!iterations) {
      // scan outputs (after the loop-carried ones) stack one slice per iteration
      const carried = Math.max(0, n.input.length - 2);
      const scanOut = n.output.slice(carried).map((o) => tensors.get(o)?.dims[0]).find((d) => d !== undefined);
      iterations = scanOut ?? 1;
    }
    return { ops: bodyOps(graphAttr('body')), iterations: Math.max(1, iterations) };
  }
  if (n.opType === 'Scan') {
    const count = Number(n.attribute.find((a) => a.name === 'num_scan_inputs')?.i ?? 1n);
    const first = n.input[n.input.length - count];
    const axes = n.attribute.find((a) => a.name === 'scan_input_axes')?.ints;
    const axis = axes?.length ? Number(axes[0]) : 0;
    const dims = first ? tensors.get(first)?.dims : undefined;
    const iterations = dims?.length ? dims[(axis + dims.length) % dims.length] : 1;
    return { ops: bodyOps(graphAttr('body')), iterations: Math.max(1, iterations) };
  }
  return undefined;
}

/** Declared input dims, or the given ones; symbolic dims default to 1 (noted). */
export function resolveInputShapes(bytesOrModel: Uint8Array, given: Record<string, number[]> = {}): { shapes: Record<string, number[]>; notes: string[] } {
  const model = fromBinary(ModelProtoSchema, bytesOrModel);
  const g = model.graph;
  const inits = new Set(g?.initializer.map((t) => t.name));
  const facts: GraphFacts = {
    inputs: (g?.input ?? [])
      .filter((i) => !inits.has(i.name))
      .map((i) => {
        const tt = i.type?.value.case === 'tensorType' ? i.type.value.value : undefined;
        const dims = tt?.shape ? tt.shape.dim.map((d) => (d.value.case === 'dimValue' && Number(d.value.value) >= 0 ? Number(d.value.value) : d.value.case === 'dimParam' && d.value.value ? d.value.value : null)) : null;
        return { name: i.name, dtype: dtypeFromOnnx(tt?.elemType ?? 1) ?? 'float32', dims };
      }),
    nodes: (g?.node ?? []).map((n) => ({
      op: n.opType,
      inputs: n.input,
      outputs: n.output,
      attributes: Object.fromEntries(n.attribute.filter((a) => a.name === 'axis' || a.name === 'layout').map((a) => [a.name, Number(a.i)])),
    })),
    constDims: new Map((g?.initializer ?? []).map((t) => [t.name, t.dims.map(Number)])),
  };
  // The engine's input model: batch dims take 1 (one request), everything else must be known.
  const im = buildInputModel(facts, { inputShapes: given });
  // Control values steer branches, not shapes: the estimate runs with seeded values and says so.
  requireResolved(im, 'Estimating latency', { values: false });
  const shapes = concreteShapes(im)!;
  const notes: string[] = [];
  for (const i of im.inputs) {
    const b = i.dims.find((d) => d.kind === 'batch' && typeof d.declared !== 'number');
    if (b) notes.push(`input '${i.name}': batch dim ${b.axis}${b.declared ? ` (${b.declared})` : ''} set to 1 (one request at a time)`);
    if (i.role === 'control' && i.value === undefined) notes.push(`input '${i.name}' is a control value: the estimate runs it with a seeded value, so a branch it selects may differ from yours`);
  }
  return { shapes, notes };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads an ONNX model and measures every tensor's shape by running it once in ONNX Runtime with
 * all intermediates exposed. `inputShapes` fixes dynamic dimensions.
 */
export async function readModelView(src: string | Uint8Array, inputShapes: Record<string, number[]> = {}, opts: ModelViewOptions = {}): Promise<ModelView> {
  let bytes: Uint8Array;
  if (typeof src === 'string' && isDirectory(src)) throw folderGivenForFile(src, 'model', 'the latency model');
  try {
    bytes = typeof src === 'string' ? new Uint8Array(readFileSync(src)) : src;
  } catch {
    throw new TwinforgeError('NOT_FOUND', `Model file ${String(src)} cannot be read.`, 'Check the path.');
  }
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new TwinforgeError('CORRUPT_MODEL', `Not an ONNX model: ${(e as Error).message}`, 'Pass an .onnx file.');
  }
  const folder = typeof src === 'string' ? path.dirname(path.resolve(src)) : undefined;
  const reference = folder !== undefined && opts.externalData === 'reference';
  if (folder !== undefined && !reference && inlineExternalData(model, folder)) bytes = toBinary(ModelProtoSchema, model);
  if (!model.graph) throw new TwinforgeError('CORRUPT_MODEL', 'The ONNX model has no graph.', 'Re-export the model.');
  const { shapes, notes } = resolveInputShapes(bytes, inputShapes);
  const g = model.graph;
  const tensors = new Map<string, TensorInfo>();
  const external = reference ? externalNonzeros(model, folder, opts.knownNonzeros) : new Map<TensorProto, number>();
  for (const t of g.initializer) {
    tensors.set(t.name, { dims: t.dims.map(Number), elementBytes: ELEMENT_BYTES[t.dataType] ?? 4, constant: true, nonzeros: external.get(t) ?? countNonzeros(t) });
  }
  const nodes: GraphNodeView[] = g.node.map((n, i) => ({
    name: n.name || `${n.opType}_${i}`,
    op: n.opType,
    domain: n.domain || undefined,
    inputs: [...n.input],
    outputs: [...n.output],
    attrs: Object.fromEntries(n.attribute.map((a) => [a.name, attrValue(a as never)])),
  }));
  for (const n of g.node) {
    if (n.opType !== 'Constant') continue;
    const v = n.attribute.find((a) => a.name === 'value')?.t;
    tensors.set(n.output[0], { dims: v ? v.dims.map(Number) : [], elementBytes: v ? (ELEMENT_BYTES[v.dataType] ?? 4) : 4, constant: true, nonzeros: v ? countNonzeros(v) : undefined });
  }
  // A weight's DequantizeLinear output has the weight's shape, in float32 when its scale is:
  // known without exposing it (a weight-sized output would be copied out of ORT for nothing).
  const floatInits = new Set(g.initializer.filter((t) => t.dataType === TensorProto_DataType.FLOAT).map((t) => t.name));
  for (const n of g.node) {
    const w = n.opType === 'DequantizeLinear' && (n.domain === '' || n.domain === 'ai.onnx') ? tensors.get(n.input[0]) : undefined;
    if (w?.constant && floatInits.has(n.input[1]) && !n.attribute.some((a) => a.name === 'output_dtype') && n.output[0]) {
      tensors.set(n.output[0], { dims: [...w.dims], elementBytes: 4, constant: false });
    }
  }
  // Expose every intermediate, run once, read the shapes. The extra outputs go in a second
  // `graph` field appended to the bytes: protobuf parsers merge a repeated occurrence of a
  // message field into the first (repeated fields concatenate), so ORT reads the model with
  // the outputs added and the weights are never re-encoded.
  const have = new Set(g.output.map((o) => o.name));
  const extra = create(ModelProtoSchema, { graph: { output: [] } });
  for (const n of g.node) {
    for (const o of n.output) {
      if (o && !have.has(o) && !tensors.has(o)) {
        extra.graph!.output.push(create(ValueInfoProtoSchema, { name: o }));
        have.add(o);
      }
    }
  }
  const tail = toBinary(ModelProtoSchema, extra);
  const probe = new Uint8Array(bytes.byteLength + tail.byteLength);
  probe.set(bytes);
  probe.set(tail, bytes.byteLength);
  let session: ort.InferenceSession | undefined;
  try {
    // With weights by reference ORT maps them from the model's folder; prepacking (a copy of
    // every weight) buys nothing for one run.
    const session_ = reference ? { model_external_initializers_file_folder_path: folder, disable_prepacking: '1' } : {};
    session = await ort.InferenceSession.create(probe, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 2, extra: { session: { 'intra_op.allow_spinning': '0', ...session_ } } });
    for (const name of session.inputNames) if (!shapes[name]) throw badInput(`No shape for input '${name}'.`, `Give --input-shape ${name}=d1,d2,...`);
    const specs = resolveInputs(session, { inputShapes: shapes });
    const feeds = generateInputs(specs, { seed: 7 });
    for (const sp of specs) tensors.set(sp.name, { dims: sp.dims, elementBytes: ORT_BYTES[sp.type] ?? 4, constant: false });
    const out = await session.run(feeds);
    for (const [name, t] of Object.entries(out)) tensors.set(name, { dims: [...t.dims], elementBytes: ORT_BYTES[t.type] ?? 4, constant: false });
  } catch (e) {
    if (e instanceof TwinforgeError) throw e;
    throw new TwinforgeError('UNSUPPORTED', `ONNX Runtime could not run the model to measure its shapes: ${(e as Error).message}`, 'Check --input-shape for every dynamic input.');
  } finally {
    await session?.release().catch(() => undefined);
  }
  const protos = new Map<string, TensorProto>();
  for (const t of g.initializer) protos.set(t.name, t);
  for (const n of g.node) {
    const v = n.opType === 'Constant' ? n.attribute.find((a) => a.name === 'value')?.t : undefined;
    if (v) protos.set(n.output[0], v);
  }
  g.node.forEach((n, i) => {
    const sg = subgraphOf(n, tensors, protos);
    if (sg) nodes[i].subgraph = sg;
  });
  const weightData = (name: string): Float32Array | undefined => {
    const t = protos.get(name);
    if (!t) return undefined;
    const dtype = dtypeFromOnnx(t.dataType);
    if (!dtype || !/^(float32|float16|bfloat16|float64)$/.test(dtype)) return undefined;
    const numel = t.dims.reduce((a, b) => a * Number(b), 1);
    if (t.rawData?.byteLength) return decodeToFloat32(dtype, t.rawData, numel);
    if (t.floatData.length) return Float32Array.from(t.floatData);
    return undefined;
  };
  return { nodes, tensors, inputs: Object.keys(shapes), outputs: g.output.map((o) => o.name), inputShapes: shapes, notes, bytes, weightData };
}
