// Probe models: tiny ONNX graphs built in memory so the latency model can be calibrated and the
// explainer's verdicts measured on the real runtime (one op at a time, dense vs variant). This is
// not the model writer: it builds only the few single-op graphs that timing needs.
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type GraphProto } from 'onnx-buf';
import { graphProto, modelProto, node, tensorProto, valueInfo, type AttrInit } from '../model/onnx/build';
import { nBlocks, quantizeNBits } from '../model/onnx/nbits';

export type ProbeDtype = 'float32' | 'int8' | 'uint8' | 'int32' | 'int64' | 'float16' | 'bfloat16' | 'bool';

export interface ProbeTensor {
  name: string;
  dims: number[];
  dtype: ProbeDtype;
  data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

/** An attribute: int, ints, string, float, or a subgraph (the body of Loop / Scan / If). */
export type ProbeAttr = number | number[] | string | { float: number } | { graph: ProbeGraph };

export interface ProbeNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, ProbeAttr>;
  domain?: string;
}

export interface ProbeValue {
  name: string;
  dims: number[];
  /** Default float32. */
  dtype?: ProbeDtype;
}

export interface ProbeGraph {
  inputs: ProbeValue[];
  outputs: ProbeValue[];
  initializers: ProbeTensor[];
  nodes: ProbeNode[];
}

// Probe attributes are typed by their form: a number is INT, an array INTS, {float} FLOAT.
function attr(key: string, v: ProbeAttr): AttrInit {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return { i: v };
  if (Array.isArray(v)) return { ints: v };
  return 'graph' in v ? graphOf(v.graph, key) : { f: v.float };
}

// Built with the one ONNX graph builder (model/onnx/build.ts).
function graphOf(g: ProbeGraph, name: string): GraphProto {
  const bytes = (t: ProbeTensor) => new Uint8Array(t.data.buffer as ArrayBuffer, t.data.byteOffset, t.data.byteLength);
  return graphProto({
    name,
    inputs: g.inputs.map((i) => valueInfo(i.name, i.dtype ?? 'float32', i.dims)),
    outputs: g.outputs.map((o) => valueInfo(o.name, o.dtype ?? 'float32', o.dims)),
    initializers: g.initializers.map((t) => tensorProto(t.name, t.dtype, t.dims, { bytes: bytes(t) })),
    nodes: g.nodes.map((n, i) =>
      node(n.op, n.inputs, n.outputs, Object.fromEntries(Object.entries(n.attrs ?? {}).map(([k, v]) => [k, attr(k, v)])), { name: `${name}_${n.op}_${i}`, ...(n.domain ? { domain: n.domain } : {}) }),
    ),
  });
}

/** Serialises a probe graph to ONNX bytes (opset 17 + com.microsoft 1). */
export function buildProbeModel(g: ProbeGraph): Uint8Array {
  const model = modelProto({ graph: graphOf(g, 'twinforge-probe'), opsets: { '': 17, 'com.microsoft': 1 }, irVersion: 8, producer: { name: 'twinforge-probe', version: '' } });
  return toBinary(ModelProtoSchema, model);
}

/** Deterministic pseudo-random fill (xorshift), so probes are reproducible and never all-zero. */
export function randomWeights(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296 - 0.5) * 0.1;
  }
  return out;
}

/** Zeroes a fraction of a [K, N] weight so that the pattern holds: unstructured, n:m along K, or whole columns. */
export function applyZeros(w: Float32Array, k: number, n: number, spec: { kind: 'unstructured' | 'nm' | 'block' | 'channels'; level: number; n?: number; m?: number; bh?: number; bw?: number }): Float32Array {
  const out = w.slice();
  if (spec.kind === 'unstructured') {
    const step = 1 / Math.max(1e-9, spec.level);
    // evenly spread zeros by a deterministic stride; the runtime cannot tell them from random ones
    let acc = 0;
    for (let i = 0; i < out.length; i++) {
      acc += spec.level;
      if (acc >= 1) {
        out[i] = 0;
        acc -= 1;
      }
    }
    void step;
  } else if (spec.kind === 'nm') {
    const nn = spec.n ?? 2;
    const mm = spec.m ?? 4;
    for (let col = 0; col < n; col++) {
      for (let r0 = 0; r0 < k; r0 += mm) {
        for (let j = nn; j < mm && r0 + j < k; j++) out[(r0 + j) * n + col] = 0;
      }
    }
  } else if (spec.kind === 'block') {
    const bh = spec.bh ?? 4;
    const bw = spec.bw ?? 4;
    let acc = 0;
    for (let r0 = 0; r0 < k; r0 += bh) {
      for (let c0 = 0; c0 < n; c0 += bw) {
        acc += spec.level;
        if (acc < 1) continue;
        acc -= 1;
        for (let r = r0; r < Math.min(k, r0 + bh); r++) for (let c = c0; c < Math.min(n, c0 + bw); c++) out[r * n + c] = 0;
      }
    }
  } else {
    const drop = Math.round(n * spec.level);
    for (let r = 0; r < k; r++) for (let c = n - drop; c < n; c++) out[r * n + c] = 0;
  }
  return out;
}

/** One MatMul y = x·W with x [M, K], W [K, N] (weights given or random). */
export function matmulProbe(m: number, k: number, n: number, weights?: Float32Array): Uint8Array {
  return buildProbeModel({
    inputs: [{ name: 'x', dims: [m, k] }],
    outputs: [{ name: 'y', dims: [m, n] }],
    initializers: [{ name: 'W', dims: [k, n], dtype: 'float32', data: weights ?? randomWeights(k * n, k + n) }],
    nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] }],
  });
}

/** Symmetric per-column int8 quantisation of a [K, N] weight (scale per output channel). */
export function quantizeInt8PerColumn(w: Float32Array, k: number, n: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    let mx = 0;
    for (let r = 0; r < k; r++) mx = Math.max(mx, Math.abs(w[r * n + c]));
    scales[c] = mx > 0 ? mx / 127 : 1;
  }
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) q[r * n + c] = Math.max(-127, Math.min(127, Math.round(w[r * n + c] / scales[c])));
  return { q, scales };
}

/** y = x·W with W int4 group-wise (block 32..128) through ORT's MatMulNBits, accuracy_level 4 (int8 compute). */
export function int4MatmulProbe(m: number, k: number, n: number, block = 128, weights?: Float32Array): Uint8Array {
  const w = weights ?? randomWeights(k * n, k + n);
  // The one JS int4 packer (model/onnx/nbits.ts), in MatMulNBits' layout.
  const { packed, scales } = quantizeNBits(w, k, n, block);
  const blocks = nBlocks(k, block);
  return buildProbeModel({
    inputs: [{ name: 'x', dims: [m, k] }],
    outputs: [{ name: 'y', dims: [m, n] }],
    initializers: [
      { name: 'Wq', dims: [n, blocks, block / 2], dtype: 'uint8', data: packed },
      { name: 'Ws', dims: [n * blocks], dtype: 'float32', data: scales },
    ],
    nodes: [{ op: 'MatMulNBits', domain: 'com.microsoft', inputs: ['x', 'Wq', 'Ws'], outputs: ['y'], attrs: { K: k, N: n, bits: 4, block_size: block, accuracy_level: 4 } }],
  });
}

/** A chain of `count` cheap elementwise nodes on a [1, width] tensor: isolates ORT's per-node cost. */
export function chainProbe(count: number, width = 16, op = 'Relu'): Uint8Array {
  const nodes: ProbeNode[] = [];
  let prev = 'x';
  for (let i = 0; i < count; i++) {
    const out = i === count - 1 ? 'y' : `t${i}`;
    nodes.push({ op, inputs: [prev], outputs: [out] });
    prev = out;
  }
  if (count === 0) nodes.push({ op: 'Identity', inputs: ['x'], outputs: ['y'] });
  return buildProbeModel({ inputs: [{ name: 'x', dims: [1, width] }], outputs: [{ name: 'y', dims: [1, width] }], initializers: [], nodes });
}

/** A chain of `count` MatMuls [1, width] x [width, width]: ORT's cost per (threaded) matmul node. */
export function matmulChainProbe(count: number, width = 32, batch = 1): Uint8Array {
  const nodes: ProbeNode[] = [];
  const inits: ProbeTensor[] = [{ name: 'W', dims: [width, width], dtype: 'float32', data: randomWeights(width * width, 5) }];
  let prev = 'x';
  for (let i = 0; i < count; i++) {
    const out = i === count - 1 ? 'y' : `t${i}`;
    nodes.push({ op: 'MatMul', inputs: [prev, 'W'], outputs: [out] });
    prev = out;
  }
  return buildProbeModel({ inputs: [{ name: 'x', dims: [batch, width] }], outputs: [{ name: 'y', dims: [batch, width] }], initializers: inits, nodes });
}

/**
 * The graph of an MLP of MatMul+Add+Relu layers, widths[0] -> widths[1] -> ...; `weight` may change
 * each layer's random weight [k, n] (a twin's pruning).
 */
export function mlpGraph(batch: number, widths: number[], seed = 7, weight?: (w: Float32Array, k: number, n: number) => Float32Array): ProbeGraph {
  const nodes: ProbeNode[] = [];
  const inits: ProbeTensor[] = [];
  let prev = 'x';
  for (let l = 0; l + 1 < widths.length; l++) {
    const k = widths[l];
    const n = widths[l + 1];
    const w = randomWeights(k * n, seed + l);
    inits.push({ name: `W${l}`, dims: [k, n], dtype: 'float32', data: weight ? weight(w, k, n) : w });
    inits.push({ name: `b${l}`, dims: [n], dtype: 'float32', data: randomWeights(n, seed + 100 + l) });
    const last = l + 2 === widths.length;
    nodes.push({ op: 'MatMul', inputs: [prev, `W${l}`], outputs: [`mm${l}`] });
    nodes.push({ op: 'Add', inputs: [`mm${l}`, `b${l}`], outputs: [last ? 'y' : `a${l}`] });
    if (!last) nodes.push({ op: 'Relu', inputs: [`a${l}`], outputs: [`h${l}`] });
    prev = `h${l}`;
  }
  return {
    inputs: [{ name: 'x', dims: [batch, widths[0]] }],
    outputs: [{ name: 'y', dims: [batch, widths[widths.length - 1]] }],
    initializers: inits,
    nodes,
  };
}

/** An MLP of MatMul+Add+Relu layers, widths[0] -> widths[1] -> ...: a whole-model latency fixture. */
export function mlpProbe(batch: number, widths: number[], seed = 7): Uint8Array {
  return buildProbeModel(mlpGraph(batch, widths, seed));
}

/** A small CNN: Conv(3x3)+Relu stages on [1, C, H, W] then global pool — a conv latency fixture. */
export function convProbe(channels: number[], hw: number, seed = 11): Uint8Array {
  const nodes: ProbeNode[] = [];
  const inits: ProbeTensor[] = [];
  let prev = 'x';
  for (let l = 0; l + 1 < channels.length; l++) {
    const ci = channels[l];
    const co = channels[l + 1];
    inits.push({ name: `C${l}`, dims: [co, ci, 3, 3], dtype: 'float32', data: randomWeights(co * ci * 9, seed + l) });
    inits.push({ name: `cb${l}`, dims: [co], dtype: 'float32', data: randomWeights(co, seed + 50 + l) });
    nodes.push({ op: 'Conv', inputs: [prev, `C${l}`, `cb${l}`], outputs: [`c${l}`], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } });
    nodes.push({ op: 'Relu', inputs: [`c${l}`], outputs: [`r${l}`] });
    prev = `r${l}`;
  }
  nodes.push({ op: 'GlobalAveragePool', inputs: [prev], outputs: ['y'] });
  return buildProbeModel({
    inputs: [{ name: 'x', dims: [1, channels[0], hw, hw] }],
    outputs: [{ name: 'y', dims: [1, channels[channels.length - 1], 1, 1] }],
    initializers: inits,
    nodes,
  });
}

/** Op types `opChainProbe` can chain (their fixed per-node cost is what it measures). */
export const CHAIN_OPS = ['Relu', 'Sigmoid', 'Add', 'Mul', 'LayerNormalization', 'Softmax', 'Reshape', 'Flatten', 'MatMul', 'Gemm', 'Conv', 'MaxPool', 'BatchNormalization'] as const;
export type ChainOp = (typeof CHAIN_OPS)[number];

/**
 * `count` nodes of `op` in a chain on a tiny tensor ([1, 64], or [1, 16, 8, 8] for spatial ops).
 * Ops a graph optimiser would cancel in pairs (Reshape, Flatten) alternate with Relu;
 * subtract the Relu chain's cost per node for those.
 */
export function opChainProbe(op: ChainOp, count: number): { bytes: Uint8Array; shapes: Record<string, number[]>; interleaved: boolean } {
  const spatial = op === 'Conv' || op === 'MaxPool' || op === 'BatchNormalization';
  const dims = spatial ? [1, 16, 8, 8] : [1, 64];
  const inits: ProbeTensor[] = [];
  const nodes: ProbeNode[] = [];
  const interleaved = op === 'Reshape' || op === 'Flatten';
  const f = (name: string, d: number[], seed: number) => inits.push({ name, dims: d, dtype: 'float32', data: randomWeights(d.reduce((a, b) => a * b, 1), seed) });
  if (op === 'Add' || op === 'Mul') f('c', [64], 3);
  if (op === 'LayerNormalization') {
    f('g', [64], 4);
    f('b', [64], 5);
  }
  if (op === 'MatMul' || op === 'Gemm') f('W', [64, 64], 6);
  if (op === 'Gemm') f('bias', [64], 7);
  if (op === 'Conv') f('K', [16, 16, 3, 3], 8);
  if (op === 'BatchNormalization') {
    f('s', [16], 9);
    f('sh', [16], 10);
    f('mu', [16], 11);
    inits.push({ name: 'var', dims: [16], dtype: 'float32', data: new Float32Array(16).fill(1) });
  }
  if (op === 'Reshape') {
    inits.push({ name: 's0', dims: [2], dtype: 'int64', data: BigInt64Array.from([8n, 8n]) });
    if (count > 1) inits.push({ name: 's1', dims: [2], dtype: 'int64', data: BigInt64Array.from([1n, 64n]) });
  }
  let prev = 'x';
  let outDims = dims;
  for (let i = 0; i < count; i++) {
    const out = `t${i}`;
    switch (op) {
      case 'Add':
      case 'Mul':
        nodes.push({ op, inputs: [prev, 'c'], outputs: [out] });
        break;
      case 'LayerNormalization':
        nodes.push({ op, inputs: [prev, 'g', 'b'], outputs: [out], attrs: { axis: -1 } });
        break;
      case 'Softmax':
        nodes.push({ op, inputs: [prev], outputs: [out], attrs: { axis: -1 } });
        break;
      case 'Reshape':
        nodes.push({ op, inputs: [prev, i % 2 === 0 ? 's0' : 's1'], outputs: [`${out}p`] });
        nodes.push({ op: 'Relu', inputs: [`${out}p`], outputs: [out] });
        outDims = i % 2 === 0 ? [8, 8] : [1, 64];
        break;
      case 'Flatten':
        nodes.push({ op, inputs: [prev], outputs: [`${out}p`], attrs: { axis: 1 } });
        nodes.push({ op: 'Relu', inputs: [`${out}p`], outputs: [out] });
        break;
      case 'MatMul':
        nodes.push({ op, inputs: [prev, 'W'], outputs: [out] });
        break;
      case 'Gemm':
        nodes.push({ op, inputs: [prev, 'W', 'bias'], outputs: [out] });
        break;
      case 'Conv':
        nodes.push({ op, inputs: [prev, 'K'], outputs: [out], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } });
        break;
      case 'MaxPool':
        nodes.push({ op, inputs: [prev], outputs: [out], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } });
        break;
      case 'BatchNormalization':
        nodes.push({ op, inputs: [prev, 's', 'sh', 'mu', 'var'], outputs: [out] });
        break;
      default:
        nodes.push({ op, inputs: [prev], outputs: [out] });
    }
    prev = out;
  }
  nodes[nodes.length - 1].outputs = ['y'];
  return { bytes: buildProbeModel({ inputs: [{ name: 'x', dims }], outputs: [{ name: 'y', dims: outDims }], initializers: inits, nodes }), shapes: { x: dims }, interleaved };
}

/**
 * A Loop or a Scan of `iterations` steps whose body is one Relu on [1, 16] (Loop: plus the
 * condition passed through): what a subgraph costs per call and per iteration, over its body.
 */
export function controlFlowProbe(op: 'Loop' | 'Scan', iterations: number): { bytes: Uint8Array; shapes: Record<string, number[]> } {
  if (op === 'Loop') {
    const body: ProbeGraph = {
      inputs: [{ name: 'i', dims: [], dtype: 'int64' }, { name: 'c_in', dims: [], dtype: 'bool' }, { name: 'h_in', dims: [1, 16] }],
      outputs: [{ name: 'c_out', dims: [], dtype: 'bool' }, { name: 'h_out', dims: [1, 16] }],
      initializers: [],
      nodes: [{ op: 'Identity', inputs: ['c_in'], outputs: ['c_out'] }, { op: 'Relu', inputs: ['h_in'], outputs: ['h_out'] }],
    };
    const bytes = buildProbeModel({
      inputs: [{ name: 'x', dims: [1, 16] }],
      outputs: [{ name: 'y', dims: [1, 16] }],
      initializers: [
        { name: 'trips', dims: [], dtype: 'int64', data: BigInt64Array.of(BigInt(iterations)) },
        { name: 'yes', dims: [], dtype: 'bool', data: Uint8Array.of(1) },
      ],
      nodes: [{ op: 'Loop', inputs: ['trips', 'yes', 'x'], outputs: ['y'], attrs: { body: { graph: body } } }],
    });
    return { bytes, shapes: { x: [1, 16] } };
  }
  const body: ProbeGraph = {
    inputs: [{ name: 's_in', dims: [16] }, { name: 'x_t', dims: [16] }],
    outputs: [{ name: 's_out', dims: [16] }],
    initializers: [],
    nodes: [{ op: 'Relu', inputs: ['x_t'], outputs: ['s_out'] }],
  };
  const bytes = buildProbeModel({
    inputs: [{ name: 's0', dims: [16] }, { name: 'xs', dims: [iterations, 16] }],
    outputs: [{ name: 'y', dims: [16] }],
    initializers: [],
    nodes: [{ op: 'Scan', inputs: ['s0', 'xs'], outputs: ['y'], attrs: { body: { graph: body }, num_scan_inputs: 1 } }],
  });
  return { bytes, shapes: { s0: [16], xs: [iterations, 16] } };
}
