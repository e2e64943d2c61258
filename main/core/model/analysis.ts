// The layer table: one row per node that uses parameter weights (MatMul, Gemm, Conv, norms,
// embeddings, ...), with parameters, nonzeros, stored bytes and MACs / FLOPs for given or
// inferred input shapes; and the model totals. Conventions: FLOPs = 2 × MACs for matrix ops
// (+1 per output for a bias); elementwise ops 1 per output element; normalisations and Softmax 5.
// Inside If, the larger branch counts; Loop / Scan bodies count once (trip counts are unknown).
import { parameterCount, type ModelIR, type NodeInfo, type Weight } from './ir';
import { GraphIndex, followUses } from './roles';
import { type ShapeOptions, inferShapes } from './shapes';
import type { LayerRow } from '../../../preload/contract';
import { modelLayers } from './layers';

// Contract types (preload/contract.ts is their one definition).
export type { LayerRow };

export interface ModelTotals {
  /** The model's layers (model/layers.ts LAYER_DEFINITION): the one layer count every screen shows. */
  layers: number;
  /** Parameter weights (shapes, quantization scales and scalars excluded). */
  weightTensors: number;
  parameters: number;
  nonzeros: number;
  /** Stored bytes of every weight tensor (parameters, scales, shapes). */
  bytes: number;
  flops: number;
  macs: number;
  nodes: number;
  /** 1 − nonzeros / parameters. */
  sparsity: number;
}

export interface Analysis {
  totals: ModelTotals;
  layers: LayerRow[];
  /** Symbolic dims that were given values (1 unless the caller said otherwise). */
  assumedDims: Record<string, number>;
  /** Nodes whose output shape stayed unknown (their FLOPs count as 0). */
  unknownShapes: string[];
  /** Nonzeros per weight id (every weight, counted once). */
  nonzeros: Map<string, number>;
}

export interface AnalyzeOptions extends ShapeOptions {
  /** Count nonzeros (reads every weight once, streaming). Default true. */
  nonzeros?: boolean;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const NORMS = new Set(['BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization', 'RMSNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization', 'Softmax', 'LogSoftmax', 'LpNormalization', 'MeanVarianceNormalization']);
const FREE = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Shape', 'Size', 'Gather', 'Slice', 'Concat', 'Split', 'Identity', 'Constant', 'ConstantOfShape', 'Cast', 'CastLike', 'Expand', 'Tile', 'Range', 'Dropout', 'If', 'Loop', 'Scan', 'Pad', 'QuantizeLinear', 'DequantizeLinear', 'GatherElements', 'GatherND', 'Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth', 'NonZero', 'TopK', 'ArgMax', 'ArgMin', 'Where', 'Equal', 'Less', 'Greater', 'Not', 'And', 'Or']);

/** MACs and FLOPs of one node from its input / output shapes (0 when unknown). */
export function nodeCost(n: NodeInfo, ins: Array<number[] | undefined>, out: number[] | undefined): { macs: number; flops: number } {
  const a = n.attributes;
  const none = { macs: 0, flops: 0 };
  if (FREE.has(n.op)) return none;
  switch (n.op) {
    case 'MatMul': case 'FusedMatMul': case 'MatMulInteger': case 'QLinearMatMul': {
      const p = ins[0];
      if (!p || !out) return none;
      const k = n.op === 'FusedMatMul' && a.transA === 1 ? p[p.length - 2] : p[p.length - 1];
      const macs = prod(out) * k;
      return { macs, flops: 2 * macs };
    }
    case 'MatMulNBits': {
      if (!out) return none;
      const macs = prod(out) * (typeof a.K === 'number' ? a.K : 0);
      return { macs, flops: 2 * macs };
    }
    case 'Gemm': {
      const p = ins[0];
      if (!p || !out) return none;
      const k = a.transA === 1 ? p[0] : p[1];
      const macs = prod(out) * k;
      return { macs, flops: 2 * macs + (n.inputs[2] ? prod(out) : 0) };
    }
    case 'Conv': case 'ConvInteger': case 'QLinearConv': case 'FusedConv': {
      const w = n.op === 'QLinearConv' ? ins[3] : ins[1];
      if (!w || !out) return none;
      const macs = prod(out) * prod(w.slice(1));
      return { macs, flops: 2 * macs + (n.inputs[n.op === 'QLinearConv' ? 8 : 2] ? prod(out) : 0) };
    }
    case 'ConvTranspose': {
      const [x, w] = ins;
      if (!x || !w || !out) return none;
      const macs = prod(x) * prod(w.slice(1));
      return { macs, flops: 2 * macs + (n.inputs[2] ? prod(out) : 0) };
    }
    case 'LSTM': case 'GRU': case 'RNN': {
      const [x, w, r] = ins;
      if (!x || !w || !r) return none;
      const layout = a.layout === 1;
      const [seq, batch] = layout ? [x[1], x[0]] : [x[0], x[1]];
      const macs = seq * batch * w[0] * (prod(w.slice(1)) + prod(r.slice(1)));
      return { macs, flops: 2 * macs };
    }
    case 'Attention': {
      const [x, w] = ins;
      if (!x || !w) return none;
      const s = x.length >= 2 ? x[x.length - 2] : 1;
      const proj = prod(x.slice(0, -1)) * prod(w);
      const hidden = w[1] / 3;
      const attn = 2 * prod(x.slice(0, -1)) * s * hidden;
      return { macs: proj + attn, flops: 2 * (proj + attn) };
    }
    case 'MaxPool': case 'AveragePool': case 'LpPool': {
      const k = Array.isArray(a.kernel_shape) ? (a.kernel_shape as number[]) : [];
      return out ? { macs: 0, flops: prod(out) * prod(k) } : none;
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool':
    case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL2': case 'ReduceL1': case 'ReduceSumSquare': case 'ReduceLogSumExp':
      return ins[0] ? { macs: 0, flops: prod(ins[0]) } : none;
    default:
      if (!out) return none;
      return { macs: 0, flops: (NORMS.has(n.op) ? 5 : 1) * prod(out) };
  }
}

/** Layer table and totals of a model. Reads every weight once (streaming) to count nonzeros. */
export function analyzeModel(model: ModelIR, opts: AnalyzeOptions = {}): Analysis {
  if (model.nodes.length === 0) return analyzeWeightsOnly(model, opts);
  const { shapes, assumed } = inferShapes(model, opts);
  const k = (graph: string, name: string): string => (graph ? `${graph}\u0000${name}` : name);
  const shapeOf = (n: NodeInfo, name: string): number[] | undefined => (name ? shapes.get(k(n.graph, name)) ?? shapes.get(name) : undefined);

  const nz = new Map<string, number>();
  const countNz = opts.nonzeros ?? true;
  const nonzerosOf = (w: Weight): number => {
    let v = nz.get(w.id);
    if (v === undefined) {
      v = countNz ? w.nonzeros() : parameterCount(w);
      nz.set(w.id, v);
    }
    return v;
  };

  // Cost per node, then per graph (If: the larger branch).
  const cost = new Map<string, { macs: number; flops: number }>();
  const unknownShapes: string[] = [];
  for (const n of model.nodes) {
    const out = shapeOf(n, n.outputs[0] ?? '');
    const c = nodeCost(n, n.inputs.map((i) => shapeOf(n, i)), out);
    if (!out && !FREE.has(n.op)) unknownShapes.push(n.name);
    cost.set(n.name, c);
  }
  const byGraph = new Map<string, NodeInfo[]>();
  for (const n of model.nodes) {
    const list = byGraph.get(n.graph) ?? [];
    list.push(n);
    byGraph.set(n.graph, list);
  }
  const graphCost = (g: string): { macs: number; flops: number } => {
    let macs = 0;
    let flops = 0;
    for (const n of byGraph.get(g) ?? []) {
      const c = cost.get(n.name)!;
      macs += c.macs;
      flops += c.flops;
      const subs = Object.values(n.attributes).flatMap((v) => (v && typeof v === 'object' && 'graph' in v ? [v.graph] : v && typeof v === 'object' && 'graphs' in v ? v.graphs : []));
      const sc = subs.map(graphCost);
      if (n.op === 'If' && sc.length) {
        const best = sc.reduce((p, q) => (q.flops > p.flops ? q : p));
        macs += best.macs;
        flops += best.flops;
      } else for (const c2 of sc) {
        macs += c2.macs;
        flops += c2.flops;
      }
    }
    return { macs, flops };
  };
  const total = graphCost('');

  // Rows: the nodes that really use parameter weights (through Cast / DQ / Transpose); the rows
  // whose weights include one of the model's layers (model/layers.ts) are marked as layers.
  const layerIds = new Set(modelLayers(model).map((w) => w.id));
  const index = new GraphIndex(model.nodes);
  const layerWeights = new Map<string, { node: NodeInfo; weights: Weight[]; quantized: boolean }>();
  for (const w of model.weights) {
    if (!w.isParameter) continue;
    for (const u of followUses(index, w)) {
      const e = layerWeights.get(u.node.name) ?? { node: u.node, weights: [], quantized: false };
      if (!e.weights.includes(w)) e.weights.push(w);
      e.quantized ||= u.quantized;
      layerWeights.set(u.node.name, e);
    }
  }
  const order = new Map(model.nodes.map((n, i) => [n.name, i]));
  const layers: LayerRow[] = [...layerWeights.values()]
    .sort((p, q) => order.get(p.node.name)! - order.get(q.node.name)!)
    .map(({ node, weights, quantized }) => {
      const main = [...weights].sort((p, q) => rolePriority(p) - rolePriority(q) || q.numel - p.numel)[0];
      const c = cost.get(node.name)!;
      const row: LayerRow = {
        name: node.name,
        op: node.op,
        weight: main.id,
        shape: main.dims,
        dtype: main.dtype,
        role: main.role,
        parameters: weights.reduce((s, w) => s + parameterCount(w), 0),
        nonzeros: weights.reduce((s, w) => s + nonzerosOf(w), 0),
        bytes: weights.reduce((s, w) => s + w.byteLength, 0),
        macs: c.macs,
        flops: c.flops,
        weights: weights.map((w) => w.id),
        graph: node.graph,
      };
      if (main.attention) row.attention = main.attention;
      if (quantized) row.quantized = true;
      if (weights.some((w) => layerIds.has(w.id))) row.layer = true;
      const inShape = shapeOf(node, node.inputs[0] ?? '');
      const outShape = shapeOf(node, node.outputs[0] ?? '');
      if (inShape) row.inputShape = inShape;
      if (outShape) row.outputShape = outShape;
      return row;
    });
  for (const w of model.weights) nonzerosOf(w);
  return { totals: totals(model, nonzerosOf, total), layers, assumedDims: assumed, unknownShapes, nonzeros: nz };
}

function rolePriority(w: Weight): number {
  const order = ['matmul_nbits', 'attention_w', 'conv_w', 'conv_transpose_w', 'gemm_b', 'matmul_b', 'gemm_a', 'matmul_a', 'rnn_w', 'embedding', 'norm', 'other', 'bias'];
  const i = order.indexOf(w.role);
  return i < 0 ? order.length : i;
}

function totals(model: ModelIR, nonzerosOf: (w: Weight) => number, cost: { macs: number; flops: number }): ModelTotals {
  const params = model.weights.filter((w) => w.isParameter);
  const parameters = params.reduce((s, w) => s + parameterCount(w), 0);
  const nonzeros = params.reduce((s, w) => s + nonzerosOf(w), 0);
  return {
    layers: modelLayers(model).length,
    weightTensors: params.length,
    parameters,
    nonzeros,
    bytes: model.weights.reduce((s, w) => s + w.byteLength, 0),
    flops: cost.flops,
    macs: cost.macs,
    nodes: model.nodes.length,
    sparsity: parameters ? 1 - nonzeros / parameters : 0,
  };
}

// safetensors and other weight-only files: one row per module (weights grouped by name prefix).
// Linear layers report MACs / FLOPs per input row (one token); other layers 0.
function analyzeWeightsOnly(model: ModelIR, opts: AnalyzeOptions): Analysis {
  const countNz = opts.nonzeros ?? true;
  const nz = new Map<string, number>();
  const nonzerosOf = (w: Weight): number => {
    let v = nz.get(w.id);
    if (v === undefined) {
      v = countNz ? w.nonzeros() : parameterCount(w);
      nz.set(w.id, v);
    }
    return v;
  };
  const groups = new Map<string, Weight[]>();
  for (const w of model.weights) {
    if (!w.isParameter) continue;
    const prefix = w.name.replace(/\.(weight|bias|scale|gamma|beta|running_mean|running_var|weight_g|weight_v)$/, '');
    const list = groups.get(prefix) ?? [];
    list.push(w);
    groups.set(prefix, list);
  }
  let macsTotal = 0;
  const layerIds = new Set(modelLayers(model).map((w) => w.id));
  const layers: LayerRow[] = [...groups.entries()].map(([name, ws]) => {
    const main = [...ws].sort((p, q) => rolePriority(p) - rolePriority(q) || q.numel - p.numel)[0];
    const op = main.role === 'gemm_b' ? 'Linear' : main.role === 'conv_w' ? 'Conv' : main.role === 'embedding' ? 'Embedding' : main.role === 'norm' ? 'Norm' : 'Tensor';
    const macs = op === 'Linear' ? main.numel : 0;
    macsTotal += macs;
    const row: LayerRow = {
      name,
      op,
      weight: main.id,
      shape: main.dims,
      dtype: main.dtype,
      role: main.role,
      parameters: ws.reduce((s, w) => s + parameterCount(w), 0),
      nonzeros: ws.reduce((s, w) => s + nonzerosOf(w), 0),
      bytes: ws.reduce((s, w) => s + w.byteLength, 0),
      macs,
      flops: 2 * macs + (op === 'Linear' && ws.some((w) => w.role === 'bias') ? main.dims[0] : 0),
      weights: ws.map((w) => w.id),
      graph: '',
    };
    if (main.attention) row.attention = main.attention;
    if (ws.some((w) => layerIds.has(w.id))) row.layer = true;
    return row;
  });
  const flops = layers.reduce((s, l) => s + l.flops, 0);
  for (const w of model.weights) nonzerosOf(w);
  return { totals: totals(model, nonzerosOf, { macs: macsTotal, flops }), layers, assumedDims: {}, unknownShapes: [], nonzeros: nz };
}
