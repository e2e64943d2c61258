// The per-node cost table the latency model works from: FLOPs, weight bytes and activation bytes
// of every node, the GEMM view (M, N, K) of matmul-like layers, and which nodes a runtime will
// fuse away. It is built from a GraphView (nodes + tensor shapes), whatever produced it.

export interface TensorInfo {
  dims: number[];
  /** Bytes per element (4 for float32, 1 for int8, ...). */
  elementBytes: number;
  /** True for weights stored in the model (initializers and Constant outputs). */
  constant: boolean;
  /** Non-zero elements of a constant float tensor, when known. */
  nonzeros?: number;
}

export interface GraphNodeView {
  name: string;
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, number | number[] | string>;
  /** Control flow (Loop, Scan, If): the op types its body runs and how many times per call. */
  subgraph?: Subgraph;
}

export interface Subgraph {
  ops: string[];
  iterations: number;
}

export interface GraphView {
  nodes: GraphNodeView[];
  tensors: Map<string, TensorInfo>;
  inputs: string[];
  outputs: string[];
}

export type NodeKind = 'matmul' | 'conv' | 'light' | 'free';

export interface LayerCost {
  name: string;
  op: string;
  kind: NodeKind;
  /** Floating-point operations (2 per multiply-accumulate for matmul-like nodes). */
  flops: number;
  /** Bytes of constant inputs (weights, biases, scales) read per call, at the stored precision. */
  weightBytes: number;
  /** Bytes of non-constant inputs read plus outputs written. */
  activationBytes: number;
  /** The weight of a matmul-like layer (the tensor a pattern/precision option changes). */
  weight?: { name: string; shape: number[]; params: number; nonzeros: number; elementBytes: number };
  /** GEMM view of matmul-like layers: rows of activations (M), outputs (N), reduction (K). */
  m?: number;
  n?: number;
  k?: number;
  /** Kernel elements of a convolution (1 for 1x1). */
  kernel?: number;
  /** Set when the runtime is expected to execute this node inside another one (no own launch). */
  fusedInto?: string;
  /** The op the runtime executes for this node when fusion renames it (LayerNormalization for a spelled-out LayerNorm). */
  execOp?: string;
  /** Elements of the node's outputs (decides whether light nodes go parallel). */
  outputElements?: number;
  /** Independent GEMMs of a batched MatMul of two activations (ORT splits them over threads). */
  batches?: number;
  /** Control flow: the body's op types and iterations per call. */
  subgraph?: Subgraph;
}

export interface ModelCost {
  layers: LayerCost[];
  /** Bytes of the model's inputs and outputs per call, and how many outputs it returns. */
  inputBytes: number;
  outputBytes: number;
  outputCount: number;
  /** Bytes of all constants (weights) — what must stay in cache for a cache-resident model. */
  weightBytes: number;
  /** The largest single activation, bytes (with the weights: the working set). */
  peakActivationBytes: number;
}

const prod = (d: number[]) => d.reduce((a, b) => a * b, 1);

// Ops that ORT (and most runtimes) fold at load time or run as views: no kernel of their own.
const FREE_OPS = new Set(['Constant', 'Identity', 'Shape', 'Size', 'ConstantOfShape', 'Dropout']);
// Ops that only re-describe a tensor (ORT runs them as cheap copies/aliases; still a launch).
const VIEW_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
const ACTIVATIONS = new Set(['Relu', 'Sigmoid', 'Tanh', 'Clip', 'LeakyRelu', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Softplus', 'Gelu', 'FastGelu']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Erf', 'Neg', 'Abs', 'Cast', 'Where', 'Equal', 'Greater', 'Less', 'Not', 'And', 'Or', 'Max', 'Min', ...ACTIVATIONS]);
const REDUCTIONS = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceSumSquare']);

function tensorBytes(t: TensorInfo | undefined): number {
  return t ? prod(t.dims) * t.elementBytes : 0;
}

/** FLOPs and GEMM view of one node, from its tensor shapes. */
function nodeCost(node: GraphNodeView, tensors: Map<string, TensorInfo>): LayerCost {
  const ins = node.inputs.map((n) => (n ? tensors.get(n) : undefined));
  const outs = node.outputs.map((n) => tensors.get(n));
  const outElems = outs.reduce((a, t) => a + (t ? prod(t.dims) : 0), 0);
  let weightBytes = 0;
  let activationBytes = 0;
  ins.forEach((t) => {
    if (!t) return;
    if (t.constant) weightBytes += tensorBytes(t);
    else activationBytes += tensorBytes(t);
  });
  outs.forEach((t) => (activationBytes += tensorBytes(t)));
  const base: LayerCost = { name: node.name, op: node.op, kind: 'light', flops: outElems, weightBytes, activationBytes, outputElements: outElems, ...(node.subgraph ? { subgraph: node.subgraph } : {}) };
  if (FREE_OPS.has(node.op)) return { ...base, kind: 'free', flops: 0 };

  const weightOf = (idx: number) => {
    const t = ins[idx];
    if (!t?.constant) return undefined;
    const params = prod(t.dims);
    return { name: node.inputs[idx], shape: t.dims, params, nonzeros: t.nonzeros ?? params, elementBytes: t.elementBytes };
  };

  if (node.op === 'MatMul' || node.op === 'Gemm' || node.op === 'MatMulInteger' || node.op === 'FusedMatMul') {
    const a = ins[0]?.dims ?? [];
    const b = ins[1]?.dims ?? [];
    const transA = node.op === 'Gemm' && node.attrs.transA === 1;
    const transB = (node.op === 'Gemm' && node.attrs.transB === 1) || (node.op === 'FusedMatMul' && node.attrs.transB === 1);
    const k = a.length ? (transA ? a[a.length - 2] : a[a.length - 1]) : 1;
    const mRows = a.length >= 2 ? (transA ? a[a.length - 1] : a[a.length - 2]) * prod(a.slice(0, -2)) : 1;
    const n = b.length >= 2 ? (transB ? b[b.length - 2] : b[b.length - 1]) : b.length === 1 ? 1 : 1;
    const batchB = b.length > 2 ? prod(b.slice(0, -2)) : 1;
    const m = Math.max(1, mRows);
    const flops = 2 * m * k * n * (ins[1]?.constant ? 1 : batchB > 1 && a.length <= 2 ? batchB : 1);
    const weight = weightOf(1) ?? (node.op === 'MatMul' ? weightOf(0) : undefined);
    // two activations with batch dims: MLAS runs one GEMM per batch entry, spread over the pool
    const y = outs[0]?.dims ?? [];
    const batches = !ins[1]?.constant && y.length > 2 ? prod(y.slice(0, -2)) : 1;
    return { ...base, kind: 'matmul', flops, weight, m, n, k, ...(batches > 1 ? { batches } : {}) };
  }
  if (node.op === 'Conv' || node.op === 'ConvTranspose') {
    const w = ins[1]?.dims ?? [];
    const y = outs[0]?.dims ?? [];
    const group = typeof node.attrs.group === 'number' ? node.attrs.group : 1;
    const kernel = prod(w.slice(2));
    let flops: number;
    let m: number;
    let n: number;
    let k: number;
    if (node.op === 'Conv') {
      // W [Co, Ci/g, kh, kw], Y [N, Co, spatial...]
      const spatial = prod(y.slice(2));
      n = w[0] ?? 1;
      k = (w[1] ?? 1) * kernel;
      m = (y[0] ?? 1) * spatial;
      flops = 2 * m * n * k;
    } else {
      // W [Ci, Co/g, kh, kw], X [N, Ci, spatial...]: every input pixel scatters a kernel
      const x = ins[0]?.dims ?? [];
      const spatialIn = prod(x.slice(2));
      n = (w[1] ?? 1) * group;
      k = ((w[0] ?? 1) / group) * kernel;
      m = (x[0] ?? 1) * spatialIn;
      flops = 2 * m * (w[1] ?? 1) * (w[0] ?? 1) * kernel;
    }
    return { ...base, kind: 'conv', flops, weight: weightOf(1), m, n, k, kernel };
  }
  if (REDUCTIONS.has(node.op) || node.op === 'Softmax' || node.op === 'LogSoftmax' || node.op === 'LayerNormalization' || node.op.endsWith('Pool')) {
    const inElems = ins[0] ? prod(ins[0].dims) : outElems;
    return { ...base, flops: inElems * (node.op === 'Softmax' || node.op === 'LayerNormalization' ? 5 : 1) };
  }
  return base;
}

/**
 * Marks the nodes a fusing runtime (ONNX Runtime at level 'all', TensorRT) executes inside a
 * neighbour, following ORT's CPU fusions: Conv+BatchNorm(+activation), Gemm+activation, 2-D
 * MatMul+bias Add(+activation) -> Gemm, MatMul * scalar -> FusedMatMul; and elementwise chains
 * that spell out LayerNorm/GELU (runs of >= 4 connected light nodes become one kernel).
 */
export function markFusions(layers: LayerCost[], nodes: GraphNodeView[], tensors: Map<string, TensorInfo>): void {
  const isConst = (x: string) => !!tensors.get(x)?.constant;
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => producer.set(o, i)));
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => n.inputs.forEach((inp) => consumers.set(inp, [...(consumers.get(inp) ?? []), i])));
  const isLight = (i: number) => layers[i].kind === 'light' && !ACTIVATIONS.has(nodes[i].op) && (ELEMENTWISE.has(nodes[i].op) || REDUCTIONS.has(nodes[i].op));
  const soleConsumer = (i: number): number | undefined => {
    const cs = consumers.get(nodes[i].outputs[0]) ?? [];
    return cs.length === 1 ? cs[0] : undefined;
  };
  const scalarConst = (n: GraphNodeView) => n.inputs.some((x) => isConst(x) && (tensors.get(x)!.dims.reduce((a, b) => a * b, 1) === 1));
  nodes.forEach((n, i) => {
    const k = layers[i].kind;
    if (k !== 'matmul' && k !== 'conv') return;
    const fuse = (c: number) => (layers[c].fusedInto = layers[i].name);
    let c = soleConsumer(i);
    if (c === undefined) return;
    if (n.op === 'Conv' && nodes[c].op === 'BatchNormalization') {
      fuse(c);
      c = soleConsumer(c);
    } else if (n.op === 'MatMul') {
      const rankA = tensors.get(n.inputs[0])?.dims.length ?? 0;
      const cn = nodes[c];
      if ((cn.op === 'Mul' || cn.op === 'Div') && scalarConst(cn)) {
        fuse(c);
        return;
      }
      if (rankA > 2) return; // ORT fuses bias and activation only into 2-D MatMul (as Gemm)
      if (cn.op === 'Add' && cn.inputs.some(isConst)) {
        fuse(c);
        layers[i].execOp = 'Gemm';
        c = soleConsumer(c);
      } else return;
    }
    if (c !== undefined && ACTIVATIONS.has(nodes[c].op) && n.op !== 'ConvTranspose') fuse(c);
  });
  // Elementwise chains that spell out LayerNorm / GELU: grown from a seed (a light node with one
  // activation input X) by closure — a light consumer joins when every activation it reads is X or
  // made inside the group. A residual Add (two activations from outside) never joins, so
  // consecutive LayerNorms stay separate kernels, as ONNX Runtime runs them.
  const grouped = new Set<number>();
  const activationInputs = (j: number) => nodes[j].inputs.filter((x) => x && !isConst(x));
  for (let i = 0; i < nodes.length; i++) {
    if (grouped.has(i) || !isLight(i) || layers[i].fusedInto) continue;
    const ext = activationInputs(i);
    if (ext.length !== 1 && !(ext.length === 2 && ext[0] === ext[1])) continue;
    const x = ext[0];
    const group = [i];
    const made = new Set(nodes[i].outputs);
    for (let grew = true; grew; ) {
      grew = false;
      for (const o of [...made]) {
        for (const c of consumers.get(o) ?? []) {
          if (group.includes(c) || grouped.has(c) || !isLight(c) || layers[c].fusedInto) continue;
          if (!activationInputs(c).every((a) => a === x || made.has(a))) continue;
          group.push(c);
          nodes[c].outputs.forEach((out) => made.add(out));
          grew = true;
        }
      }
    }
    group.sort((a, b) => a - b);
    const ops = new Set(group.map((j) => nodes[j].op));
    const kind = ops.has('Erf') || ops.has('Tanh') ? 'Gelu' : ops.has('ReduceMean') && (ops.has('Sqrt') || ops.has('Reciprocal')) ? 'LayerNormalization' : 'FusedElementwise';
    // a bias Add in front of GELU stays its own node (ORT fuses Add+GELU only on some providers)
    if (kind === 'Gelu' && nodes[group[0]].op === 'Add' && nodes[group[0]].inputs.some((v) => isConst(v) && (tensors.get(v)!.dims.reduce((a, b) => a * b, 1) > 1))) group.shift();
    if (group.length < 4) continue;
    const headIdx = group[group.length - 1];
    for (const j of group) grouped.add(j);
    for (const j of group.slice(0, -1)) layers[j].fusedInto = layers[headIdx].name;
    layers[headIdx].execOp = kind;
  }
}

/** Builds the cost table of a graph; `fuse` applies the fusions a graph-optimising runtime makes. */
export function costGraph(view: GraphView, fuse = true): ModelCost {
  // constant folding: outputs of nodes that read only constants (Cast of fp16 weights, shape math)
  // are constants too, as every graph-optimising runtime folds them at load
  const tensors = new Map(view.tensors);
  for (const n of view.nodes) {
    if (FREE_OPS.has(n.op) && n.op !== 'Constant' && n.op !== 'Identity') continue;
    const live = n.inputs.filter((x) => x);
    if (n.op !== 'Constant' && (live.length === 0 || !live.every((x) => tensors.get(x)?.constant))) continue;
    for (const o of n.outputs) {
      const t = tensors.get(o);
      const src = tensors.get(live[0] ?? '');
      if (t && !t.constant) tensors.set(o, { ...t, constant: true, nonzeros: n.op === 'Cast' || n.op === 'Identity' ? src?.nonzeros : undefined });
    }
  }
  view = { ...view, tensors };
  const layers = view.nodes.map((n) => nodeCost(n, view.tensors));
  const constants = new Set([...view.tensors.entries()].filter(([, t]) => t.constant).map(([k]) => k));
  if (fuse) markFusions(layers, view.nodes, view.tensors);
  // View ops on a constant chain (shape arithmetic) fold away; on activations they are cheap kernels.
  view.nodes.forEach((n, i) => {
    if (VIEW_OPS.has(n.op)) layers[i].flops = 0;
    if (n.inputs.length > 0 && n.inputs.every((x) => !x || constants.has(x))) layers[i].kind = 'free';
  });
  let weightBytes = 0;
  let peak = 0;
  for (const t of view.tensors.values()) {
    if (t.constant) weightBytes += tensorBytes(t);
    else peak = Math.max(peak, tensorBytes(t));
  }
  return {
    layers,
    inputBytes: view.inputs.reduce((a, n) => a + tensorBytes(view.tensors.get(n)), 0),
    outputBytes: view.outputs.reduce((a, n) => a + tensorBytes(view.tensors.get(n)), 0),
    outputCount: view.outputs.length,
    weightBytes,
    peakActivationBytes: peak,
  };
}

/** The layers an option (pattern / precision) can change: matmul-like nodes with a constant weight. */
export function weightedLayers(cost: ModelCost): LayerCost[] {
  return cost.layers.filter((l) => (l.kind === 'matmul' || l.kind === 'conv') && l.weight && l.weight.params >= 16);
}

/** The op kind speedup entries are keyed by: matmul, conv, or conv1x1. */
export function opKindOf(layer: LayerCost): 'matmul' | 'conv' | 'conv1x1' {
  if (layer.kind === 'conv') return layer.kernel === 1 ? 'conv1x1' : 'conv';
  return 'matmul';
}
