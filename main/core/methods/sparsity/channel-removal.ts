// Physical removal of pruned output channels, so a channel-pruned twin is smaller and faster in
// any runtime. From the pruned layer we follow its output through per-channel ops (bias Add/Mul,
// BatchNormalization, activations, pooling, depthwise convolutions, a Flatten before a Gemm) to
// the next layer that reduces over channels (Conv, Gemm, MatMul), and slice every tensor on the
// way. A chain that branches (residual Add, Concat, a second reader, a graph output) is left
// alone with the reason. The constant a removed channel still emitted (bias, BN shift through the
// activation) is folded into the next layer's bias, exactly for Gemm/MatMul and up to the padded
// border for Conv.
import type { ModelIR, NodeInfo, Weight } from '../../model/ir';
import type { ModelEditor } from '../../model/onnx/editor';
import type { OnnxModel } from '../../model/onnx/reader';
import { tensorProto } from '../../model/onnx/build';
import type { LayerTarget } from '../layers';
import { sliceAxis } from '../structured/apply';

type Step =
  | { kind: 'bn'; node: NodeInfo; params: Weight[]; eps: number }
  | { kind: 'const'; node: NodeInfo; weight: Weight; axis: number | undefined; op: 'Add' | 'Sub' | 'Mul' | 'Div'; constFirst: boolean }
  | { kind: 'unary'; node: NodeInfo; fn: (v: number) => number }
  | { kind: 'pool'; node: NodeInfo }
  | { kind: 'depthwise'; node: NodeInfo; weight: Weight; bias?: Weight }
  | { kind: 'flatten'; node: NodeInfo };

interface Terminal {
  kind: 'conv' | 'gemm' | 'matmul';
  node: NodeInfo;
  weight: Weight;
  /** Weight axis holding the input channels (features). */
  axis: number;
  bias?: Weight;
  /** Gemm alpha/beta (bias gets alpha/beta times the folded constant). */
  scale: number;
  /** MatMul: the Add that holds its bias. */
  biasAdd?: NodeInfo;
}

export type RemovalPlan =
  | { ok: true; layer: LayerTarget; outAxis: number; bias?: Weight; steps: Step[]; terminal: Terminal }
  | { ok: false; reason: string };

const UNARY: Record<string, (n: NodeInfo, ir: ModelIR) => ((v: number) => number) | undefined> = {
  Relu: () => (v) => Math.max(0, v),
  LeakyRelu: (n) => {
    const a = typeof n.attributes.alpha === 'number' ? n.attributes.alpha : 0.01;
    return (v) => (v < 0 ? a * v : v);
  },
  Sigmoid: () => (v) => 1 / (1 + Math.exp(-v)),
  Tanh: () => Math.tanh,
  Elu: (n) => {
    const a = typeof n.attributes.alpha === 'number' ? n.attributes.alpha : 1;
    return (v) => (v < 0 ? a * (Math.exp(v) - 1) : v);
  },
  Selu: (n) => {
    const a = typeof n.attributes.alpha === 'number' ? n.attributes.alpha : 1.67326319217681884765625;
    const g = typeof n.attributes.gamma === 'number' ? n.attributes.gamma : 1.05070102214813232421875;
    return (v) => g * (v > 0 ? v : a * (Math.exp(v) - 1));
  },
  Softplus: () => (v) => Math.log1p(Math.exp(v)),
  HardSigmoid: (n) => {
    const a = typeof n.attributes.alpha === 'number' ? n.attributes.alpha : 0.2;
    const b = typeof n.attributes.beta === 'number' ? n.attributes.beta : 0.5;
    return (v) => Math.max(0, Math.min(1, a * v + b));
  },
  HardSwish: () => (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)),
  Identity: () => (v) => v,
  Dropout: () => (v) => v,
  Gelu: (n) => (n.attributes.approximate === 'tanh' ? (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))) : (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  Clip: (n, ir) => {
    let lo = typeof n.attributes.min === 'number' ? n.attributes.min : -Infinity;
    let hi = typeof n.attributes.max === 'number' ? n.attributes.max : Infinity;
    for (const [i, set] of [[1, (x: number) => (lo = x)], [2, (x: number) => (hi = x)]] as const) {
      const name = n.inputs[i];
      if (!name) continue;
      const w = ir.weights.find((x) => x.graph === '' && x.name === name);
      if (!w || w.numel !== 1) return undefined;
      set(w.float32()[0]);
    }
    return (v) => Math.min(hi, Math.max(lo, v));
  },
};

const POOL = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool']);

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7): the folded constants need no more.
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/** How (and whether) the layer's pruned output channels can leave the graph. */
export function planChannelRemoval(ir: ModelIR, layer: LayerTarget): RemovalPlan {
  if (ir.format !== 'onnx') return { ok: false, reason: 'no graph (safetensors): channels stay as zeros' };
  const main = ir.nodes.filter((n) => n.graph === '');
  const consumers = new Map<string, NodeInfo[]>();
  for (const n of main) for (const i of n.inputs) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(ir.outputs.map((o) => o.name));
  const weights = new Map<string, Weight>();
  for (const w of ir.weights) if (w.graph === '') weights.set(w.name, w);
  const initOnly = (name: string | undefined): Weight | undefined => (name ? weights.get(name) : undefined);
  const single = (w: Weight | undefined): boolean => !!w && w.consumers.length === 1;

  const L = layer.node;
  let C = layer.rows;
  let bias: Weight | undefined;
  let chFromEnd: number; // channel axis counted from the end (-1 = last)
  if (layer.op === 'Conv') {
    if (layer.group !== 1) return { ok: false, reason: `grouped convolution (group ${layer.group})` };
    bias = initOnly(L.inputs[2]);
    if (L.inputs[2] && !single(bias)) return { ok: false, reason: 'its bias is not a private initializer' };
    chFromEnd = -(layer.weight.dims.length - 1);
  } else if (layer.op === 'Gemm' && layer.weight.role === 'gemm_b') {
    bias = initOnly(L.inputs[2]);
    if (L.inputs[2] && (!single(bias) || bias!.numel !== C)) return { ok: false, reason: 'its bias C is not a private [N] initializer' };
    chFromEnd = -1;
  } else if (layer.op === 'MatMul' && layer.weight.role === 'matmul_b' && layer.weight.dims.length === 2) {
    chFromEnd = -1;
  } else return { ok: false, reason: `${layer.op} layers (role ${layer.weight.role}) cannot drop output channels` };

  const steps: Step[] = [];
  let t = L.outputs[0];
  let flattened = false;
  for (let guard = 0; guard < 64; guard++) {
    if (outputs.has(t)) return { ok: false, reason: `its output reaches the graph output '${t}'` };
    const cs = consumers.get(t) ?? [];
    if (cs.length === 0) return { ok: false, reason: `'${t}' is not read by any node` };
    if (cs.length > 1) return { ok: false, reason: `'${t}' is read by ${cs.length} nodes (${cs.map((c) => c.op).join(', ')}): a branch or residual` };
    const n = cs[0];
    const idx = n.inputs.indexOf(t);
    const op = n.domain === '' || n.domain === 'ai.onnx' ? n.op : `${n.domain}.${n.op}`;
    const next = n.outputs[0];
    if (op === 'BatchNormalization' && idx === 0 && !flattened) {
      const params = [1, 2, 3, 4].map((i) => initOnly(n.inputs[i]));
      if (params.some((p) => !single(p) || p!.numel !== C)) return { ok: false, reason: 'BatchNormalization parameters are not private [C] initializers' };
      if (n.outputs.slice(1).some((o) => o && consumers.has(o))) return { ok: false, reason: 'BatchNormalization in training mode' };
      steps.push({ kind: 'bn', node: n, params: params as Weight[], eps: typeof n.attributes.epsilon === 'number' ? n.attributes.epsilon : 1e-5 });
    } else if ((op === 'Add' || op === 'Sub' || op === 'Mul' || op === 'Div') && n.inputs.length === 2) {
      const other = initOnly(n.inputs[1 - idx]);
      if (!other) return { ok: false, reason: `${op} with a second computed input (residual)` };
      if (!single(other)) return { ok: false, reason: `${op} constant '${other.name}' is shared` };
      const axis = broadcastAxis(other.dims, chFromEnd, C);
      if (axis === null) return { ok: false, reason: `${op} constant of shape [${other.dims}] is not per channel` };
      steps.push({ kind: 'const', node: n, weight: other, axis, op, constFirst: idx === 1 });
    } else if (UNARY[op] && idx === 0) {
      const fn = UNARY[op](n, ir);
      if (!fn) return { ok: false, reason: `${op} with computed bounds` };
      if (n.outputs.slice(1).some((o) => o && consumers.has(o))) return { ok: false, reason: `${op} mask output is read` };
      steps.push({ kind: 'unary', node: n, fn });
    } else if (POOL.has(op) && idx === 0 && !flattened && chFromEnd < -1) {
      steps.push({ kind: 'pool', node: n });
    } else if (op === 'Conv' && idx === 0 && !flattened) {
      const w = initOnly(n.inputs[1]);
      const group = typeof n.attributes.group === 'number' ? n.attributes.group : 1;
      if (!w) return { ok: false, reason: 'next Conv has a computed weight' };
      if (group === 1) {
        if (!single(w) || w.dims[1] !== C) return { ok: false, reason: 'next Conv weight is shared or does not read these channels' };
        const b = initOnly(n.inputs[2]);
        if (n.inputs[2] && !single(b)) return { ok: false, reason: 'next Conv bias is shared' };
        return { ok: true, layer, outAxis: layer.outAxis, bias, steps, terminal: { kind: 'conv', node: n, weight: w, axis: 1, bias: b, scale: 1 } };
      }
      if (group === C && w.dims[0] === C && w.dims[1] === 1 && single(w)) {
        const b = initOnly(n.inputs[2]);
        if (n.inputs[2] && !single(b)) return { ok: false, reason: 'depthwise bias is shared' };
        steps.push({ kind: 'depthwise', node: n, weight: w, bias: b });
      } else return { ok: false, reason: `grouped Conv (group ${group}) after the layer` };
    } else if (op === 'Flatten' && idx === 0 && !flattened && chFromEnd < -1) {
      const axis = typeof n.attributes.axis === 'number' ? n.attributes.axis : 1;
      if (axis !== 1) return { ok: false, reason: `Flatten(axis=${axis}) after the layer` };
      flattened = true;
      steps.push({ kind: 'flatten', node: n });
      chFromEnd = -1;
    } else if (op === 'Gemm' && idx === 0) {
      const w = initOnly(n.inputs[1]);
      if (n.attributes.transA === 1) return { ok: false, reason: 'next Gemm has transA' };
      if (!w || !single(w) || w.dims.length !== 2) return { ok: false, reason: 'next Gemm weight is computed or shared' };
      const axis = n.attributes.transB === 1 ? 1 : 0;
      if (flattened ? w.dims[axis] % C !== 0 : w.dims[axis] !== C) return { ok: false, reason: 'next Gemm does not read these channels' };
      const b = initOnly(n.inputs[2]);
      if (n.inputs[2] && (!single(b) || b!.numel !== w.dims[1 - axis])) return { ok: false, reason: 'next Gemm bias is shared or broadcast' };
      const alpha = typeof n.attributes.alpha === 'number' ? n.attributes.alpha : 1;
      const beta = typeof n.attributes.beta === 'number' ? n.attributes.beta : 1;
      if (beta === 0) return { ok: false, reason: 'next Gemm has beta = 0' };
      return { ok: true, layer, outAxis: layer.outAxis, bias, steps, terminal: { kind: 'gemm', node: n, weight: w, axis, bias: b, scale: alpha / beta } };
    } else if (op === 'MatMul' && idx === 0) {
      const w = initOnly(n.inputs[1]);
      if (!w || !single(w) || w.dims.length !== 2) return { ok: false, reason: 'next MatMul weight is computed or shared' };
      if (flattened ? w.dims[0] % C !== 0 : w.dims[0] !== C) return { ok: false, reason: 'next MatMul does not read these channels' };
      const after = consumers.get(n.outputs[0]) ?? [];
      let biasAdd: NodeInfo | undefined;
      let b: Weight | undefined;
      if (after.length === 1 && after[0].op === 'Add') {
        const other = after[0].inputs.find((x) => x !== n.outputs[0]);
        const cand = initOnly(other);
        if (cand && single(cand) && cand.numel === w.dims[1]) {
          biasAdd = after[0];
          b = cand;
        }
      }
      return { ok: true, layer, outAxis: layer.outAxis, bias, steps, terminal: { kind: 'matmul', node: n, weight: w, axis: 0, bias: b, scale: 1, biasAdd } };
    } else {
      return { ok: false, reason: `${op} after the layer (input ${idx})` };
    }
    t = next;
  }
  return { ok: false, reason: 'chain too long' };
}

/** Which axis of a broadcast constant holds the channels (undefined: a scalar), null when not per channel. */
function broadcastAxis(dims: number[], chFromEnd: number, C: number): number | undefined | null {
  if (dims.every((d) => d === 1)) return undefined;
  const pos = dims.length + chFromEnd;
  if (pos < 0) return null;
  for (let i = 0; i < dims.length; i++) {
    if (i === pos) {
      if (dims[i] !== C) return null;
    } else if (dims[i] !== 1) return null;
  }
  return pos;
}


function withDim(dims: number[], axis: number, n: number): number[] {
  return dims.map((d, i) => (i === axis ? n : d));
}

/**
 * Removes the channels not in `keep` along the planned chain. Returns false (changing nothing)
 * when the removed channels' constant output cannot be folded into a bias.
 */
export function applyChannelRemoval(editor: ModelEditor, ir: ModelIR, plan: Extract<RemovalPlan, { ok: true }>, keep: number[]): { ok: boolean; reason?: string; foldedInexact?: boolean } {
  const { layer, steps, terminal } = plan;
  const C = layer.rows;
  if (keep.length === C) return { ok: true };
  if (keep.length === 0) return { ok: false, reason: 'every channel was pruned' };
  const keepSet = new Set(keep);
  const removed = Array.from({ length: C }, (_, i) => i).filter((i) => !keepSet.has(i));
  // Constant each removed channel carries to the terminal layer.
  const b0 = plan.bias?.float32();
  const v = removed.map((c) => (b0 ? b0[c] : 0));
  let spatial = 1;
  let inexact = false;
  for (const s of steps) {
    if (s.kind === 'bn') {
      const [g, beta, mean, vr] = s.params.map((p) => p.float32());
      removed.forEach((c, i) => (v[i] = ((v[i] - mean[c]) / Math.sqrt(vr[c] + s.eps)) * g[c] + beta[c]));
    } else if (s.kind === 'const') {
      const k = s.weight.float32();
      removed.forEach((c, i) => {
        const kc = s.axis === undefined ? k[0] : k[c];
        if (s.op === 'Add') v[i] += kc;
        else if (s.op === 'Mul') v[i] *= kc;
        else if (s.op === 'Sub') v[i] = s.constFirst ? kc - v[i] : v[i] - kc;
        else v[i] = s.constFirst ? kc / v[i] : v[i] / kc;
      });
    } else if (s.kind === 'unary') {
      removed.forEach((_, i) => (v[i] = s.fn(v[i])));
    } else if (s.kind === 'depthwise') {
      const w = s.weight.float32();
      const per = s.weight.numel / s.weight.dims[0];
      const b = s.bias?.float32();
      removed.forEach((c, i) => {
        let sum = 0;
        for (let k = 0; k < per; k++) sum += w[c * per + k];
        v[i] = (b ? b[c] : 0) + v[i] * sum;
      });
      if (v.some((x) => x !== 0)) inexact = true;
    }
  }
  const tw = terminal.weight;
  const twData = tw.float32();
  if (steps.some((s) => s.kind === 'flatten')) spatial = tw.dims[terminal.axis] / C;
  const fold = v.some((x) => Math.abs(x) > 0);
  // Output count of the terminal layer (its bias length).
  const outCount = terminal.kind === 'conv' ? tw.dims[0] : tw.dims[1 - terminal.axis];
  let contrib: Float32Array | undefined;
  if (fold) {
    if (terminal.kind === 'matmul' && !terminal.bias) return { ok: false, reason: 'removed channels emit a constant and the next MatMul has no bias Add to absorb it' };
    contrib = new Float32Array(outCount);
    if (terminal.kind === 'conv') {
      const per = tw.numel / (tw.dims[0] * tw.dims[1]);
      removed.forEach((c, i) => {
        for (let o = 0; o < outCount; o++) {
          let sum = 0;
          for (let k = 0; k < per; k++) sum += twData[(o * tw.dims[1] + c) * per + k];
          contrib![o] += v[i] * sum;
        }
      });
      const pads = terminal.node.attributes.pads;
      if ((Array.isArray(pads) && (pads as number[]).some((p) => p > 0)) || typeof terminal.node.attributes.auto_pad === 'string') inexact = true;
    } else {
      const [K, N] = tw.dims;
      removed.forEach((c, i) => {
        for (let s = 0; s < spatial; s++) {
          const k = c * spatial + s;
          for (let o = 0; o < outCount; o++) contrib![o] += v[i] * (terminal.axis === 0 ? twData[k * N + o] : twData[o * K + k]);
        }
      });
    }
  }

  // Mutate: the layer's weight and bias, the chain, the terminal's input channels and bias.
  const lw = layer.weight;
  editor.setTensor(lw.id, sliceAxis(lw.float32(), lw.dims, plan.outAxis, keep), { dims: withDim(lw.dims, plan.outAxis, keep.length) });
  if (plan.bias) editor.setTensor(plan.bias.id, sliceAxis(plan.bias.float32(), plan.bias.dims, plan.bias.dims.length - 1, keep), { dims: withDim(plan.bias.dims, plan.bias.dims.length - 1, keep.length) });
  const model = editor.current() as OnnxModel;
  const protoOf = (n: NodeInfo) => [...model.walked.protoOf.entries()].find(([k]) => k.name === n.name)?.[1];
  for (const s of steps) {
    if (s.kind === 'bn') for (const p of s.params) editor.setTensor(p.id, sliceAxis(p.float32(), p.dims, 0, keep), { dims: [keep.length] });
    else if (s.kind === 'const' && s.axis !== undefined) editor.setTensor(s.weight.id, sliceAxis(s.weight.float32(), s.weight.dims, s.axis, keep), { dims: withDim(s.weight.dims, s.axis, keep.length) });
    else if (s.kind === 'depthwise') {
      editor.setTensor(s.weight.id, sliceAxis(s.weight.float32(), s.weight.dims, 0, keep), { dims: withDim(s.weight.dims, 0, keep.length) });
      if (s.bias) editor.setTensor(s.bias.id, sliceAxis(s.bias.float32(), s.bias.dims, 0, keep), { dims: [keep.length] });
      const p = protoOf(s.node);
      const g = p?.attribute.find((a) => a.name === 'group');
      if (g) g.i = BigInt(keep.length);
    }
  }
  const keptFeatures: number[] = [];
  for (const c of keep) for (let s = 0; s < spatial; s++) keptFeatures.push(c * spatial + s);
  editor.setTensor(tw.id, sliceAxis(twData, tw.dims, terminal.axis, keptFeatures), { dims: withDim(tw.dims, terminal.axis, keptFeatures.length) });
  if (contrib) {
    const scale = terminal.scale;
    if (terminal.bias) {
      const b = terminal.bias.float32();
      for (let o = 0; o < outCount; o++) b[o] += contrib[o] * scale;
      editor.setTensor(terminal.bias.id, b);
    } else {
      // Conv / Gemm without a bias input: give it one.
      const p = protoOf(terminal.node);
      const g = model.proto.graph!;
      const name = `${terminal.node.name.replace(/[^A-Za-z0-9_.]/g, '_')}_folded_bias`;
      g.initializer.push(tensorProto(name, 'float32', [outCount], Array.from(contrib, (x) => x * scale)));
      if (p) {
        while (p.input.length < 2) p.input.push('');
        p.input[2] = name;
      }
    }
  }
  return { ok: true, ...(inexact ? { foldedInexact: true } : {}) };
}
