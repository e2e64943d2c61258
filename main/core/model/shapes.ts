// Shape inference for the ops common in exported models, enough for the layer table's FLOPs:
// numbers only (symbolic input dims are filled from the caller's values or 1), small integer
// tensors folded (Shape → Gather → Concat → Reshape chains of PyTorch exports), the file's own
// value_info used where an op is not known. Unknown stays unknown (null), never a guess.
import type { AttrValue, ModelIR, NodeInfo } from './ir';
import { TwinforgeError } from '../errors';

/**
 * Largest integer tensor folded (elements; 1 Mi numbers = 8 MiB). Folding serves shape arithmetic
 * (Shape → Gather → Concat → Reshape), where tensors have a handful of elements; past this a value
 * simply stays unfolded.
 */
export const MAX_FOLDED_ELEMENTS = 2 ** 20;
/** Elements folded over one whole model: a hostile graph cannot buy minutes with many mid-sized folds. */
export const MAX_FOLDED_TOTAL = 8 * 2 ** 20;
/** Highest tensor rank a shape may have (ONNX Runtime's own limit is far below). */
const MAX_RANK = 64;
const foldable = (len: number): boolean => Number.isSafeInteger(len) && len >= 0 && len <= MAX_FOLDED_ELEMENTS;

export interface ShapeOptions {
  /** Exact input shapes by input name (override the model's). */
  inputShapes?: Record<string, number[]>;
  /** Values for symbolic dims by name ({ batch: 8 }); others are 1. */
  dimDefaults?: Record<string, number>;
}

export interface ShapeResult {
  /** Concrete shape per value (key: graph + '\u0000' + name; main graph values also by plain name). */
  shapes: Map<string, number[]>;
  /** Symbolic dims that were given a value, and the value. */
  assumed: Record<string, number>;
}

type Shape = number[];
const key = (graph: string, name: string): string => (graph ? `${graph}\u0000${name}` : name);
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function ints(v: AttrValue | undefined): number[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}
function int(v: AttrValue | undefined, d: number): number {
  return typeof v === 'number' ? v : d;
}

/** numpy broadcasting of shapes; undefined when they do not broadcast. */
export function broadcast(...shapes: Shape[]): Shape | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d !== 1 && d !== x) return undefined;
      d = x;
    }
    out.push(d);
  }
  return out;
}

const SAME_AS_INPUT = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Abs', 'Neg', 'Erf', 'Gelu', 'FastGelu', 'BiasGelu', 'QuickGelu', 'LeakyRelu', 'Elu', 'Selu', 'Celu',
  'HardSigmoid', 'HardSwish', 'Softplus', 'Softsign', 'Clip', 'Cast', 'CastLike', 'Identity', 'Dropout', 'Softmax', 'LogSoftmax', 'Hardmax', 'Not',
  'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos', 'Atan', 'Sinh', 'Cosh', 'IsNaN', 'IsInf', 'ThresholdedRelu',
  'Shrink', 'Mish', 'QuantizeLinear', 'DequantizeLinear', 'LayerNormalization', 'BatchNormalization', 'InstanceNormalization', 'GroupNormalization',
  'LpNormalization', 'SimplifiedLayerNormalization', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization', 'RMSNormalization', 'RotaryEmbedding',
  'BiasAdd', 'CumSum', 'Trilu', 'MeanVarianceNormalization', 'LRN',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Where', 'Mod', 'BitShift', 'PRelu', 'BitwiseAnd', 'BitwiseOr', 'BitwiseXor']);
const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

/** Infers concrete shapes of every value it can, main graph and subgraphs. */
export function inferShapes(model: ModelIR, opts: ShapeOptions = {}): ShapeResult {
  const shapes = new Map<string, number[]>();
  const consts = new Map<string, number[]>(); // small integer tensors, flattened
  const assumed: Record<string, number> = {};
  const symbols = new Map<string, number>();
  for (const [k, v] of Object.entries(opts.dimDefaults ?? {})) symbols.set(k, v);
  const concrete = (dims: Array<number | string | null>): number[] =>
    dims.map((d) => {
      if (typeof d === 'number') return d;
      const name = d ?? '?';
      const v = symbols.get(name) ?? opts.dimDefaults?.[name] ?? 1;
      if (d !== null) symbols.set(name, v);
      assumed[name] = v;
      return v;
    });

  for (const i of model.inputs) {
    const given = opts.inputShapes?.[i.name];
    if (given) {
      // Learn symbol values from the given shapes, so value_info with the same symbols agrees.
      i.shape?.forEach((d, k) => {
        if (typeof d === 'string' && given[k] !== undefined) symbols.set(d, given[k]);
      });
      shapes.set(i.name, [...given]);
    } else if (i.shape) shapes.set(i.name, concrete(i.shape));
  }
  for (const [graph, inputs] of Object.entries(model.subgraphInputs ?? {})) {
    for (const i of inputs) if (i.shape) shapes.set(key(graph, i.name), concrete(i.shape));
  }
  for (const w of model.weights) {
    shapes.set(key(w.graph, w.name), w.dims);
    if ((w.dtype === 'int64' || w.dtype === 'int32') && w.numel <= 64) {
      try {
        consts.set(key(w.graph, w.name), Array.from(w.float32()));
      } catch {
        // unreadable constants just stay unknown
      }
    }
  }
  const fromValueInfo = new Map(model.valueInfo.map((v) => [v.name, v]));
  let folded = 0;

  // Looks a value up in its graph, then in the enclosing graphs.
  const lookup = <T>(m: Map<string, T>, graph: string, name: string): T | undefined => {
    let g = graph;
    for (;;) {
      const v = m.get(key(g, name));
      if (v !== undefined) return v;
      if (!g) return undefined;
      // A subgraph's path is "<node name>/<attribute>": its parent is that node's graph.
      const parent = graphOfNode(g.slice(0, g.lastIndexOf('/')));
      if (parent === g) return undefined;
      g = parent;
    }
  };
  const nodeGraph = new Map<string, string>();
  for (const n of model.nodes) nodeGraph.set(n.name, n.graph);
  const graphOfNode = (nodeName: string): string => nodeGraph.get(nodeName) ?? '';

  for (const n of model.nodes) {
    const ins = n.inputs.map((i) => (i ? lookup(shapes, n.graph, i) : undefined));
    const cin = n.inputs.map((i) => (i ? lookup(consts, n.graph, i) : undefined));
    let outs: Array<Shape | undefined> = [];
    let outConsts: Array<number[] | undefined> = [];
    try {
      [outs, outConsts] = infer(n, ins, cin);
    } catch (err) {
      if (err instanceof TwinforgeError) throw err; // the model breaks the spec (e.g. Slice step 0)
      outs = [];
    }
    // Folding stops for good once the model has used up its budget.
    outConsts = outConsts.map((c) => {
      if (!c) return c;
      if (c.length > MAX_FOLDED_ELEMENTS || folded + c.length > MAX_FOLDED_TOTAL) return undefined;
      folded += c.length;
      return c;
    });
    n.outputs.forEach((o, i) => {
      if (!o) return;
      let s = outs[i];
      if (!s && n.graph === '') {
        const vi = fromValueInfo.get(o);
        if (vi?.shape) s = concrete(vi.shape);
      }
      // A rank past MAX_RANK is a hostile axis (out[2^30] = ... makes a holey array whose every() walks 2^30 slots).
      if (s && s.length <= MAX_RANK && s.every((d) => Number.isSafeInteger(d) && d >= 0)) shapes.set(key(n.graph, o), s);
      if (outConsts[i]) consts.set(key(n.graph, o), outConsts[i]!);
    });
  }
  return { shapes, assumed };
}

// Output shapes (and folded integer values) of one node.
function infer(n: NodeInfo, ins: Array<Shape | undefined>, cin: Array<number[] | undefined>): [Array<Shape | undefined>, Array<number[] | undefined>] {
  const a = n.attributes;
  const x = ins[0];
  const one = (s: Shape | undefined, c?: number[]): [Array<Shape | undefined>, Array<number[] | undefined>] => [[s], [c]];
  const op = n.op;
  if (op === 'Constant') return one(undefined); // weights: shapes set from the weight table
  if (SAME_AS_INPUT.has(op)) {
    if (op === 'Cast' || op === 'Identity') return one(x, cin[0]);
    if (op === 'DequantizeLinear' || op === 'QuantizeLinear') return one(x);
    return [[x, ...(op === 'SkipLayerNormalization' ? [undefined, undefined, x] : [])], []];
  }
  if (BROADCAST.has(op)) {
    if (ins.some((s, i) => !s && n.inputs[i])) return one(undefined);
    const s = broadcast(...(ins.filter(Boolean) as Shape[]));
    let c: number[] | undefined;
    if (s && s.length <= 1 && foldable(prod(s)) && cin.every((v, i) => v || !n.inputs[i]) && ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Equal', 'Where'].includes(op)) {
      const len = prod(s);
      const at = (v: number[], i: number): number => v[v.length === 1 ? 0 : i];
      c = Array.from({ length: len }, (_, i) => {
        const [p, q, r] = cin.map((v) => at(v!, i));
        switch (op) {
          case 'Add': return p + q;
          case 'Sub': return p - q;
          case 'Mul': return p * q;
          case 'Div': return Math.trunc(p / q);
          case 'Max': return Math.max(p, q);
          case 'Min': return Math.min(p, q);
          case 'Equal': return p === q ? 1 : 0;
          default: return p ? q : r;
        }
      });
    }
    return one(s, c);
  }
  if (REDUCE.has(op)) {
    if (!x) return one(undefined);
    const axes = (ints(a.axes) ?? cin[1])?.map((v) => (v < 0 ? v + x.length : v));
    const keep = int(a.keepdims, 1) === 1;
    if (!axes || axes.length === 0) {
      if (int(a.noop_with_empty_axes, 0) === 1) return one(x);
      return one(keep ? x.map(() => 1) : []);
    }
    return one(keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i)));
  }
  switch (op) {
    case 'MatMul': case 'MatMulInteger': case 'FusedMatMul': case 'QLinearMatMul': {
      let [p, q] = op === 'QLinearMatMul' ? [ins[0], ins[3]] : [ins[0], ins[1]];
      if (!p || !q) return one(undefined);
      if (op === 'FusedMatMul') {
        if (int(a.transA, 0)) p = [...p.slice(0, -2), p[p.length - 1], p[p.length - 2]];
        if (int(a.transB, 0)) q = [...q.slice(0, -2), q[q.length - 1], q[q.length - 2]];
      }
      const pa = p.length === 1 ? [1, p[0]] : p;
      const qa = q.length === 1 ? [q[0], 1] : q;
      const batch = broadcast(pa.slice(0, -2), qa.slice(0, -2));
      if (!batch) return one(undefined);
      const out = [...batch, pa[pa.length - 2], qa[qa.length - 1]];
      if (p.length === 1) out.splice(out.length - 2, 1);
      if (q.length === 1) out.splice(out.length - 1, 1);
      return one(out);
    }
    case 'MatMulNBits':
      return one(x ? [...x.slice(0, -1), int(a.N, 0)] : undefined);
    case 'Gemm': {
      const [p, q] = ins;
      if (!p || !q || p.length !== 2 || q.length !== 2) return one(undefined);
      const m = int(a.transA, 0) ? p[1] : p[0];
      const nn = int(a.transB, 0) ? q[0] : q[1];
      return one([m, nn]);
    }
    case 'Conv': case 'ConvInteger': case 'QLinearConv': case 'FusedConv': {
      const w = op === 'QLinearConv' ? ins[3] : ins[1];
      if (!x || !w) return one(undefined);
      return one([x[0], w[0], ...spatial(x.slice(2), a, w.slice(2))]);
    }
    case 'ConvTranspose': {
      const w = ins[1];
      if (!x || !w) return one(undefined);
      const group = int(a.group, 1);
      const os = ints(a.output_shape);
      if (os) return one([x[0], w[1] * group, ...os.slice(-(x.length - 2))]);
      const k = ints(a.kernel_shape) ?? w.slice(2);
      const sp = x.slice(2).map((d, i) => {
        const s = ints(a.strides)?.[i] ?? 1;
        const dil = ints(a.dilations)?.[i] ?? 1;
        const op2 = ints(a.output_padding)?.[i] ?? 0;
        const pads = ints(a.pads) ?? [];
        const pb = pads[i] ?? 0;
        const pe = pads[i + k.length] ?? 0;
        return s * (d - 1) + op2 + ((k[i] - 1) * dil + 1) - pb - pe;
      });
      return one([x[0], w[1] * group, ...sp]);
    }
    case 'MaxPool': case 'AveragePool': case 'LpPool': {
      if (!x) return one(undefined);
      const k = ints(a.kernel_shape);
      if (!k) return one(undefined);
      const s = [x[0], x[1], ...spatial(x.slice(2), a, k)];
      return [[s, n.outputs.length > 1 ? s : undefined], []];
    }
    case 'GlobalAveragePool': case 'GlobalMaxPool': case 'GlobalLpPool':
      return one(x ? [x[0], x[1], ...x.slice(2).map(() => 1)] : undefined);
    case 'Flatten': {
      if (!x) return one(undefined);
      let ax = int(a.axis, 1);
      if (ax < 0) ax += x.length;
      return one([prod(x.slice(0, ax)), prod(x.slice(ax))]);
    }
    case 'Reshape': {
      const target = cin[1] ?? ints(a.shape);
      if (!x || !target) return one(undefined, undefined);
      const allowZero = int(a.allowzero, 0) === 1;
      const out = target.map((d, i) => (d === 0 && !allowZero ? x[i] : d));
      const known = prod(out.filter((d) => d !== -1));
      const inf = out.indexOf(-1);
      if (inf >= 0) out[inf] = known ? prod(x) / known : 0;
      return one(out, cin[0] && out.length <= 1 ? cin[0] : undefined);
    }
    case 'Transpose': {
      if (!x) return one(undefined);
      const perm = ints(a.perm) ?? x.map((_, i) => x.length - 1 - i);
      return one(perm.map((p) => x[p]));
    }
    case 'Squeeze': {
      if (!x) return one(undefined);
      const axes = (ints(a.axes) ?? cin[1])?.map((v) => (v < 0 ? v + x.length : v));
      const out = axes ? x.filter((_, i) => !axes.includes(i)) : x.filter((d) => d !== 1);
      return one(out, cin[0]);
    }
    case 'Unsqueeze': {
      if (!x) return one(undefined);
      const axes = ints(a.axes) ?? cin[1];
      if (!axes) return one(undefined);
      const rank = x.length + axes.length;
      const norm = axes.map((v) => (v < 0 ? v + rank : v)).sort((p, q) => p - q);
      const out = [...x];
      for (const ax of norm) out.splice(ax, 0, 1);
      return one(out, cin[0]);
    }
    case 'Concat': {
      if (ins.some((s) => !s)) return one(undefined);
      const ss = ins as Shape[];
      let ax = int(a.axis, 0);
      if (ax < 0) ax += ss[0].length;
      if (!(ax >= 0 && ax < ss[0].length)) return one(undefined);
      const out = [...ss[0]];
      out[ax] = ss.reduce((t, s) => t + s[ax], 0);
      const total = cin.reduce((t, v) => t + (v?.length ?? 0), 0);
      const c = cin.every(Boolean) && out.length === 1 && foldable(total) ? (cin as number[][]).flat() : undefined;
      return one(out, c);
    }
    case 'Split': {
      if (!x) return [[], []];
      let ax = int(a.axis, 0);
      if (ax < 0) ax += x.length;
      let sizes = ints(a.split) ?? cin[1];
      if (!sizes) {
        const k = n.outputs.length;
        const each = Math.ceil(x[ax] / k);
        sizes = Array.from({ length: k }, (_, i) => Math.min(each, x[ax] - each * i));
      }
      return [sizes.map((s) => x.map((d, i) => (i === ax ? s : d))), []];
    }
    case 'Slice': {
      if (!x) return one(undefined);
      const starts = cin[1] ?? ints(a.starts);
      const ends = cin[2] ?? ints(a.ends);
      if (!starts || !ends) return one(undefined);
      const axes = cin[3] ?? ints(a.axes) ?? starts.map((_, i) => i);
      const steps = cin[4] ?? starts.map(() => 1);
      const out = [...x];
      const ranges: Array<[number, number, number]> = x.map((d) => [0, d, 1]);
      axes.forEach((axRaw, i) => {
        const ax = axRaw < 0 ? axRaw + x.length : axRaw;
        const d = x[ax];
        const st = steps[i] ?? 1;
        // The spec forbids step 0; it would also never end the walk below.
        if (st === 0 || !Number.isFinite(st)) {
          throw new TwinforgeError('CORRUPT_MODEL', `Slice node "${n.name}" has step ${st} on axis ${axRaw}; ONNX requires a non-zero step.`, 'The model breaks the ONNX spec; fix or re-export it.');
        }
        const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
        let s = starts[i] < 0 ? starts[i] + d : starts[i];
        let e = ends[i] < 0 ? ends[i] + d : ends[i];
        if (st > 0) {
          s = clamp(s, 0, d);
          e = clamp(e, 0, d);
          out[ax] = Math.max(0, Math.ceil((e - s) / st));
        } else {
          s = clamp(s, -1, d - 1);
          e = clamp(e, -1, d - 1);
          out[ax] = Math.max(0, Math.ceil((s - e) / -st));
        }
        ranges[ax] = [s, e, st];
      });
      let c: number[] | undefined;
      if (cin[0] && x.length === 1 && foldable(out[0])) {
        const [s, e, st] = ranges[0];
        c = [];
        for (let i = s; st > 0 ? i < e : i > e; i += st) c.push(cin[0][i]);
      }
      return one(out, c);
    }
    case 'Gather': {
      const idx = ins[1];
      if (!x || !idx) return one(undefined);
      let ax = int(a.axis, 0);
      if (ax < 0) ax += x.length;
      const out = [...x.slice(0, ax), ...idx, ...x.slice(ax + 1)];
      let c: number[] | undefined;
      if (cin[0] && cin[1] && x.length === 1) c = cin[1].map((i) => cin[0]![i < 0 ? i + x[0] : i]);
      return one(out, c);
    }
    case 'Shape': {
      if (!x) return one(undefined);
      const r = x.length;
      let s = int(a.start, 0);
      let e = typeof a.end === 'number' ? a.end : r;
      if (s < 0) s += r;
      if (e < 0) e += r;
      const c = x.slice(Math.max(0, s), Math.min(r, e));
      return one([c.length], c);
    }
    case 'Size':
      return one([], x ? [prod(x)] : undefined);
    case 'ConstantOfShape':
      return one(cin[0]);
    case 'Range': {
      if (!cin[0] || !cin[1] || !cin[2]) return one(undefined);
      const len = Math.max(0, Math.ceil((cin[1][0] - cin[0][0]) / cin[2][0]));
      return one([len], len <= 64 ? Array.from({ length: len }, (_, i) => cin[0]![0] + i * cin[2]![0]) : undefined);
    }
    case 'Expand': {
      if (!x || !cin[1]) return one(undefined);
      return one(broadcast(x, cin[1]));
    }
    case 'Tile':
      return one(x && cin[1] ? x.map((d, i) => d * cin[1]![i]) : undefined);
    case 'Pad': {
      const pads = cin[1] ?? ints(a.pads);
      if (!x || !pads) return one(undefined);
      const axes = cin[3] ?? x.map((_, i) => i);
      const out = [...x];
      axes.forEach((ax, i) => {
        const k = ax < 0 ? ax + x.length : ax;
        if (k >= 0 && k < x.length) out[k] = x[k] + pads[i] + pads[i + axes.length];
      });
      return one(out);
    }
    case 'Resize': case 'Upsample': {
      if (!x) return one(undefined);
      const sizes = cin[3];
      if (sizes && sizes.length === x.length) return one(sizes);
      return one(undefined);
    }
    case 'ArgMax': case 'ArgMin': {
      if (!x) return one(undefined);
      let ax = int(a.axis, 0);
      if (ax < 0) ax += x.length;
      return one(int(a.keepdims, 1) ? x.map((d, i) => (i === ax ? 1 : d)) : x.filter((_, i) => i !== ax));
    }
    case 'TopK': {
      if (!x || !cin[1]) return [[], []];
      let ax = int(a.axis, -1);
      if (ax < 0) ax += x.length;
      const s = x.map((d, i) => (i === ax ? cin[1]![0] : d));
      return [[s, s], []];
    }
    case 'LSTM': case 'GRU': case 'RNN': {
      const w = ins[1];
      if (!x || !w) return [[], []];
      const hidden = int(a.hidden_size, w[1] / (op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1));
      const dirs = w[0];
      const layout = int(a.layout, 0);
      const [seq, batch] = layout ? [x[1], x[0]] : [x[0], x[1]];
      const y = layout ? [batch, seq, dirs, hidden] : [seq, dirs, batch, hidden];
      const h = layout ? [batch, dirs, hidden] : [dirs, batch, hidden];
      return [[y, h, h], []];
    }
    case 'Attention': {
      const w = ins[1];
      if (!x || !w) return one(undefined);
      const qkv = ints(a.qkv_hidden_sizes);
      return one([...x.slice(0, -1), qkv ? qkv[2] : w[1] / 3]);
    }
    default:
      return [[], []];
  }
}

// Output spatial dims of conv / pooling: pads, strides, dilations, auto_pad, ceil_mode.
function spatial(inp: number[], a: Record<string, AttrValue>, kernel: number[]): number[] {
  const strides = ints(a.strides) ?? inp.map(() => 1);
  const dil = ints(a.dilations) ?? inp.map(() => 1);
  const pads = ints(a.pads) ?? inp.flatMap(() => [0]).concat(inp.map(() => 0));
  const auto = typeof a.auto_pad === 'string' ? a.auto_pad : 'NOTSET';
  const ceil = int(a.ceil_mode, 0) === 1;
  return inp.map((d, i) => {
    const k = (kernel[i] - 1) * dil[i] + 1;
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') return Math.ceil(d / strides[i]);
    if (auto === 'VALID') return Math.floor((d - k) / strides[i]) + 1;
    const span = d + pads[i] + pads[i + inp.length] - k;
    return (ceil ? Math.ceil(span / strides[i]) : Math.floor(span / strides[i])) + 1;
  });
}
