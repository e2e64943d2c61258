// Assigns each weight its role (what it does), its layout (which axes are the layer's inputs)
// and, for attention projections, which one it is. Format-neutral: it reads the IR's nodes.
// Weights are followed through pass-through ops (Cast, Identity, DequantizeLinear, Transpose)
// to the op that really uses them; Transpose permutes the layout back to the stored axes.
import type { DType } from './dtype';
import type { NodeInfo, WeightConsumer, WeightLayout, WeightRole } from './ir';

export interface RoleInput {
  id: string;
  name: string;
  graph: string;
  dtype: DType;
  dims: number[];
  numel: number;
  consumers: WeightConsumer[];
}

export interface RoleResult {
  role: WeightRole;
  layout?: WeightLayout;
  attention?: 'q' | 'k' | 'v' | 'o' | 'qkv';
  quantized?: boolean;
  isParameter: boolean;
}

// Inputs that steer an op (shapes, axes, indices), by op type.
const SHAPE_INPUTS: Record<string, number[]> = {
  Reshape: [1], Expand: [1], Tile: [1], Slice: [1, 2, 3, 4], Unsqueeze: [1], Squeeze: [1], Split: [1],
  Pad: [1, 3], Resize: [1, 2, 3], Upsample: [1], ConstantOfShape: [0], Range: [0, 1, 2], TopK: [1],
  OneHot: [1], Gather: [1], GatherElements: [1], GatherND: [1], ScatterND: [1], ScatterElements: [1],
  CumSum: [1], Trilu: [1], NonMaxSuppression: [2, 3, 4], Dropout: [1, 2], ReduceSum: [1], ReduceMean: [1],
  ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1],
  ReduceLogSumExp: [1], ReduceSumSquare: [1], Compress: [1], Einsum: [], STFT: [1, 3], DFT: [1, 2],
};

const NORM_INPUTS: Record<string, number[]> = {
  BatchNormalization: [1, 2, 3, 4], LayerNormalization: [1, 2], InstanceNormalization: [1, 2],
  GroupNormalization: [1, 2], RMSNormalization: [1], SimplifiedLayerNormalization: [1],
  SkipLayerNormalization: [2, 3], SkipSimplifiedLayerNormalization: [2], EmbedLayerNormalization: [7, 8],
};

// Quantization scales / zero points.
const QUANT_INPUTS: Record<string, number[]> = {
  QuantizeLinear: [1, 2], DequantizeLinear: [1, 2], DynamicQuantizeLinear: [],
  QLinearConv: [1, 2, 4, 5, 6, 7], QLinearMatMul: [1, 2, 4, 5, 6, 7], QLinearAdd: [1, 2, 4, 5, 6, 7],
  MatMulNBits: [2, 3, 4], MatMulIntegerToFloat: [2, 3, 4, 5], ConvInteger: [2, 3], MatMulInteger: [2, 3],
  DynamicQuantizeMatMul: [2, 3], GatherBlockQuantized: [2, 3],
};

const PASS_THROUGH = new Set(['Cast', 'Identity', 'DequantizeLinear', 'Transpose', 'CastLike']);
const COMPUTE = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'MatMulNBits', 'MatMulInteger', 'ConvInteger', 'QLinearMatMul', 'QLinearConv', 'FusedMatMul', 'FusedConv', 'FusedGemm']);
const NORM_NAME = /(^|[._/-])(norm|ln|ln_\w+|layernorm|layer_norm|rmsnorm|rms_norm|bn|batchnorm|batch_norm|gamma|beta)(\d*)([._/-]|$)|norm/i;

export interface Use {
  node: NodeInfo;
  input: number;
  /** Consumer-view axis → stored axis (through Transposes). */
  axes: number[];
  quantized: boolean;
}

/** Who reads and who writes each value, per graph: built once, used for roles and layers. */
export class GraphIndex {
  readonly byName = new Map<string, NodeInfo>();
  readonly consumersOf = new Map<string, Array<{ node: NodeInfo; input: number }>>();
  readonly producerOf = new Map<string, NodeInfo>();
  constructor(nodes: NodeInfo[]) {
    for (const n of nodes) {
      this.byName.set(n.name, n);
      n.inputs.forEach((inp, i) => {
        if (!inp) return;
        const k = valueKey(n.graph, inp);
        const list = this.consumersOf.get(k) ?? [];
        list.push({ node: n, input: i });
        this.consumersOf.set(k, list);
      });
      for (const o of n.outputs) if (o) this.producerOf.set(valueKey(n.graph, o), n);
    }
  }
}

/** Key of a value name inside a graph. */
export function valueKey(graph: string, name: string): string {
  return `${graph}\u0000${name}`;
}

/** The real uses of a weight: its consumers, followed through pass-through ops (Cast, DQ, Transpose, ...). */
export function followUses(index: GraphIndex, w: { dims: number[]; consumers: WeightConsumer[] }): Use[] {
  const uses: Use[] = [];
  const start = w.dims.map((_, i) => i);
  const follow = (node: NodeInfo, input: number, axes: number[], quantized: boolean, depth: number): void => {
    const passes = PASS_THROUGH.has(node.op) && input === 0 && depth < 6 && node.outputs[0];
    if (!passes) {
      uses.push({ node, input, axes, quantized });
      return;
    }
    let next = axes;
    if (node.op === 'Transpose') {
      const perm = Array.isArray(node.attributes.perm) ? (node.attributes.perm as number[]) : axes.map((_, i) => axes.length - 1 - i);
      next = perm.map((p) => axes[p]);
    }
    const q = quantized || node.op === 'DequantizeLinear';
    const after = index.consumersOf.get(valueKey(node.graph, node.outputs[0])) ?? [];
    if (after.length === 0) uses.push({ node, input, axes, quantized });
    for (const c of after) follow(c.node, c.input, next, q, depth + 1);
  };
  for (const c of w.consumers) {
    const node = index.byName.get(c.node);
    if (node) follow(node, c.input, start, false, 0);
  }
  return uses;
}

/** Roles, layouts and attention tags for every weight. */
export function assignRoles(nodes: NodeInfo[], weights: RoleInput[], index = new GraphIndex(nodes)): Map<string, RoleResult> {
  const { consumersOf, producerOf } = index;
  const key = valueKey;
  const weightByValue = new Map<string, RoleInput>();
  for (const w of weights) weightByValue.set(key(w.graph, w.name), w);
  const usesOf = (w: RoleInput): Use[] => followUses(index, w);

  const results = new Map<string, RoleResult>();
  for (const w of weights) {
    const uses = usesOf(w);
    let best: RoleResult | undefined;
    for (const u of uses) {
      const r = roleOfUse(w, u, producerOf, key);
      if (r && (!best || rank(r.role) < rank(best.role))) best = r;
    }
    results.set(w.id, best ?? fallback(w));
  }
  tagAttention(nodes, weights, results, consumersOf, producerOf, weightByValue, key);
  // Projections the structure did not reveal, by the names exporters give them.
  for (const w of weights) {
    const r = results.get(w.id)!;
    if (r.attention || !(r.role === 'matmul_b' || r.role === 'gemm_b')) continue;
    const tag = attentionByName(w.name);
    if (tag) r.attention = tag;
  }
  return results;
}

// Lower is a more telling role (a weight used as a MatMul B and as a bias is a MatMul weight).
const ORDER: WeightRole[] = ['matmul_nbits', 'attention_w', 'conv_w', 'conv_transpose_w', 'gemm_b', 'matmul_b', 'gemm_a', 'matmul_a', 'rnn_w', 'embedding', 'norm', 'bias', 'other', 'quant_param', 'scalar', 'shape'];
const rank = (r: WeightRole): number => ORDER.indexOf(r);

function isInt(d: DType): boolean {
  return d === 'int32' || d === 'int64' || d === 'uint32' || d === 'uint64' || d === 'bool' || d === 'int16' || d === 'uint16';
}

function param(role: WeightRole, extra: Partial<RoleResult> = {}): RoleResult {
  return { role, isParameter: !(role === 'shape' || role === 'quant_param' || role === 'scalar'), ...extra };
}

function mapLayout(l: WeightLayout, axes: number[]): WeightLayout {
  return { outAxis: axes[l.outAxis], inAxes: l.inAxes.map((a) => axes[a]).sort((a, b) => a - b), group: l.group };
}

function roleOfUse(w: RoleInput, u: Use, producerOf: Map<string, NodeInfo>, key: (g: string, n: string) => string): RoleResult | undefined {
  const { node, input } = u;
  const op = node.op;
  const r = u.axes.length;
  const q = u.quantized ? { quantized: true } : {};
  const lay = (l: WeightLayout): WeightLayout => mapLayout(l, u.axes);
  if (SHAPE_INPUTS[op]?.includes(input)) return param('shape');
  if (QUANT_INPUTS[op]?.includes(input)) return param('quant_param');
  if (NORM_INPUTS[op]?.includes(input)) return param('norm', q);
  switch (op) {
    case 'MatMul': case 'FusedMatMul': case 'MatMulInteger': case 'QLinearMatMul': {
      const bIndex = op === 'QLinearMatMul' ? 3 : 1;
      if (input === bIndex) return param('matmul_b', { ...q, layout: r >= 2 ? lay({ outAxis: r - 1, inAxes: [r - 2], group: 1 }) : undefined });
      if (input === 0) return param('matmul_a', { ...q, layout: r >= 2 ? lay({ outAxis: r - 2, inAxes: [r - 1], group: 1 }) : undefined });
      return undefined;
    }
    case 'Gemm': case 'FusedGemm': {
      if (input === 1) {
        const t = node.attributes.transB === 1;
        return param('gemm_b', { ...q, layout: r === 2 ? lay(t ? { outAxis: 0, inAxes: [1], group: 1 } : { outAxis: 1, inAxes: [0], group: 1 }) : undefined });
      }
      if (input === 0) {
        const t = node.attributes.transA === 1;
        return param('gemm_a', { ...q, layout: r === 2 ? lay(t ? { outAxis: 1, inAxes: [0], group: 1 } : { outAxis: 0, inAxes: [1], group: 1 }) : undefined });
      }
      if (input === 2) return param('bias', q);
      return undefined;
    }
    case 'Conv': case 'FusedConv': case 'ConvInteger': case 'QLinearConv': {
      const wIndex = op === 'QLinearConv' ? 3 : 1;
      const group = typeof node.attributes.group === 'number' ? node.attributes.group : 1;
      if (input === wIndex) return param('conv_w', { ...q, layout: r >= 3 ? lay({ outAxis: 0, inAxes: range(1, r), group }) : undefined });
      if (input === (op === 'QLinearConv' ? 8 : 2)) return param('bias', q);
      return undefined;
    }
    case 'ConvTranspose': {
      const group = typeof node.attributes.group === 'number' ? node.attributes.group : 1;
      if (input === 1) return param('conv_transpose_w', { ...q, layout: r >= 3 ? lay({ outAxis: 1, inAxes: [0, ...range(2, r)], group }) : undefined });
      if (input === 2) return param('bias', q);
      return undefined;
    }
    case 'MatMulNBits':
      // B [N, nBlocks, blockSize/2]: outputs first, the packed inputs after (counted as a layer).
      if (input === 1) return param('matmul_nbits', { quantized: true, layout: r === 3 ? { outAxis: 0, inAxes: [1, 2], group: 1 } : undefined });
      if (input === 5) return param('bias');
      return undefined;
    case 'Attention': case 'MultiHeadAttention':
      if (input === 1 && op === 'Attention') return param('attention_w', { ...q, attention: 'qkv', layout: r === 2 ? { outAxis: 1, inAxes: [0], group: 1 } : undefined });
      if (input === 2 && op === 'Attention') return param('bias', q);
      return undefined;
    case 'LSTM': case 'GRU': case 'RNN':
      if (input === 1 || input === 2) return param('rnn_w', q);
      if (input === 3) return param('bias', q);
      return undefined;
    case 'Gather': case 'GatherBlockQuantized':
      if (input === 0) return param('embedding', q);
      return undefined;
    case 'Add': case 'Sub': case 'Mul': case 'Div': {
      if (w.numel <= 1) return param('scalar');
      if (isInt(w.dtype)) return param('shape');
      if (NORM_NAME.test(w.name)) return param('norm', q);
      if (op === 'Add') {
        const other = node.inputs[1 - input];
        const p = other ? producerOf.get(key(node.graph, other)) : undefined;
        if (p && COMPUTE.has(p.op)) return param('bias', q);
      }
      return param('other', q);
    }
    default:
      return undefined;
  }
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

function fallback(w: RoleInput): RoleResult {
  if (w.dtype === 'string' || isInt(w.dtype)) return param('shape');
  if (w.numel <= 1) return param('scalar');
  if (NORM_NAME.test(w.name)) return param('norm');
  return param('other');
}

/** Attention projection tag from conventional weight names (q_proj, query, c_attn, ...). */
export function attentionByName(name: string): RoleResult['attention'] {
  const n = name.toLowerCase();
  if (/(qkv|c_attn|query_key_value|in_proj)/.test(n)) return 'qkv';
  if (!/(attn|attention|self_attn|\.sa\.|mha|_proj|query|key|value)/.test(n)) return undefined;
  if (/(^|[._/])(q_proj|q|query|wq|to_q)([._/]|$)/.test(n)) return 'q';
  if (/(^|[._/])(k_proj|k|key|wk|to_k)([._/]|$)/.test(n)) return 'k';
  if (/(^|[._/])(v_proj|v|value|wv|to_v)([._/]|$)/.test(n)) return 'v';
  if (/(^|[._/])(o_proj|out_proj|o|wo|to_out|dense|c_proj|output)([._/]|$)/.test(n)) return 'o';
  return undefined;
}

// Ops that carry a projection's output to the score MatMul or back from the context MatMul.
const ATTN_PATH = new Set(['Reshape', 'Transpose', 'Add', 'Mul', 'Div', 'Sub', 'Cast', 'Identity', 'Squeeze', 'Unsqueeze', 'Slice', 'Split', 'Where', 'Dropout', 'Concat', 'RotaryEmbedding', 'Gather', 'Softmax']);

// Finds attention by structure: MatMul(Q, Kᵀ) → (scale / mask) → Softmax → MatMul(·, V), then
// the projection MatMul / Gemm behind Q, K and V, and the first one after the context.
function tagAttention(
  nodes: NodeInfo[],
  weights: RoleInput[],
  results: Map<string, RoleResult>,
  consumersOf: Map<string, Array<{ node: NodeInfo; input: number }>>,
  producerOf: Map<string, NodeInfo>,
  weightByValue: Map<string, RoleInput>,
  key: (g: string, n: string) => string,
): void {
  const weightOfInput = (n: NodeInfo, i: number): RoleInput | undefined => {
    let name = n.inputs[i];
    for (let d = 0; d < 4 && name; d++) {
      const w = weightByValue.get(key(n.graph, name));
      if (w) return w;
      const p = producerOf.get(key(n.graph, name));
      if (!p || !PASS_THROUGH.has(p.op)) return undefined;
      name = p.inputs[0];
    }
    return undefined;
  };
  // The projection weight behind a value, walking back through ATTN_PATH ops.
  const projectionBehind = (graph: string, name: string, depth = 0): RoleInput | undefined => {
    if (depth > 10) return undefined;
    const p = producerOf.get(key(graph, name));
    if (!p) return undefined;
    if (p.op === 'MatMul' || p.op === 'Gemm' || p.op === 'FusedMatMul' || p.op === 'MatMulNBits') {
      return weightOfInput(p, 1) ?? (p.op === 'MatMul' ? undefined : undefined);
    }
    if (!ATTN_PATH.has(p.op) || p.op === 'Softmax') return undefined;
    for (let i = 0; i < p.inputs.length; i++) {
      const inp = p.inputs[i];
      if (!inp || weightByValue.has(key(graph, inp))) continue;
      const w = projectionBehind(graph, inp, depth + 1);
      if (w) return w;
    }
    return undefined;
  };
  const projectionAfter = (graph: string, name: string, depth = 0): RoleInput | undefined => {
    if (depth > 6) return undefined;
    for (const c of consumersOf.get(key(graph, name)) ?? []) {
      if ((c.node.op === 'MatMul' || c.node.op === 'Gemm') && c.input === 0) {
        const w = weightOfInput(c.node, 1);
        if (w) return w;
      }
      if (['Reshape', 'Transpose', 'Cast', 'Identity'].includes(c.node.op) && c.node.outputs[0]) {
        const w = projectionAfter(graph, c.node.outputs[0], depth + 1);
        if (w) return w;
      }
    }
    return undefined;
  };
  const tag = (w: RoleInput | undefined, t: NonNullable<RoleResult['attention']>): void => {
    if (!w) return;
    const r = results.get(w.id);
    if (!r || !(r.role === 'matmul_b' || r.role === 'gemm_b' || r.role === 'matmul_nbits')) return;
    if (r.attention && r.attention !== t) r.attention = 'qkv';
    else r.attention = t;
  };
  for (const sm of nodes) {
    if (sm.op !== 'Softmax' || !sm.inputs[0]) continue;
    // Scores: back from the Softmax to a MatMul whose inputs are both activations.
    let scores: NodeInfo | undefined;
    let name: string | undefined = sm.inputs[0];
    for (let d = 0; d < 6 && name; d++) {
      const p = producerOf.get(key(sm.graph, name));
      if (!p) break;
      if (p.op === 'MatMul') {
        if (!weightOfInput(p, 0) && !weightOfInput(p, 1)) scores = p;
        break;
      }
      if (!['Div', 'Mul', 'Add', 'Sub', 'Where', 'Cast', 'Identity'].includes(p.op)) break;
      name = p.inputs.find((i) => i && !weightByValue.has(key(sm.graph, i)));
    }
    if (!scores) continue;
    // Context: forward from the Softmax to the MatMul with V.
    let context: NodeInfo | undefined;
    let out: string | undefined = sm.outputs[0];
    for (let d = 0; d < 4 && out && !context; d++) {
      const cs: Array<{ node: NodeInfo; input: number }> = consumersOf.get(key(sm.graph, out)) ?? [];
      const mm = cs.find((c) => c.node.op === 'MatMul' && c.input === 0);
      if (mm) context = mm.node;
      else out = cs.find((c) => ['Cast', 'Dropout', 'Identity'].includes(c.node.op))?.node.outputs[0];
    }
    if (!context) continue;
    const q = projectionBehind(scores.graph, scores.inputs[0]);
    const k = projectionBehind(scores.graph, scores.inputs[1]);
    const v = projectionBehind(context.graph, context.inputs[1]);
    if (q && k && q.id === k.id) tag(q, 'qkv');
    else {
      tag(q, 'q');
      tag(k, 'k');
    }
    if (v && (v.id === q?.id || v.id === k?.id)) tag(v, 'qkv');
    else tag(v, 'v');
    if (context.outputs[0]) tag(projectionAfter(context.graph, context.outputs[0]), 'o');
  }
  void weights;
}
