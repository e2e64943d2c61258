// Raising a model's ai.onnx opset when an edit needs a newer op version (per-tensor Q/DQ: 10,
// per-axis: 13, int4 and blocked DequantizeLinear: 21). Models older than opset 13 go through
// the op converters of ./upgrade first (Clip, Slice, Softmax, Pad, Upsample/Resize, axes, ...).
import type { GraphProto, ModelProto, NodeProto } from 'onnx-buf';
import { create } from '@bufbuild/protobuf';
import { OperatorSetIdProtoSchema } from 'onnx-buf';
import { irVersionFor, node as makeNode, tensorProto } from './build';
import { UPGRADE_OPSET, checkUpgrade, upgradeModel } from './upgrade';

const REDUCE_18 = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare'];

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

/** Throws the refusal upgradeOpset(proto, target) would throw, changing nothing (dry runs, recipe checks). */
export function checkOpset(proto: ModelProto, target: number): void {
  const current = defaultOpset(proto);
  if (current < target && current < UPGRADE_OPSET) checkUpgrade(proto, current, Math.max(target, UPGRADE_OPSET));
}

/**
 * Raises the ai.onnx opset to `target`. A model older than opset 13 is first converted to
 * max(target, 13) by the op converters in ./upgrade (or refused there, untouched, with the node
 * named); ops whose attributes became inputs at 18 (Reduce*, Split's num_outputs) follow here.
 */
export function upgradeOpset(proto: ModelProto, target: number): void {
  const current = defaultOpset(proto);
  if (current >= target) return;
  if (!proto.graph) return;
  if (current < UPGRADE_OPSET) {
    target = Math.max(target, UPGRADE_OPSET);
    upgradeModel(proto, current, target);
  }
  let counter = 0;
  for (const g of allGraphs(proto.graph)) {
    const added: NodeProto[] = [];
    for (const n of g.node) {
      if (!isDefault(n)) continue;
      if (target >= 18 && current < 18 && REDUCE_18.includes(n.opType)) {
        const i = n.attribute.findIndex((a) => a.name === 'axes');
        if (i >= 0) {
          const values = n.attribute[i].ints.map(Number);
          n.attribute.splice(i, 1);
          const name = `${n.name || n.opType}_axes_${counter++}`;
          // A Constant node keeps the value local to this (sub)graph.
          added.push(makeNode('Constant', [], [name], { value: tensorProto(name, 'int64', [values.length], values) }));
          while (n.input.length < 1) n.input.push('');
          n.input[1] = name;
        }
      }
      if (target >= 18 && n.opType === 'Split' && !n.input[1] && !n.attribute.some((a) => a.name === 'num_outputs')) {
        n.attribute.push(makeNode('X', [], [], { num_outputs: n.output.length }).attribute[0]);
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
