// Raising a model's ai.onnx opset when an edit needs a newer op version (per-axis Q/DQ: 13,
// int4 and blocked DequantizeLinear: 21). Ops whose attributes became inputs are converted
// (Reduce*, Squeeze, Unsqueeze, Split, Dropout); a model older than opset 11 with ops whose
// meaning changed (Pad, Slice, Resize, Upsample, Clip, TopK, ...) is refused with a hint.
import type { GraphProto, ModelProto, NodeProto } from 'onnx-buf';
import { create } from '@bufbuild/protobuf';
import { OperatorSetIdProtoSchema } from 'onnx-buf';
import { TwinforgeError } from '../../errors';
import { irVersionFor, node as makeNode, tensorProto } from './build';

const REDUCE_18 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];
// Ops whose signature changed before opset 11 in ways that need a real converter.
const CHANGED_BEFORE_11 = new Set(['Pad', 'Slice', 'Resize', 'Upsample', 'Clip', 'TopK', 'Scatter', 'BatchNormalization', 'Cast', 'Gemm', 'Flatten', 'ConstantOfShape', 'Concat', 'Softmax', 'LogSoftmax', 'Hardmax', 'ArgMax', 'ArgMin']);
const HARMLESS_BEFORE_11 = new Set(['Gemm', 'Flatten', 'Cast', 'Concat', 'ArgMax', 'ArgMin', 'BatchNormalization']);

/** The model's ai.onnx opset version (0 when none is declared). */
export function defaultOpset(proto: ModelProto): number {
  const o = proto.opsetImport.find((x) => x.domain === '' || x.domain === 'ai.onnx');
  return o ? Number(o.version) : 0;
}

/** Declares a domain's opset (adds or raises; never lowers). */
export function ensureDomain(proto: ModelProto, domain: string, version: number): void {
  const o = proto.opsetImport.find((x) => x.domain === domain);
  if (!o) proto.opsetImport.push(create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }));
  else if (Number(o.version) < version) o.version = BigInt(version);
}

/** Raises the IR version to at least `v`. */
export function ensureIrVersion(proto: ModelProto, v: number): void {
  if (Number(proto.irVersion) < v) proto.irVersion = BigInt(v);
}

function allGraphs(g: GraphProto, out: GraphProto[] = []): GraphProto[] {
  out.push(g);
  for (const n of g.node) for (const a of n.attribute) {
    if (a.g) allGraphs(a.g, out);
    for (const sg of a.graphs) allGraphs(sg, out);
  }
  return out;
}

/** Raises the ai.onnx opset to `target`, converting nodes whose attributes became inputs. */
export function upgradeOpset(proto: ModelProto, target: number): void {
  const current = defaultOpset(proto);
  if (current >= target) return;
  if (!proto.graph) return;
  const graphs = allGraphs(proto.graph);
  if (current < 11) {
    const bad = new Set<string>();
    for (const g of graphs) for (const n of g.node) if (isDefault(n) && CHANGED_BEFORE_11.has(n.opType) && !HARMLESS_BEFORE_11.has(n.opType)) bad.add(n.opType);
    if (bad.size) {
      throw new TwinforgeError('UNSUPPORTED', `The model uses opset ${current}; raising it to ${target} would change ${[...bad].join(', ')}.`, 'Convert the model to opset 13 or newer first (onnx.version_converter), then compress it.');
    }
  }
  let counter = 0;
  for (const g of graphs) {
    const added: NodeProto[] = [];
    for (const n of g.node) {
      if (!isDefault(n)) continue;
      const axesAttrToInput = (inputIndex: number): void => {
        const i = n.attribute.findIndex((a) => a.name === 'axes' || (n.opType === 'Split' && a.name === 'split'));
        if (i < 0) return;
        const values = n.attribute[i].ints.map(Number);
        n.attribute.splice(i, 1);
        const name = `${n.name || n.opType}_${n.opType === 'Split' ? 'split' : 'axes'}_${counter++}`;
        // A Constant node keeps the value local to this (sub)graph.
        added.push(makeNode('Constant', [], [name], { value: tensorProto(name, 'int64', [values.length], values) }));
        while (n.input.length < inputIndex) n.input.push('');
        n.input[inputIndex] = name;
      };
      if (target >= 13 && current < 13 && ['Squeeze', 'Unsqueeze', 'ReduceSum', 'Split'].includes(n.opType)) axesAttrToInput(1);
      if (target >= 18 && current < 18 && REDUCE_18.includes(n.opType)) axesAttrToInput(1);
      if (target >= 18 && n.opType === 'Split' && !n.input[1] && !n.attribute.some((a) => a.name === 'num_outputs')) {
        n.attribute.push(makeNode('X', [], [], { num_outputs: n.output.length }).attribute[0]);
      }
      if (target >= 12 && current < 12 && n.opType === 'Dropout') {
        n.attribute = n.attribute.filter((a) => a.name !== 'ratio');
      }
    }
    if (added.length) g.node.unshift(...added);
  }
  ensureDomain(proto, proto.opsetImport.some((o) => o.domain === 'ai.onnx') ? 'ai.onnx' : '', target);
  ensureIrVersion(proto, irVersionFor(target));
}

function isDefault(n: NodeProto): boolean {
  return n.domain === '' || n.domain === 'ai.onnx';
}
