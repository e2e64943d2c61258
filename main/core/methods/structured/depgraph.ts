// Dependency groups of channel dims on an ONNX graph (the idea of Torch-Pruning's DepGraph,
// written for ONNX): every tensor that carries channels gets a "space"; ops that keep channels
// aligned (activations, BN, pooling, depthwise Conv, Flatten, per-channel constants) pass the
// space on, elementwise ops with two computed inputs (residual Add, squeeze-excitation Mul)
// merge spaces, Concat lays spaces side by side at offsets, and layers that reduce over
// channels (Conv, Gemm, MatMul) read a space and open a new one. A space is removed as one:
// every member (producer rows, consumer columns, per-channel parameters, depthwise group
// attributes) loses the same channels. A space that reaches something we cannot follow
// (a graph output, a Reshape, a normalization over the channels) is blocked, with the
// reason and the node that blocks it.
//
// Attention: a Reshape that splits the channels into [heads, head_dim] with constant sizes
// (view(b, t, H, hd)) makes a head tensor; Q·Kᵀ and P·V merge the Q, K and V groups; the
// Reshape that merges heads back (reshape(b, t, H·hd)) returns to channels. Such a group moves
// in whole heads (unit = hd), and the constants holding H and H·hd become members to rewrite.
import { inferShapes } from '../../model/shapes';
import type { ModelIR, NodeInfo, Weight } from '../../model/ir';

/** One tensor (or tensor slice) of a group that loses the group's channels. */
export interface Member {
  /** out: a layer's output rows; in: a layer's input columns; param: a per-channel vector or constant; dw: a depthwise weight (out rows, group attribute); count: a shape constant holding the channel count (divided by `per`: heads). */
  kind: 'out' | 'in' | 'param' | 'dw' | 'count';
  node: NodeInfo;
  /** Input index of the node that reads the weight. */
  input: number;
  weight: Weight;
  /** Axis of the weight that holds the channels. */
  axis: number;
  /** Each channel spans `repeat` consecutive entries along the axis (a Flatten of C×H×W into a Gemm). */
  repeat: number;
  /** Channel c of the group is entry offset + c (Concat). */
  offset: number;
  /** count: the element of the constant, and the divisor (head_dim for a head count, 1 for a width). */
  index?: number;
  per?: number;
}

export interface ChannelGroup {
  id: number;
  channels: number;
  /** Channels move in units of this many (head_dim for attention groups, else 1). */
  unit: number;
  /** Attention heads (channels / unit) when the group is an attention group. */
  heads?: number;
  members: Member[];
  /** Layers whose output channels the group is (names: weight ids). */
  producers: string[];
  /** Layers that read the group's channels. */
  consumers: string[];
  /** Tensors carrying the group's channels. */
  tensors: string[];
  /** Why the group cannot be removed, and the node (or tensor) that blocks it. */
  blocked?: { reason: string; node: string };
}

interface Info {
  /** Channel segments of the tensor in axis order: space id and channel count each. */
  segs: { space: number; count: number }[];
  /** The channel axis: >= 0 from the front, < 0 from the end (MatMul outputs of unknown rank). */
  axis: number;
  rank?: number;
  /** Flattened channel-major: channels are the outer part of the (single) feature axis. */
  flat?: boolean;
  /** Head tensors: `axis` holds the heads, `dAxis` the head_dim entries (absent: scores, heads only). */
  dAxis?: number;
  hd?: number;
  headsOnly?: boolean;
}

const UNARY = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign', 'Gelu', 'Erf', 'Identity', 'Dropout', 'Neg', 'Abs', 'Sqrt', 'Exp', 'Log', 'Mish', 'ThresholdedRelu', 'Clip', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow', 'PRelu']);
const SPATIAL = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool', 'GlobalLpPool', 'Resize', 'Upsample', 'SpaceToDepth']);

class Spaces {
  parent: number[] = [];
  size: number[] = [];
  members: Member[][] = [];
  producers: string[][] = [];
  consumers: string[][] = [];
  tensors: string[][] = [];
  unit: number[] = [];
  blocked: ({ reason: string; node: string } | undefined)[] = [];

  add(count: number): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.size.push(count);
    this.unit.push(1);
    this.members.push([]);
    this.producers.push([]);
    this.consumers.push([]);
    this.tensors.push([]);
    this.blocked.push(undefined);
    return id;
  }

  find(a: number): number {
    while (this.parent[a] !== a) a = this.parent[a] = this.parent[this.parent[a]];
    return a;
  }

  union(a: number, b: number, at: string): number {
    a = this.find(a);
    b = this.find(b);
    if (a === b) return a;
    if (this.size[a] !== this.size[b]) {
      this.block(a, `${this.size[a]} and ${this.size[b]} channels meet`, at);
      this.block(b, `${this.size[a]} and ${this.size[b]} channels meet`, at);
      return a;
    }
    this.parent[b] = a;
    this.members[a].push(...this.members[b]);
    this.producers[a].push(...this.producers[b]);
    this.consumers[a].push(...this.consumers[b]);
    this.tensors[a].push(...this.tensors[b]);
    this.unit[a] = Math.max(this.unit[a], this.unit[b]);
    this.blocked[a] ??= this.blocked[b];
    return a;
  }

  block(s: number, reason: string, node: string): void {
    s = this.find(s);
    this.blocked[s] ??= { reason, node };
  }
}

const attrNum = (n: NodeInfo, k: string, d: number): number => (typeof n.attributes[k] === 'number' ? (n.attributes[k] as number) : d);
const attrInts = (n: NodeInfo, k: string): number[] | undefined => (Array.isArray(n.attributes[k]) ? (n.attributes[k] as number[]) : undefined);

/** Builds the channel groups of the main graph. */
export function buildGroups(ir: ModelIR): ChannelGroup[] {
  const sp = new Spaces();
  if (ir.format !== 'onnx') return [];
  const weights = new Map<string, Weight>();
  for (const w of ir.weights) if (w.graph === '') weights.set(w.name, w);
  const info = new Map<string, Info>();
  const outputs = new Set(ir.outputs.map((o) => o.name));
  const main = ir.nodes.filter((n) => n.graph === '');
  const subgraphReads = new Set<string>();
  for (const n of ir.nodes) if (n.graph !== '') for (const i of n.inputs) subgraphReads.add(i);
  const constVals = new Map<string, number[]>();
  for (const w of ir.weights) if (w.graph === '' && w.numel <= 16 && (w.dtype === 'int64' || w.dtype === 'int32')) constVals.set(w.name, Array.from(w.float32()));

  // The exporter shares equal initializers behind Identity nodes: the Identity output is that weight.
  for (const n of main) if (n.op === 'Identity' && weights.has(n.inputs[0]) && !weights.has(n.outputs[0])) weights.set(n.outputs[0], weights.get(n.inputs[0])!);
  const producer = new Map<string, NodeInfo>();
  for (const n of main) for (const o of n.outputs) if (o) producer.set(o, n);
  let shapes: Map<string, number[]> | undefined;
  const shapeOf = (t: string): number[] | undefined => {
    shapes ??= inferShapes(ir).shapes;
    return shapes.get(t);
  };
  // A computed tensor without channels of its own broadcasts over `i`'s channel (and head_dim) axes.
  const broadcasts = (t: string, i: Info): boolean => {
    const s = shapeOf(t);
    if (!s || i.rank === undefined) return false;
    const at = (ax: number) => ax - (i.rank! - s.length);
    return [i.axis, i.dAxis].every((ax) => {
      if (ax === undefined) return true;
      const a = at(ax < 0 ? i.rank! + ax : ax);
      return a < 0 || s[a] === 1;
    });
  };
  // The entries of a Reshape shape: constants (with where they live) or computed (undefined).
  const shapeParts = (t: string): { w?: Weight; index: number; value?: number }[] | undefined => {
    const w = weights.get(t);
    if (w) return constVals.has(t) ? constVals.get(t)!.map((value, index) => ({ w, index, value })) : undefined;
    const c = producer.get(t);
    if (!c || c.op !== 'Concat') return undefined;
    return c.inputs.flatMap((x) => {
      const cw = weights.get(x);
      if (cw && constVals.has(x)) return constVals.get(x)!.map((value, index) => ({ w: cw, index, value }));
      return [{ index: 0 }];
    });
  };

  // Splits along the last axis with constant sizes, traced back (through bias Adds and
  // activations) to the layer whose output they cut: that layer opens one space per part.
  const splitOf = new Map<string, number[]>();
  for (const n of main) {
    if (n.op !== 'Split') continue;
    const sizes = n.inputs[1] ? constVals.get(n.inputs[1]) : undefined;
    const shape = shapeOf(n.inputs[0]);
    const axis = attrNum(n, 'axis', 0);
    if (!sizes || !(axis === -1 || (shape && axis === shape.length - 1))) continue;
    let t = n.inputs[0];
    for (let hop = 0; hop < 4; hop++) {
      const p = producer.get(t);
      if (!p) break;
      if ((p.op === 'MatMul' || p.op === 'Gemm') && weights.has(p.inputs[1])) {
        if (weights.get(p.inputs[1])!.dims.length === 2) splitOf.set(t, sizes);
        break;
      }
      const computed = p.inputs.filter((i) => i && !weights.has(i));
      if (computed.length !== 1 || !(BINARY.has(p.op) || UNARY.has(p.op))) break;
      t = computed[0];
    }
  }

  const blockAll = (i: Info | undefined, reason: string, node: string): void => {
    if (i) for (const s of i.segs) sp.block(s.space, reason, node);
  };
  const one = (i: Info): number | undefined => (i.segs.length === 1 ? i.segs[0].space : undefined);
  const total = (i: Info): number => i.segs.reduce((a, s) => a + s.count, 0);
  const set = (t: string, i: Info): void => {
    info.set(t, i);
    for (const s of i.segs) sp.tensors[sp.find(s.space)].push(t);
  };
  const member = (space: number, m: Omit<Member, 'repeat' | 'offset'> & Partial<Pick<Member, 'repeat' | 'offset'>>): void => {
    sp.members[sp.find(space)].push({ repeat: 1, offset: 0, ...m });
  };
  // Position of the channel axis in a tensor of `rank` dims (undefined: unknown rank, axis from the end).
  const pos = (i: Info, rank: number): number => (i.axis >= 0 ? i.axis : rank + i.axis);

  // A per-channel constant (or scalar) in a broadcast with a channel tensor: which weight axis holds the channels.
  const constAxis = (w: Weight, i: Info): number | 'scalar' | null => {
    if (w.dims.every((d) => d === 1)) return 'scalar';
    const C = total(i);
    const rank = i.rank ?? (i.axis < 0 ? w.dims.length : undefined);
    if (rank === undefined) return null;
    const p = pos(i, rank) - (rank - w.dims.length);
    if (p < 0) return null;
    return w.dims.every((d, k) => (k === p ? d === C : d === 1)) ? p : null;
  };

  // Layer: reads `inInfo` on weight axis `inAxis` and opens a new space of `rows` output channels.
  const layer = (n: NodeInfo, w: Weight, inAxis: number, outAxis: number, rows: number, outInfo: Omit<Info, 'segs'>, biasIdx?: number): void => {
    const x = info.get(n.inputs[0]);
    if (x) {
      let off = 0;
      let repeat = 1;
      if (x.flat) {
        repeat = w.dims[inAxis] / total(x);
        if (!Number.isInteger(repeat)) {
          blockAll(x, `${n.op} reads ${w.dims[inAxis]} features, not a multiple of the ${total(x)} flattened channels`, n.name);
          repeat = 1;
        }
      } else if (w.dims[inAxis] !== total(x)) blockAll(x, `${n.op} weight reads ${w.dims[inAxis]} channels, the tensor has ${total(x)}`, n.name);
      for (const s of x.segs) {
        member(s.space, { kind: 'in', node: n, input: 1, weight: w, axis: inAxis, repeat, offset: off * repeat });
        sp.consumers[sp.find(s.space)].push(w.id);
        off += s.count;
      }
    }
    // A fused projection cut by a Split (qkv) opens one space per part, side by side.
    const sizes = splitOf.get(n.outputs[0]) ?? [rows];
    const segs: Info['segs'] = [];
    let off = 0;
    for (const size of sizes) {
      const s = sp.add(size);
      member(s, { kind: 'out', node: n, input: 1, weight: w, axis: outAxis, offset: off });
      sp.producers[s].push(w.id);
      if (biasIdx !== undefined && n.inputs[biasIdx]) {
        const b = weights.get(n.inputs[biasIdx]);
        if (b && b.numel === rows) member(s, { kind: 'param', node: n, input: biasIdx, weight: b, axis: b.dims.length - 1, offset: off });
        else sp.block(s, b ? `bias of shape [${b.dims}] is not per channel` : 'bias is computed', n.name);
      }
      segs.push({ space: s, count: size });
      off += size;
    }
    set(n.outputs[0], { segs, ...outInfo });
  };

  for (const n of main) {
    const op = n.domain === '' || n.domain === 'ai.onnx' ? n.op : `${n.domain}.${n.op}`;
    const ins = n.inputs.map((i) => (i ? info.get(i) : undefined));
    const x = ins[0];
    const w1 = weights.get(n.inputs[1] ?? '');
    if (op === 'Conv' && w1 && w1.isParameter && !w1.quantized) {
      const group = attrNum(n, 'group', 1);
      const rank = w1.dims.length;
      if (group === 1) {
        layer(n, w1, 1, 0, w1.dims[0], { axis: 1, rank }, 2);
        continue;
      }
      if (x && one(x) !== undefined && group === total(x) && w1.dims[0] === group && w1.dims[1] === 1) {
        // Depthwise: output channel c is input channel c filtered; the space goes through.
        const s = one(x)!;
        member(s, { kind: 'dw', node: n, input: 1, weight: w1, axis: 0 });
        const b = n.inputs[2] ? weights.get(n.inputs[2]) : undefined;
        if (n.inputs[2] && !b) sp.block(s, 'depthwise bias is computed', n.name);
        if (b) member(s, { kind: 'param', node: n, input: 2, weight: b, axis: 0 });
        set(n.outputs[0], { segs: [...x.segs], axis: 1, rank });
        continue;
      }
      blockAll(x, `grouped Conv (group ${group}) reads these channels`, n.name);
      // Its own output: a fresh, blocked space (rows move in blocks of the group).
      const s = sp.add(w1.dims[0]);
      sp.block(s, `grouped Conv (group ${group}) output`, n.name);
      set(n.outputs[0], { segs: [{ space: s, count: w1.dims[0] }], axis: 1, rank });
      continue;
    }
    if (op === 'Gemm' && w1 && w1.isParameter && !w1.quantized && w1.dims.length === 2 && attrNum(n, 'transA', 0) === 0) {
      const tb = attrNum(n, 'transB', 0) === 1;
      layer(n, w1, tb ? 1 : 0, tb ? 0 : 1, w1.dims[tb ? 0 : 1], { axis: 1, rank: 2 }, 2);
      continue;
    }
    if (op === 'MatMul' && w1 && w1.isParameter && !w1.quantized && w1.dims.length === 2 && !weights.has(n.inputs[0])) {
      layer(n, w1, 0, 1, w1.dims[1], { axis: -1, rank: x?.rank });
      continue;
    }
    if (!ins.some(Boolean)) continue; // nothing traced flows in (shape arithmetic, masks, embeddings)
    // Shape reads only the dims: what it feeds computes with the pruned sizes at run time.
    if (op === 'Shape') continue;
    const withInfo = ins.filter((i): i is Info => !!i);
    const block = (reason: string): void => {
      for (const i of withInfo) blockAll(i, reason, n.name);
    };
    if (op === 'Reshape' && x && x.segs.length === 1 && !x.flat && !x.headsOnly) {
      const parts = shapeParts(n.inputs[1]);
      const C = total(x);
      const last = parts?.[parts.length - 1];
      const prev = parts?.[parts.length - 2];
      const s = x.segs[0].space;
      const lastAxis = x.rank !== undefined ? x.axis === x.rank - 1 : x.axis === -1;
      if (parts && x.dAxis === undefined && lastAxis && last?.w && prev?.w && prev.value! * last.value! === C && prev.value! > 1) {
        // Split into heads: [..., C] -> [..., H, hd].
        const hd = last.value!;
        member(s, { kind: 'count', node: producer.get(n.inputs[1]) ?? n, input: 0, weight: prev.w, axis: 0, index: prev.index, per: hd });
        sp.unit[sp.find(s)] = Math.max(sp.unit[sp.find(s)], hd);
        set(n.outputs[0], { segs: x.segs, axis: parts.length - 2, dAxis: parts.length - 1, rank: parts.length, hd });
        continue;
      }
      if (parts && x.dAxis !== undefined && x.rank !== undefined && x.dAxis === x.rank - 1 && x.axis === x.rank - 2 && last?.w && last.value === C) {
        // Merge heads: [..., H, hd] -> [..., H·hd].
        member(s, { kind: 'count', node: producer.get(n.inputs[1]) ?? n, input: 0, weight: last.w, axis: 0, index: last.index, per: 1 });
        set(n.outputs[0], { segs: x.segs, axis: parts.length - 1, rank: parts.length });
        continue;
      }
    }
    if (op === 'Split' && x && !x.flat && x.dAxis === undefined && n.inputs[1] && constVals.has(n.inputs[1])) {
      const sizes = constVals.get(n.inputs[1])!;
      const w = weights.get(n.inputs[1])!;
      if (sizes.length === x.segs.length && sizes.every((v, k) => v === x.segs[k].count) && n.outputs.length === sizes.length) {
        x.segs.forEach((seg, k) => {
          member(seg.space, { kind: 'count', node: n, input: 1, weight: w, axis: 0, index: k, per: 1 });
          set(n.outputs[k], { segs: [seg], axis: x.axis, ...(x.rank !== undefined ? { rank: x.rank } : {}) });
        });
        continue;
      }
    }
    if (op === 'MatMul' && x && ins[1] && (x.dAxis !== undefined || x.headsOnly) && x.rank !== undefined) {
      const y = ins[1];
      const r = x.rank;
      if (y.rank === r && x.axis === y.axis && x.axis < r - 2 && y.dAxis !== undefined) {
        if (!x.headsOnly && x.dAxis === r - 1 && y.dAxis === r - 2) {
          // Q·Kᵀ: the same heads of Q and K meet; the scores keep the head axis.
          sp.union(x.segs[0].space, y.segs[0].space, n.name);
          set(n.outputs[0], { segs: x.segs.map((q) => ({ space: sp.find(q.space), count: q.count })), axis: x.axis, rank: r, headsOnly: true, hd: x.hd });
          continue;
        }
        if (x.headsOnly && y.dAxis === r - 1) {
          // P·V: the heads of the scores pick the same heads of V.
          sp.union(x.segs[0].space, y.segs[0].space, n.name);
          set(n.outputs[0], { segs: y.segs.map((v) => ({ space: sp.find(v.space), count: v.count })), axis: x.axis, dAxis: r - 1, rank: r, hd: y.hd });
          continue;
        }
      }
    }
    if ((op === 'Softmax' || op === 'LogSoftmax') && x && x.rank !== undefined) {
      const a = attrNum(n, 'axis', -1);
      const ax = a < 0 ? a + x.rank : a;
      if (ax !== pos(x, x.rank) && ax !== x.dAxis) {
        set(n.outputs[0], x);
        continue;
      }
    }
    if (UNARY.has(op) && x && ins.slice(1).every((i) => !i)) {
      if (op === 'Clip' && n.inputs.slice(1).some((t) => t && !weights.has(t))) {
        block('Clip with computed bounds');
        continue;
      }
      set(n.outputs[0], x);
      continue;
    }
    if (op === 'Cast' && x) {
      set(n.outputs[0], x);
      continue;
    }
    if (BINARY.has(op)) {
      // Constants broadcast per channel become members; computed inputs merge their spaces.
      const base = withInfo[0];
      let ok = true;
      for (let k = 0; k < n.inputs.length; k++) {
        const t = n.inputs[k];
        if (!t) continue;
        const i = ins[k];
        if (i) {
          if (i.segs.length !== base.segs.length || i.segs.some((s, j) => s.count !== base.segs[j].count) || i.flat !== base.flat || i.headsOnly !== base.headsOnly || (i.dAxis === undefined) !== (base.dAxis === undefined)) {
            block(`${op} of tensors with different channel layouts`);
            ok = false;
            break;
          }
          i.segs.forEach((s, j) => sp.union(base.segs[j].space, s.space, n.name));
          continue;
        }
        const w = weights.get(t);
        if (!w && broadcasts(t, base)) continue; // e.g. an attention mask [b, 1, 1, t]
        if (!w) {
          block(`${op} with '${t}', a computed tensor whose channels are not traced`);
          ok = false;
          break;
        }
        const ax = constAxis(w, base);
        if (ax === null) {
          block(`${op} constant '${w.name}' of shape [${w.dims}] is not per channel`);
          ok = false;
          break;
        }
        if (ax !== 'scalar') {
          let off = 0;
          for (const seg of base.segs) {
            member(seg.space, { kind: 'param', node: n, input: k, weight: w, axis: ax, offset: off });
            off += seg.count;
          }
        }
      }
      if (ok) set(n.outputs[0], { ...base, segs: base.segs.map((s) => ({ space: sp.find(s.space), count: s.count })) });
      continue;
    }
    if (op === 'BatchNormalization' || op === 'InstanceNormalization') {
      if (!x || x.axis !== 1 || x.flat) {
        block(`${op} over a tensor whose channel axis is not 1`);
        continue;
      }
      const idx = op === 'BatchNormalization' ? [1, 2, 3, 4] : [1, 2];
      if (n.outputs.slice(1).some((o) => o)) {
        block(`${op} in training mode`);
        continue;
      }
      const params = idx.map((k) => weights.get(n.inputs[k]));
      if (params.some((p) => !p || p.numel !== total(x))) {
        block(`${op} parameters are computed or not per channel`);
        continue;
      }
      // Over a concatenated tensor (DenseNet) each segment owns its slice of the parameters.
      let off = 0;
      for (const seg of x.segs) {
        params.forEach((p, j) => member(seg.space, { kind: 'param', node: n, input: idx[j], weight: p!, axis: 0, offset: off }));
        off += seg.count;
      }
      set(n.outputs[0], x);
      continue;
    }
    if (op === 'Pad' && x && x.rank !== undefined) {
      const pads = attrInts(n, 'pads') ?? (n.inputs[1] ? constVals.get(n.inputs[1]) : undefined);
      const mode = n.attributes.mode ?? 'constant';
      const ax = pos(x, x.rank);
      if (pads && pads.length === 2 * x.rank && pads[ax] === 0 && pads[ax + x.rank] === 0 && (mode !== 'constant' || !n.inputs[2] || weights.get(n.inputs[2])?.numel === 1)) {
        set(n.outputs[0], x);
        continue;
      }
    }
    if ((op === 'ReduceMean' || op === 'ReduceMax' || op === 'ReduceMin' || op === 'ReduceSum' || op === 'ReduceL2') && x && x.rank !== undefined && x.dAxis === undefined && !x.flat) {
      const axes = (attrInts(n, 'axes') ?? (n.inputs[1] ? constVals.get(n.inputs[1]) : undefined))?.map((a) => (a < 0 ? a + x.rank! : a));
      const ax = pos(x, x.rank);
      if (axes && axes.length && !axes.includes(ax)) {
        const keep = attrNum(n, 'keepdims', 1) === 1;
        if (keep || axes.every((a) => a > ax)) {
          set(n.outputs[0], { ...x, axis: ax, rank: keep ? x.rank : x.rank - axes.length });
          continue;
        }
      }
    }
    if (SPATIAL.has(op) && x && x.axis === 1 && !x.flat) {
      set(n.outputs[0], x);
      continue;
    }
    if (op === 'Flatten' && x && x.axis === 1 && !x.flat && attrNum(n, 'axis', 1) === 1) {
      set(n.outputs[0], { segs: x.segs, axis: 1, rank: 2, flat: (x.rank ?? 4) > 2 });
      continue;
    }
    if ((op === 'Squeeze' || op === 'Unsqueeze') && x && x.axis >= 0) {
      const axes = attrInts(n, 'axes') ?? (n.inputs[1] ? constVals.get(n.inputs[1]) : undefined);
      if (axes && x.rank !== undefined) {
        const r = op === 'Squeeze' ? x.rank : x.rank + axes.length;
        const norm = axes.map((a) => (a < 0 ? a + r : a));
        if (norm.every((a) => a > x.axis)) {
          set(n.outputs[0], { ...x, rank: op === 'Squeeze' ? x.rank - axes.length : x.rank + axes.length });
          continue;
        }
      }
      block(`${op} that moves the channel axis`);
      continue;
    }
    if (op === 'Transpose' && x && x.rank !== undefined) {
      const perm = attrInts(n, 'perm') ?? Array.from({ length: x.rank }, (_, k) => x.rank! - 1 - k);
      set(n.outputs[0], { ...x, axis: perm.indexOf(pos(x, x.rank)), ...(x.dAxis !== undefined ? { dAxis: perm.indexOf(x.dAxis) } : {}) });
      continue;
    }
    if (op === 'Concat' && withInfo.length === n.inputs.length && x) {
      const rank = x.rank;
      const axis = attrNum(n, 'axis', 0);
      const same = withInfo.every((i) => i.axis === x.axis && !i.flat);
      if (same && rank !== undefined && (axis < 0 ? axis + rank : axis) === pos(x, rank)) {
        set(n.outputs[0], { segs: withInfo.flatMap((i) => i.segs), axis: x.axis, rank });
        continue;
      }
    }
    block(`${op} reads these channels (not traced through ${op})`);
  }
  // Anything that leaves the main graph keeps its channels.
  for (const [t, i] of info) {
    if (outputs.has(t)) blockAll(i, `reaches the graph output '${t}'`, t);
    if (subgraphReads.has(t)) blockAll(i, `read inside a subgraph`, t);
  }

  const groups: ChannelGroup[] = [];
  for (let s = 0; s < sp.parent.length; s++) {
    if (sp.find(s) !== s) continue;
    const unit = sp.unit[s];
    const g: ChannelGroup = {
      id: groups.length,
      channels: sp.size[s],
      unit,
      ...(unit > 1 ? { heads: sp.size[s] / unit } : {}),
      members: sp.members[s],
      producers: [...new Set(sp.producers[s])],
      consumers: [...new Set(sp.consumers[s])],
      tensors: [...new Set(sp.tensors[s])],
    };
    if (sp.blocked[s]) g.blocked = sp.blocked[s];
    else if (g.producers.length === 0) g.blocked = { reason: 'no layer produces these channels', node: g.tensors[0] ?? '' };
    else if (g.channels < 2) g.blocked = { reason: 'a single channel', node: g.tensors[0] ?? '' };
    else if (g.channels % unit !== 0) g.blocked = { reason: `${g.channels} channels do not split into heads of ${unit}`, node: g.tensors[0] ?? '' };
    else if (unit > 1 && g.channels / unit < 2) g.blocked = { reason: 'a single attention head', node: g.tensors[0] ?? '' };
    groups.push(g);
  }
  return groups;
}
