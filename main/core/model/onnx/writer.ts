// ONNX writer: serializes the (edited) skeleton with onnx-buf, which keeps every field it does not
// touch (names, metadata, opset imports, doc strings, subgraphs, unknown fields), and streams the
// weights that were left in files back in. Weights go to an external data file when the model
// would pass 2 GB (or when asked / when the source had them there). Writes are atomic: temp
// files in the target folder, fsync, then rename (data file first).
import fs from 'node:fs';
import path from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { type GraphProto, ModelProtoSchema, type NodeProto, type TensorProto, StringStringEntryProtoSchema } from 'onnx-buf';
import { create } from '@bufbuild/protobuf';
import { TwinforgeError } from '../../errors';
import { type ByteSource, FileSource, sharedScratch } from '../source';
import type { OnnxModel } from './reader';
import { type TensorPayload } from './tensor';
import { LAZY_FIELD, inflateWeights, markerField, pieceLength } from './wire';

export interface OnnxSaveOptions {
  /** 'auto' (default): external data when the model would pass maxEmbeddedBytes, or when the source used it. */
  externalData?: 'auto' | 'always' | 'never';
  /** Largest single-file model written in 'auto' mode (default 2 GiB − 64 MiB, a margin below protobuf's limit). */
  maxEmbeddedBytes?: number;
  /** Tensors at least this big go to the data file when writing external data (default 1 KiB). */
  externalMinBytes?: number;
  /** Name of the data file next to the model (default: the model's file name + '.data'). */
  dataFileName?: string;
  /**
   * false: no fsync — for temporary files, or when the caller fsyncs once before committing
   * (pipeline/atomic.ts), so the kernel writes back while other work runs. Default true.
   */
  durable?: boolean;
}

export interface SaveResult {
  path: string;
  /** The external data file, when one was written. */
  dataPath?: string;
  /** Bytes of the .onnx file (and of the data file). */
  bytes: number;
  dataBytes: number;
}

const PROTOBUF_LIMIT = 2 ** 31 - 1;

// Inputs whose values ONNX shape inference reads at load time (op -> input positions; -1 = all
// from 1 on). ORT refuses a model whose such tensor lives in an external data file ("Cannot parse
// data from external tensors"), so these stay inline whatever their size.
const SHAPE_INPUTS: Record<string, number[]> = {
  Reshape: [1], Tile: [1], Expand: [1], ConstantOfShape: [0], Slice: [-1], Pad: [-1], Resize: [-1], Upsample: [1], TopK: [1],
  Squeeze: [1], Unsqueeze: [1], Split: [1], ReduceSum: [1], ReduceMean: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1],
  ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1], OneHot: [1], Range: [0, 1, 2],
  CenterCropPad: [1], Col2Im: [1, 2], DFT: [2], STFT: [1, 3], Trilu: [1], CumSum: [1],
};

/**
 * Tensors whose values shape inference reads (see SHAPE_INPUTS), in any graph: initializers used
 * at such an input and the value of a Constant node feeding one (old exporters write shapes as
 * Constant nodes).
 */
export function shapeTensors(model: OnnxModel): Set<TensorProto> {
  const out = new Set<TensorProto>();
  const inGraph = (g: GraphProto): void => {
    const names = new Set<string>();
    for (const n of g.node) {
      const pos = SHAPE_INPUTS[n.opType];
      if (pos && (n.domain === '' || n.domain === 'ai.onnx')) {
        n.input.forEach((name, i) => {
          if (name && (pos.includes(i) || (pos.includes(-1) && i >= 1))) names.add(name);
        });
      }
      for (const a of n.attribute) {
        if (a.g) inGraph(a.g);
        for (const sg of a.graphs) inGraph(sg);
      }
    }
    for (const t of g.initializer) if (names.has(t.name)) out.add(t);
    for (const n of g.node) {
      if (n.opType === 'Constant' && names.has(n.output[0])) for (const a of n.attribute) if (a.t) out.add(a.t);
    }
  };
  if (model.proto.graph) inGraph(model.proto.graph);
  return out;
}

/** Calls `fn` for every TensorProto in the model: initializers, attributes, sparse parts, subgraphs, functions. */
export function forEachTensor(model: OnnxModel, fn: (t: TensorProto) => void): void {
  const inNodes = (nodes: NodeProto[]): void => {
    for (const n of nodes) {
      for (const a of n.attribute) {
        if (a.t) fn(a.t);
        for (const t of a.tensors) fn(t);
        for (const s of [a.sparseTensor, ...a.sparseTensors]) {
          if (s?.values) fn(s.values);
          if (s?.indices) fn(s.indices);
        }
        if (a.g) inGraph(a.g);
        for (const g of a.graphs) inGraph(g);
      }
    }
  };
  const inGraph = (g: GraphProto): void => {
    for (const t of g.initializer) fn(t);
    for (const s of g.sparseInitializer) {
      if (s.values) fn(s.values);
      if (s.indices) fn(s.indices);
    }
    inNodes(g.node);
  };
  if (model.proto.graph) inGraph(model.proto.graph);
  for (const f of model.proto.functions) inNodes(f.node);
  for (const ti of model.proto.trainingInfo) {
    if (ti.initialization) inGraph(ti.initialization);
    if (ti.algorithm) inGraph(ti.algorithm);
  }
}

interface Saved {
  t: TensorProto;
  rawData: TensorProto['rawData'];
  externalData: TensorProto['externalData'];
  dataLocation: TensorProto['dataLocation'];
  unknown: TensorProto['$unknown'];
}

interface Ref {
  source: ByteSource;
  offset: number;
  length: number;
}

/** The external data files the model's tensors point to (resolved inside its folder). */
export function externalDataFiles(model: OnnxModel): string[] {
  const files = new Set<string>();
  forEachTensor(model, (t) => {
    if (t.dataLocation !== 1 && t.externalData.length === 0) return;
    const loc = t.externalData.find((e) => e.key === 'location')?.value;
    if (loc) files.add(path.resolve(model.folder, loc));
  });
  return [...files];
}

/** Writes the model to `outPath` (atomically). The model object keeps reading from its own files. */
export function saveOnnx(model: OnnxModel, outPath: string, opts: OnnxSaveOptions = {}): SaveResult {
  const target = path.resolve(outPath);
  const folder = path.dirname(target);
  if (!fs.existsSync(folder)) throw new TwinforgeError('NOT_FOUND', `Folder ${folder} does not exist.`, 'Create the folder first.');
  const mode = opts.externalData ?? 'auto';
  const extMin = opts.externalMinBytes ?? 1024;
  const dataName = opts.dataFileName ?? `${path.basename(target)}.data`;

  // Every tensor and where its bytes are now.
  const tensors: Array<{ t: TensorProto; p: TensorPayload }> = [];
  forEachTensor(model, (t) => tensors.push({ t, p: model.payload(t) }));
  let total = 0;
  let sourceHadExternal = false;
  for (const { p } of tensors) {
    if (p.kind !== 'typed') total += p.byteLength;
    if (p.kind === 'external') sourceHadExternal = true;
  }
  const external = mode === 'always' || (mode === 'auto' && (total > (opts.maxEmbeddedBytes ?? 2 ** 31 - 2 ** 26) || sourceHadExternal));

  const keepInline = external ? shapeTensors(model) : new Set<TensorProto>();
  const saved: Saved[] = [];
  const refs: Ref[] = [];
  const toData: Array<{ ref: Ref; offset: number }> = [];
  let dataSize = 0;
  const tmpTag = `.tmp-${process.pid}-${Date.now().toString(36)}`;
  const tmpModel = target + tmpTag;
  const dataPath = path.join(folder, dataName);
  const tmpData = dataPath + tmpTag;
  try {
    for (const { t, p } of tensors) {
      const movable = p.kind === 'lazy' || p.kind === 'external' || p.kind === 'inline';
      if (!movable) continue;
      const goesExternal = external && p.byteLength >= extMin && !keepInline.has(t);
      if (!goesExternal && p.kind === 'inline') continue;
      saved.push({ t, rawData: t.rawData, externalData: t.externalData, dataLocation: t.dataLocation, unknown: t.$unknown });
      const ref: Ref = { source: p.source, offset: p.offset, length: p.byteLength };
      const unknown = (t.$unknown ?? []).filter((u) => u.no !== LAZY_FIELD);
      if (goesExternal) {
        const align = p.byteLength >= 2 ** 20 ? 4096 : 64;
        const offset = Math.ceil(dataSize / align) * align;
        dataSize = offset + p.byteLength;
        toData.push({ ref, offset });
        t.rawData = new Uint8Array(0);
        t.dataLocation = 1;
        t.externalData = [
          create(StringStringEntryProtoSchema, { key: 'location', value: dataName }),
          create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
          create(StringStringEntryProtoSchema, { key: 'length', value: String(p.byteLength) }),
        ];
        t.$unknown = unknown.length ? unknown : undefined;
      } else {
        refs.push(ref);
        t.rawData = new Uint8Array(0);
        t.dataLocation = 0;
        t.externalData = [];
        t.$unknown = [...unknown, markerField(refs.length - 1)];
      }
    }
    let skeleton: Uint8Array;
    try {
      skeleton = toBinary(ModelProtoSchema, model.proto);
    } finally {
      for (const s of saved) {
        s.t.rawData = s.rawData;
        s.t.externalData = s.externalData;
        s.t.dataLocation = s.dataLocation;
        s.t.$unknown = s.unknown;
      }
    }
    const pieces = inflateWeights(skeleton, (i) => refs[i].length);
    const size = pieces.reduce((s, p) => s + pieceLength(p), 0);
    if (size > PROTOBUF_LIMIT) {
      throw new TwinforgeError('UNSUPPORTED', `The model would be ${size} bytes in one file; ONNX protobufs stop at 2 GB.`, 'Save with external data (externalData: "always").');
    }
    if (toData.length) {
      const fd = fs.openSync(tmpData, 'w');
      try {
        for (const { ref, offset } of toData) copyRange(ref, fd, offset);
        if (dataSize > 0) fs.ftruncateSync(fd, dataSize);
        if (opts.durable !== false) fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    const fd = fs.openSync(tmpModel, 'w');
    try {
      let at = 0;
      for (const p of pieces) {
        if (p.kind === 'bytes') {
          writeAll(fd, p.data, at);
          at += p.data.byteLength;
        } else if (p.kind === 'lazy') {
          copyRange(refs[p.ref], fd, at);
          at += p.length;
        }
      }
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (toData.length) fs.renameSync(tmpData, dataPath);
    fs.renameSync(tmpModel, target);
    return { path: target, dataPath: toData.length ? dataPath : undefined, bytes: size, dataBytes: dataSize };
  } catch (err) {
    for (const f of [tmpModel, tmpData]) fs.rmSync(f, { force: true });
    if (err instanceof TwinforgeError) throw err;
    throw new TwinforgeError('BAD_INPUT', `Could not write ${target}: ${(err as Error).message}`, 'Check free disk space and write permission.');
  }
}

function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.byteLength) done += fs.writeSync(fd, data, done, data.byteLength - done, position + done);
}

const CHUNK = 16 * 2 ** 20;

// Copies a weight's bytes into the output in bounded chunks (one reused buffer for files).
function copyRange(ref: Ref, fd: number, position: number): void {
  if (!(ref.source instanceof FileSource)) {
    writeAll(fd, ref.source.read(ref.offset, ref.length), position);
    return;
  }
  const buf = sharedScratch(Math.min(CHUNK, Math.max(1, ref.length)));
  for (let done = 0; done < ref.length; ) {
    const n = Math.min(buf.byteLength, ref.length - done);
    const view = buf.subarray(0, n);
    ref.source.readInto(ref.offset + done, view);
    writeAll(fd, view, position + done);
    done += n;
  }
}
