// Writes a twin for a Twinforge target as one folder the runtime loads (format.ts): every
// MatMul / Gemm / 1x1 Conv whose constant fp32 weight is sparse enough for Twinforge's kernels to
// pay becomes an ai.twinforge SparseLinear node (a following bias Add and Relu folded in, so an
// MLP needs no ONNX Runtime call between its layers), its weight leaves the graph and goes packed
// into weights.twsp; the rest of the graph stays as it was, for ONNX Runtime.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto, type NodeProto, type TensorProto } from 'onnx-buf';
import { TwinforgeError, badInput } from '../errors';
import { node as makeNode } from '../model/onnx/build';
import type { Pattern } from '../methods/sparsity/pattern';
import { sp24Available } from '../native/sp24';
import { encodeTwsp, packLayer, type PackedFormat, type PackedLayer } from './twsp';
import { MANIFEST_FILE, MODEL_FILE, SPARSE_DOMAIN, SPARSE_OP, TWIN_FORMAT, TWIN_FORMAT_VERSION, WEIGHTS_FILE, sha256, type TwinLayerInfo, type TwinManifest } from './format';

export interface ExportTwinOptions {
  /** The pattern each weight (by initializer name) was pruned with; found from the zeros when absent. */
  patterns?: Map<string, Pattern>;
  /**
   * 'pays' (default): only layers whose format beats dense at batch 1 on the measured kernels
   * (CSR from 70% zeros, BSR from 50% zero blocks, 2:4 on the packed 2:4 kernels, other N:M
   * keeping at most 1 of 4);
   * 'all': every sparse layer a kernel can run.
   */
  policy?: 'pays' | 'all';
  /** Recorded in the manifest. */
  parent?: string;
  createdBy?: string;
}

export interface ExportTwinResult {
  dir: string;
  manifest: TwinManifest;
  files: string[];
}

const attr = (n: NodeProto, name: string) => n.attribute.find((a) => a.name === name);
const attrInt = (n: NodeProto, name: string, def: number) => {
  const a = attr(n, name);
  return a ? Number(a.i) : def;
};
const attrInts = (n: NodeProto, name: string) => (attr(n, name)?.ints ?? []).map(Number);
const attrFloat = (n: NodeProto, name: string, def: number) => {
  const a = attr(n, name);
  return a ? a.f : def;
};

/** An fp32 initializer's values (a copy: raw_data is often unaligned). */
function floatData(t: TensorProto): Float32Array | undefined {
  if (t.dataType !== 1 || t.dataLocation === 1) return undefined;
  // Uint8Array.from copies into a buffer of its own (a Buffer's slice() would be a view of the whole file)
  if (t.rawData.byteLength) return new Float32Array(Uint8Array.from(t.rawData).buffer);
  return Float32Array.from(t.floatData);
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

/** Whether every group of 4 inputs of every row holds at most 2 nonzeros (rows = outputs). */
function fits24(w: Float32Array, rows: number, cols: number): boolean {
  if (cols % 4) return false;
  for (let i = 0; i < rows * cols; i += 4) {
    if ((w[i] !== 0 ? 1 : 0) + (w[i + 1] !== 0 ? 1 : 0) + (w[i + 2] !== 0 ? 1 : 0) + (w[i + 3] !== 0 ? 1 : 0) > 2) return false;
  }
  return true;
}

/**
 * The pattern the zeros follow when none was given: 4x4 blocks when whole blocks are zero, 2:4
 * when every group of 4 inputs keeps at most 2 and under 70% are zero (past that CSR reads
 * less), else unstructured.
 */
function detectPattern(w: Float32Array, rows: number, cols: number): Pattern {
  const p = detectBlocks(w, rows, cols);
  if (p.kind !== 'unstructured') return p;
  let zeros = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
  return zeros > 0 && zeros < 0.7 * w.length && fits24(w, rows, cols) ? { kind: 'nm', n: 2, m: 4 } : p;
}

function detectBlocks(w: Float32Array, rows: number, cols: number): Pattern {
  if (rows % 4 || cols % 4) return { kind: 'unstructured' };
  let nnz = 0;
  let blocks = 0;
  for (let R = 0; R < rows; R += 4) {
    for (let C = 0; C < cols; C += 4) {
      let any = false;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) if (w[(R + i) * cols + C + j] !== 0) {
        any = true;
        nnz++;
      }
      if (any) blocks++;
    }
  }
  return blocks > 0 && blocks * 16 <= nnz * 1.25 ? { kind: 'block', rows: 4, cols: 4 } : { kind: 'unstructured' };
}

/** The kernel format for a layer, or undefined when it should stay dense in ONNX Runtime. */
function formatFor(p: Pattern, w: Float32Array, rows: number, cols: number, policy: 'pays' | 'all'): PackedFormat | undefined {
  let zeros = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
  const sparsity = zeros / w.length;
  if (sparsity === 0) return undefined;
  if (p.kind === 'block' && rows % p.rows === 0 && cols % p.cols === 0) {
    let nnzb = 0;
    for (let R = 0; R < rows; R += p.rows) for (let C = 0; C < cols; C += p.cols) {
      let any = false;
      for (let i = 0; i < p.rows && !any; i++) for (let j = 0; j < p.cols; j++) if (w[(R + i) * cols + C + j] !== 0) any = true;
      if (any) nnzb++;
    }
    const blockSparsity = 1 - (nnzb * p.rows * p.cols) / w.length;
    return policy === 'all' || blockSparsity >= 0.5 ? 'bsr' : undefined;
  }
  // 2:4 on the packed kernels reads 53% (fp32 values) or 28% (fp16) of the dense bytes: it pays at batch 1.
  if (p.kind === 'nm' && p.n === 2 && p.m === 4 && cols % 4 === 0 && sparsity < 0.7 && sp24Available()) return '2:4';
  if (p.kind === 'nm' && cols % p.m === 0) return policy === 'all' || p.n / p.m <= 0.25 ? 'nm' : sparsity >= 0.7 ? 'csr' : undefined;
  return policy === 'all' || sparsity >= 0.7 ? 'csr' : undefined;
}

interface Candidate {
  node: NodeProto;
  from: TwinLayerInfo['from'];
  x: string;
  weight: string;
  /** Canonical [rows = outputs, cols = inputs]. */
  w: Float32Array;
  rows: number;
  cols: number;
  bias?: Float32Array;
  /** Channel axis of the activation: -1 (MatMul/Gemm) or 1 (NCHW Conv). */
  axis: number;
}

/** The layer a node computes, when Twinforge's kernels can run it as Y = X·Wᵀ (+ b). */
function candidate(n: NodeProto, inits: Map<string, TensorProto>): Candidate | undefined {
  const init = (i: number) => (n.input[i] ? inits.get(n.input[i]) : undefined);
  if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') return undefined;
  if (n.opType === 'MatMul') {
    const b = init(1);
    if (!b || init(0) || b.dims.length !== 2) return undefined;
    const [k, nOut] = b.dims.map(Number);
    const data = floatData(b);
    if (!data) return undefined;
    return { node: n, from: 'MatMul', x: n.input[0], weight: b.name, w: transpose(data, k, nOut), rows: nOut, cols: k, axis: -1 };
  }
  if (n.opType === 'Gemm') {
    const b = init(1);
    if (!b || init(0) || b.dims.length !== 2 || attrInt(n, 'transA', 0) !== 0) return undefined;
    let data = floatData(b);
    if (!data) return undefined;
    const transB = attrInt(n, 'transB', 0) === 1;
    const [d0, d1] = b.dims.map(Number);
    const rows = transB ? d0 : d1;
    const cols = transB ? d1 : d0;
    if (!transB) data = transpose(data, d0, d1);
    const alpha = attrFloat(n, 'alpha', 1);
    if (alpha !== 1) data = data.map((v) => v * alpha);
    let bias: Float32Array | undefined;
    if (n.input[2]) {
      const c = init(2);
      const cd = c && floatData(c);
      if (!cd || cd.length !== rows) return undefined;
      const beta = attrFloat(n, 'beta', 1);
      bias = beta === 1 ? cd : cd.map((v) => v * beta);
    }
    return { node: n, from: 'Gemm', x: n.input[0], weight: b.name, w: data, rows, cols, bias, axis: -1 };
  }
  if (n.opType === 'Conv') {
    const wt = init(1);
    if (!wt || init(0) || wt.dims.length !== 4) return undefined;
    const [o, c, kh, kw] = wt.dims.map(Number);
    const ones = (a: number[]) => a.every((v) => v === 1);
    if (kh !== 1 || kw !== 1 || attrInt(n, 'group', 1) !== 1 || !ones(attrInts(n, 'strides')) || !ones(attrInts(n, 'dilations')) || attrInts(n, 'pads').some((v) => v !== 0)) return undefined;
    const ap = attr(n, 'auto_pad');
    if (ap && new TextDecoder().decode(ap.s) !== 'NOTSET' && new TextDecoder().decode(ap.s) !== 'VALID') return undefined;
    const data = floatData(wt);
    if (!data) return undefined;
    let bias: Float32Array | undefined;
    if (n.input[2]) {
      const bt = init(2);
      bias = bt && floatData(bt);
      if (!bias || bias.length !== o) return undefined;
    }
    return { node: n, from: 'Conv', x: n.input[0], weight: wt.name, w: data, rows: o, cols: c, bias, axis: 1 };
  }
  return undefined;
}

/** Exports the dense-with-zeros twin `twinOnnx` as a runtime folder `outDir`. */
export function exportTwin(twinOnnx: string | Uint8Array, outDir: string, opts: ExportTwinOptions = {}): ExportTwinResult {
  const bytes = typeof twinOnnx === 'string' ? readFileSync(twinOnnx) : twinOnnx;
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new TwinforgeError('CORRUPT_MODEL', `The twin is not a readable ONNX model: ${(e as Error).message}`);
  }
  const g = model.graph;
  if (!g) throw new TwinforgeError('CORRUPT_MODEL', 'The twin ONNX model has no graph.');
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const outputs = new Set(g.output.map((o) => o.name));
  // Readers of every tensor, in the main graph and (by name) inside subgraphs.
  const readers = new Map<string, NodeProto[]>();
  const subgraphNames = new Set<string>();
  const walkSub = (n: NodeProto) => {
    for (const a of n.attribute) for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) for (const sn of sg.node) {
      sn.input.forEach((i) => subgraphNames.add(i));
      walkSub(sn);
    }
  };
  for (const n of g.node) {
    n.input.forEach((i) => i && readers.set(i, [...(readers.get(i) ?? []), n]));
    walkSub(n);
  }
  const onlyReader = (t: string): NodeProto | undefined => {
    const r = readers.get(t);
    return r && r.length === 1 && !outputs.has(t) && !subgraphNames.has(t) ? r[0] : undefined;
  };

  const policy = opts.policy ?? 'pays';
  const removed = new Set<NodeProto>();
  const replace = new Map<NodeProto, NodeProto>();
  const packed: PackedLayer[] = [];
  const layers: TwinLayerInfo[] = [];
  const used = new Set<string>();
  let denseWeightBytes = 0;
  for (const n of g.node) {
    const c = candidate(n, inits);
    if (!c || used.has(c.weight)) continue;
    // A weight read elsewhere too stays in the graph; packing it would only add bytes.
    if ((readers.get(c.weight) ?? []).length !== 1 || subgraphNames.has(c.weight)) continue;
    const p = opts.patterns?.get(c.weight) ?? detectPattern(c.w, c.rows, c.cols);
    const fmt = formatFor(p, c.w, c.rows, c.cols, policy);
    if (!fmt) continue;
    const pl = packLayer(c.weight, c.w, c.rows, c.cols, fmt, p);
    if (pl.format !== fmt) continue; // the packer fell back (shape does not fit the pattern): leave it dense
    used.add(c.weight);
    // Fold a following bias Add (constant [rows]) and Relu, when nothing else reads the tensors between.
    let out = n.output[0];
    let bias = c.bias;
    const fused: NodeProto[] = [];
    const add = onlyReader(out);
    if (!bias && add && add.opType === 'Add' && c.axis === -1) {
      const other = add.input[0] === out ? add.input[1] : add.input[0];
      const bt = inits.get(other);
      const bd = bt && floatData(bt);
      if (bd && bd.length === c.rows && bt!.dims.length >= 1 && Number(bt!.dims[bt!.dims.length - 1]) === c.rows) {
        bias = bd;
        fused.push(add);
        out = add.output[0];
      }
    }
    let activation: TwinLayerInfo['activation'] = 'none';
    const relu = onlyReader(out);
    if (relu && relu.opType === 'Relu') {
      activation = 'relu';
      fused.push(relu);
      out = relu.output[0];
    }
    if (bias) {
      pl.sections.push({ name: 'bias', dtype: 'float32', data: bias });
      pl.bytes += bias.byteLength;
    }
    packed.push(pl);
    denseWeightBytes += c.w.length * 4;
    // the runtime finds a layer by its node's name: make it unique (ONNX allows empty or repeated names)
    let name = n.name || `${c.weight}_sparse`;
    while (layers.some((l) => l.node === name)) name = `${name}_`;
    const sn = makeNode(SPARSE_OP, [c.x], [out], { layer: c.weight, axis: c.axis, activation, bias: bias ? 1 : 0 }, { name, domain: SPARSE_DOMAIN });
    replace.set(n, sn);
    fused.forEach((f) => removed.add(f));
    layers.push({ node: name, layer: c.weight, from: c.from, format: pl.format as TwinLayerInfo['format'], rows: c.rows, cols: c.cols, nnz: pl.nnz, sparsity: 1 - pl.nnz / (c.rows * c.cols), bias: !!bias, activation });
  }
  if (layers.length === 0) {
    throw badInput('The twin has no sparse MatMul / Gemm / 1x1 Conv layer that Twinforge\'s kernels run faster than dense (nothing to export for a Twinforge target).', 'Prune with at least 70% unstructured or 50% block sparsity, or export with policy \'all\'; a dense twin runs in plain ONNX Runtime.');
  }
  g.node = g.node.filter((n) => !removed.has(n)).map((n) => replace.get(n) ?? n);
  // Initializers nothing reads any more (the packed weights, folded biases) leave the graph.
  const stillRead = new Set<string>([...g.node.flatMap((n) => n.input), ...subgraphNames, ...outputs]);
  g.initializer = g.initializer.filter((t) => stillRead.has(t.name));
  g.input = g.input.filter((i) => !inits.has(i.name) || stillRead.has(i.name));
  if (!model.opsetImport.some((o) => o.domain === SPARSE_DOMAIN)) {
    const op = structuredClone(model.opsetImport[0]);
    Object.assign(op, { domain: SPARSE_DOMAIN, version: 1n });
    model.opsetImport.push(op);
  }

  mkdirSync(outDir, { recursive: true });
  const modelBytes = toBinary(ModelProtoSchema, model);
  const weightBytes = encodeTwsp(packed, { twinforge: 1, model: MODEL_FILE });
  writeFileSync(path.join(outDir, MODEL_FILE), modelBytes);
  writeFileSync(path.join(outDir, WEIGHTS_FILE), weightBytes);
  const manifest: TwinManifest = {
    format: TWIN_FORMAT,
    version: TWIN_FORMAT_VERSION,
    createdBy: opts.createdBy ?? 'twinforge',
    model: MODEL_FILE,
    weights: WEIGHTS_FILE,
    files: {
      [MODEL_FILE]: { sha256: sha256(modelBytes), bytes: modelBytes.byteLength },
      [WEIGHTS_FILE]: { sha256: sha256(weightBytes), bytes: weightBytes.byteLength },
    },
    inputs: g.input.filter((i) => !inits.has(i.name)).map((i) => i.name),
    outputs: g.output.map((o) => o.name),
    layers,
    denseWeightBytes,
    packedWeightBytes: packed.reduce((a, l) => a + l.bytes, 0),
    ...(opts.parent ? { parent: opts.parent } : {}),
  };
  writeFileSync(path.join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return { dir: outDir, manifest, files: [MODEL_FILE, WEIGHTS_FILE, MANIFEST_FILE].map((f) => path.join(outDir, f)) };
}
