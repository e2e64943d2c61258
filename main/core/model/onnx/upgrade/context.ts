// What an op converter sees while a (sub)graph is raised to a newer opset: the node's attributes,
// fresh names, Constant nodes for values that became inputs, and the element type and rank of a
// value where the graph tells them (declared types, initializers, Constants, and a small forward
// pass over ops whose output keeps its input's type or rank). Unknown stays unknown: a converter
// that needs a rank it cannot get refuses rather than guesses.
import type { AttributeProto, GraphProto, NodeProto } from 'onnx-buf';
import { TwinforgeError } from '../../../errors';
import { type DType, byteSize, decodeToFloat32, dtypeFromOnnx } from '../../dtype';
import { node as makeNode, tensorProto } from '../build';

export interface ValueFacts {
  dtype?: DType;
  rank?: number;
}

// Output has input 0's element type and rank.
const SAME = new Set([
  'Relu', 'Sigmoid', 'Tanh', 'Exp', 'Log', 'Sqrt', 'Abs', 'Neg', 'Erf', 'LeakyRelu', 'Elu', 'Selu', 'Celu', 'HardSigmoid', 'Softplus', 'Softsign',
  'Clip', 'Identity', 'Dropout', 'Softmax', 'LogSoftmax', 'Hardmax', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos', 'Tan', 'Asin', 'Acos',
  'Atan', 'Sinh', 'Cosh', 'ThresholdedRelu', 'Shrink', 'BatchNormalization', 'InstanceNormalization', 'LRN', 'PRelu', 'Pad', 'Transpose',
  'Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'LpPool', 'GlobalAveragePool', 'GlobalMaxPool', 'Upsample', 'Resize', 'Slice', 'Concat',
  'Tile', 'DepthToSpace', 'SpaceToDepth', 'Sign', 'CumSum', 'Mod', 'MeanVarianceNormalization', 'LpNormalization',
]);
// Output has the broadcast (largest) rank of its inputs and input 0's element type.
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean']);
const BOOL_BROADCAST = new Set(['Equal', 'Less', 'Greater', 'And', 'Or', 'Xor']);

/** Element type and rank of the values of one graph (outer scopes seen through `outer`). */
export class GraphFacts {
  private readonly facts = new Map<string, ValueFacts>();

  constructor(g: GraphProto, private readonly outer?: GraphFacts) {
    const fromType = (v: GraphProto['input'][number]): void => {
      if (v.type?.value.case !== 'tensorType') return;
      const t = v.type.value.value;
      this.set(v.name, { dtype: dtypeFromOnnx(t.elemType), rank: t.shape ? t.shape.dim.length : undefined });
    };
    for (const t of g.initializer) this.set(t.name, { dtype: dtypeFromOnnx(t.dataType), rank: t.dims.length });
    g.input.forEach(fromType);
    g.valueInfo.forEach(fromType);
    g.output.forEach(fromType);
    for (const n of g.node) this.forward(n);
  }

  get(name: string): ValueFacts {
    return this.facts.get(name) ?? this.outer?.get(name) ?? {};
  }

  /** Records what is known about a value (never overwrites known facts with unknown ones). */
  set(name: string, f: ValueFacts): void {
    const had = this.facts.get(name) ?? {};
    this.facts.set(name, { dtype: had.dtype ?? f.dtype, rank: had.rank ?? f.rank });
  }

  private forward(n: NodeProto): void {
    if (n.domain !== '' && n.domain !== 'ai.onnx') return;
    const a = this.get(n.input[0] ?? '');
    const out = n.output[0];
    if (!out) return;
    const attr = (name: string): AttributeProto | undefined => n.attribute.find((x) => x.name === name);
    if (n.opType === 'Constant') {
      const t = attr('value')?.t;
      if (t) this.set(out, { dtype: dtypeFromOnnx(t.dataType), rank: t.dims.length });
    } else if (SAME.has(n.opType)) this.set(out, a);
    else if (BROADCAST.has(n.opType) || BOOL_BROADCAST.has(n.opType)) {
      const ranks = n.input.map((i) => this.get(i).rank);
      const rank = ranks.every((r) => r !== undefined) ? Math.max(...(ranks as number[])) : undefined;
      this.set(out, { dtype: BOOL_BROADCAST.has(n.opType) ? 'bool' : a.dtype, rank });
    } else if (n.opType === 'Cast') {
      const to = attr('to');
      this.set(out, { dtype: to && to.i ? dtypeFromOnnx(Number(to.i)) : undefined, rank: a.rank });
    } else if (n.opType === 'Gemm' || n.opType === 'Flatten') this.set(out, { dtype: a.dtype, rank: 2 });
    else if (n.opType === 'Shape') this.set(out, { dtype: 'int64', rank: 1 });
    else if (n.opType === 'Reshape') this.set(out, { dtype: a.dtype });
    else this.set(out, { dtype: SAME_TYPE_ONLY.has(n.opType) ? a.dtype : undefined });
  }
}

// Output has input 0's element type (rank changes).
const SAME_TYPE_ONLY = new Set(['MatMul', 'Squeeze', 'Unsqueeze', 'Gather', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'Expand', 'Split']);

/** One graph's conversion state: fresh names and the nodes to put before / after the current one. */
export class UpgradeContext {
  before: NodeProto[] = [];
  after: NodeProto[] = [];

  constructor(
    readonly graph: GraphProto,
    readonly facts: GraphFacts,
    /** Opset the model declares. */
    readonly from: number,
    /** Opset being reached. */
    readonly to: number,
    private readonly taken: Set<string>,
  ) {}

  /** A value or node name not used anywhere in the model. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** A Constant node (placed before the node) holding `values`; returns its output's name. */
  constant(base: string, dtype: DType, dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh(base);
    this.before.push(makeNode('Constant', [], [name], { value: tensorProto(name, dtype, dims, values) }, { name: this.fresh(`${name}_Constant`) }));
    return name;
  }

  /** The values of a small constant (initializer or Constant node of this graph), as numbers. */
  constantValues(name: string): number[] | undefined {
    let t = this.graph.initializer.find((x) => x.name === name);
    if (!t) t = this.graph.node.find((x) => x.opType === 'Constant' && x.output[0] === name)?.attribute.find((a) => a.name === 'value')?.t;
    const dtype = t && dtypeFromOnnx(t.dataType);
    if (!t || !dtype) return undefined;
    const numel = t.dims.reduce((a, b) => a * Number(b), 1);
    if (t.rawData.byteLength) {
      if (t.rawData.byteLength !== byteSize(dtype, numel)) return undefined;
      if (dtype === 'int64') return Array.from(new BigInt64Array(Uint8Array.from(t.rawData).buffer), Number);
      return Array.from(decodeToFloat32(dtype, t.rawData, numel));
    }
    const src = t.floatData.length ? t.floatData : t.doubleData.length ? t.doubleData : t.int64Data.length ? t.int64Data : t.int32Data;
    return src.length === numel ? Array.from(src as ArrayLike<number | bigint>, Number) : undefined;
  }

  /** Puts an input at position `i` (padding skipped optional inputs with ''). */
  setInput(n: NodeProto, i: number, name: string): void {
    while (n.input.length < i) n.input.push('');
    n.input[i] = name;
  }

  /** Refusal for a node this converter cannot raise faithfully. */
  refuse(n: NodeProto, why: string): TwinforgeError {
    return new TwinforgeError(
      'UNSUPPORTED',
      `The model uses opset ${this.from}; its ${n.opType} node${n.name ? ` '${n.name}'` : ''} cannot be raised to opset ${this.to}: ${why}.`,
      'Export the model at opset 13 or newer (e.g. torch.onnx.export(..., opset_version=13)), then compress it.',
    );
  }
}

/** Attribute helpers: read and remove. */
export function attr(n: NodeProto, name: string): AttributeProto | undefined {
  return n.attribute.find((a) => a.name === name);
}
export function takeAttr(n: NodeProto, name: string): AttributeProto | undefined {
  const i = n.attribute.findIndex((a) => a.name === name);
  if (i < 0) return undefined;
  return n.attribute.splice(i, 1)[0];
}
export function intAttr(n: NodeProto, name: string, dflt: number): number {
  const a = attr(n, name);
  return a ? Number(a.i) : dflt;
}
export function setIntAttr(n: NodeProto, name: string, v: number): void {
  takeAttr(n, name);
  n.attribute.push(makeNode('X', [], [], { [name]: { i: v } }).attribute[0]);
}
export function setStringAttr(n: NodeProto, name: string, v: string): void {
  takeAttr(n, name);
  n.attribute.push(makeNode('X', [], [], { [name]: v }).attribute[0]);
}
export function stringAttr(n: NodeProto, name: string): string | undefined {
  const a = attr(n, name);
  return a ? new TextDecoder().decode(a.s) : undefined;
}
