// Parent/twin model pairs for the twin runtime's checks (hw validate), benchmark and tests: a parent (random dense weights) and its
// pruned twin (the same weights with the smallest-magnitude entries, or 4x4 blocks, set to zero),
// both plain ONNX: the twin is what compress writes for an ONNX Runtime target (dense with
// zeros) and what exportTwin turns into a Twinforge-target folder.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorShapeProto_DimensionSchema } from 'onnx-buf';
import { buildProbeModel, mlpGraph, randomWeights, type ProbeGraph, type ProbeNode, type ProbeTensor } from '../hardware/synth';

export type Zeros =
  | { kind: 'unstructured'; level: number }
  | { kind: 'block'; level: number; rows: number; cols: number }
  /** N:M along the layer's inputs: the n largest |w| of every m consecutive inputs kept (e.g. 2:4). */
  | { kind: 'nm'; n: number; m: number };

/** The |w| below which a fraction `level` of the values lie (quantile of a strided sample). */
function threshold(abs: Float32Array, level: number): number {
  const step = Math.max(1, Math.floor(abs.length / 65536));
  const s: number[] = [];
  for (let i = 0; i < abs.length; i += step) s.push(abs[i]);
  s.sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(level * s.length))];
}

/** Keeps the n largest |v| of `len` values at `at`, `at + stride`, ... (zeros the rest). */
function keepLargest(w: Float32Array, at: number, stride: number, len: number, keep: number): void {
  const idx = Array.from({ length: len }, (_, i) => at + i * stride).sort((a, b) => Math.abs(w[b]) - Math.abs(w[a]));
  for (let i = keep; i < len; i++) w[idx[i]] = 0;
}

/**
 * A copy of a [K, N] weight pruned by magnitude: single values, whole blocks by their L1 norm,
 * or N:M groups along the inputs (`inputAxis` 0: the K rows, as a MatMul weight stores them;
 * 1: the N columns, as a Conv or transposed Gemm weight does).
 */
export function pruneWeight(w: Float32Array, k: number, n: number, z: Zeros, inputAxis: 0 | 1 = 0): Float32Array {
  const out = w.slice();
  if (z.kind === 'nm') {
    if (inputAxis === 0) {
      for (let c = 0; c < n; c++) for (let g = 0; g < k; g += z.m) keepLargest(out, g * n + c, n, Math.min(z.m, k - g), z.n);
    } else {
      for (let r = 0; r < k; r++) for (let g = 0; g < n; g += z.m) keepLargest(out, r * n + g, 1, Math.min(z.m, n - g), z.n);
    }
    return out;
  }
  if (z.kind === 'unstructured') {
    const t = threshold(out.map(Math.abs), z.level);
    for (let i = 0; i < out.length; i++) if (Math.abs(out[i]) < t) out[i] = 0;
    return out;
  }
  const { rows: bh, cols: bw } = z;
  const nb = Math.ceil(k / bh) * Math.ceil(n / bw);
  const score = new Float32Array(nb);
  const bcols = Math.ceil(n / bw);
  for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) score[Math.floor(r / bh) * bcols + Math.floor(c / bw)] += Math.abs(out[r * n + c]);
  const t = threshold(score, z.level);
  for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) if (score[Math.floor(r / bh) * bcols + Math.floor(c / bw)] < t) out[r * n + c] = 0;
  return out;
}

/** A probe model whose inputs' and outputs' first dim is the symbolic 'batch' (any batch size runs). */
function withBatchDim(g: ProbeGraph): Uint8Array {
  const m = fromBinary(ModelProtoSchema, buildProbeModel(g));
  for (const v of [...m.graph!.input, ...m.graph!.output]) {
    const t = v.type?.value;
    if (t?.case === 'tensorType' && t.value.shape?.dim.length) t.value.shape.dim[0] = create(TensorShapeProto_DimensionSchema, { value: { case: 'dimParam', value: 'batch' } });
  }
  return toBinary(ModelProtoSchema, m);
}

/**
 * An ONNX model with its MatMul / Gemm / 1x1 Conv float weight initializers pruned (in their
 * stored 2-D view; 4x4 blocks stay 4x4 blocks transposed): `only` limits it to those weights.
 */
export function pruneModelLinears(bytes: Uint8Array, zeros: Zeros, only?: Set<string>): { twin: Uint8Array; pruned: string[] } {
  const m = fromBinary(ModelProtoSchema, bytes);
  const g = m.graph!;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const pruned: string[] = [];
  for (const n of g.node) {
    if (!['MatMul', 'Gemm', 'Conv'].includes(n.opType)) continue;
    const t = inits.get(n.input[1]);
    if (!t || t.dataType !== 1 || !t.rawData.byteLength || pruned.includes(t.name) || (only && !only.has(t.name))) continue;
    const dims = t.dims.map(Number);
    if (!(dims.length === 2 || (n.opType === 'Conv' && dims.length === 4 && dims[2] === 1 && dims[3] === 1))) continue;
    const w = new Float32Array(Uint8Array.from(t.rawData).buffer);
    // the inputs are the first axis of a MatMul weight, the second of a Conv or transB Gemm one
    const transB = n.attribute.find((a) => a.name === 'transB')?.i;
    const inputAxis = n.opType === 'Conv' || (n.opType === 'Gemm' && Number(transB ?? 0n) === 1) ? 1 : 0;
    t.rawData = new Uint8Array(pruneWeight(w, dims[0], w.length / dims[0], zeros, inputAxis).buffer as ArrayBuffer);
    pruned.push(t.name);
  }
  return { twin: toBinary(ModelProtoSchema, m), pruned };
}

export interface ParentAndTwin {
  parent: Uint8Array;
  twin: Uint8Array;
  inputShapes: Record<string, number[]>;
}

/** An MLP of MatMul + Add + Relu layers (widths[0] -> ... -> widths[last]); batch dim symbolic. */
export function mlpPair(widths: number[], zeros: Zeros, seed = 7): ParentAndTwin {
  const build = (prune: boolean) => withBatchDim(mlpGraph(1, widths, seed, prune ? (w, k, n) => pruneWeight(w, k, n, zeros) : undefined));
  return { parent: build(false), twin: build(true), inputShapes: { x: [1, widths[0]] } };
}

/**
 * A one-block transformer encoder (pre-LayerNorm, single-head attention, ReLU FFN) on x [B, T, D]:
 * Q/K/V/output projections and both FFN layers are the sparse linears; LayerNorm, attention
 * scores, Softmax and the residual Adds stay for ONNX Runtime.
 */
export function transformerPair(d: number, t: number, zeros: Zeros, seed = 21): ParentAndTwin {
  const build = (prune: boolean) => {
    const inits: ProbeTensor[] = [];
    const nodes: ProbeNode[] = [];
    const lin = (name: string, x: string, k: number, n: number, out: string, relu = false) => {
      const w = randomWeights(k * n, seed + inits.length);
      inits.push({ name: `${name}.W`, dims: [k, n], dtype: 'float32', data: prune ? pruneWeight(w, k, n, zeros) : w });
      inits.push({ name: `${name}.b`, dims: [n], dtype: 'float32', data: randomWeights(n, seed + 500 + inits.length) });
      nodes.push({ op: 'MatMul', inputs: [x, `${name}.W`], outputs: [`${name}.mm`] });
      nodes.push({ op: 'Add', inputs: [`${name}.mm`, `${name}.b`], outputs: [relu ? `${name}.pre` : out] });
      if (relu) nodes.push({ op: 'Relu', inputs: [`${name}.pre`], outputs: [out] });
    };
    const ones = new Float32Array(d).fill(1);
    inits.push({ name: 'ln.g', dims: [d], dtype: 'float32', data: ones }, { name: 'ln.b', dims: [d], dtype: 'float32', data: new Float32Array(d) });
    inits.push({ name: 'scale', dims: [], dtype: 'float32', data: new Float32Array([1 / Math.sqrt(d)]) });
    nodes.push({ op: 'LayerNormalization', inputs: ['x', 'ln.g', 'ln.b'], outputs: ['h0'], attrs: { axis: -1 } });
    lin('q', 'h0', d, d, 'q');
    lin('k', 'h0', d, d, 'k');
    lin('v', 'h0', d, d, 'v');
    nodes.push({ op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: { perm: [0, 2, 1] } });
    nodes.push({ op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s0'] });
    nodes.push({ op: 'Mul', inputs: ['s0', 'scale'], outputs: ['s1'] });
    nodes.push({ op: 'Softmax', inputs: ['s1'], outputs: ['p'], attrs: { axis: -1 } });
    nodes.push({ op: 'MatMul', inputs: ['p', 'v'], outputs: ['att'] });
    lin('o', 'att', d, d, 'ao');
    nodes.push({ op: 'Add', inputs: ['x', 'ao'], outputs: ['r1'] });
    nodes.push({ op: 'LayerNormalization', inputs: ['r1', 'ln.g', 'ln.b'], outputs: ['h1'], attrs: { axis: -1 } });
    lin('ff1', 'h1', d, 4 * d, 'f1', true);
    lin('ff2', 'f1', 4 * d, d, 'f2');
    nodes.push({ op: 'Add', inputs: ['r1', 'f2'], outputs: ['y'] });
    return withBatchDim({ inputs: [{ name: 'x', dims: [1, t, d] }], outputs: [{ name: 'y', dims: [1, t, d] }], initializers: inits, nodes });
  };
  return { parent: build(false), twin: build(true), inputShapes: { x: [1, t, d] } };
}
