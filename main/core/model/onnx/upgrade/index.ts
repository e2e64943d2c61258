// Raises an ai.onnx model from an old opset (1-12) to opset 13 or newer, rewriting every node
// whose op changed signature or meaning on the way (one small converter per op family, each
// naming the opset change it undoes). Ops whose old meaning has no faithful new form, and ops
// that were removed (the experimental ops of opsets 1-9), make it refuse with the node named:
// the model is never silently changed.
import { clone } from '@bufbuild/protobuf';
import { type GraphProto, type ModelProto, type NodeProto, NodeProtoSchema } from 'onnx-buf';
import { TwinforgeError } from '../../../errors';
import { axesConverter, reshapeConverter } from './axes';
import { binaryBroadcastConverter, preluConverter } from './broadcast';
import { clipConverter } from './clip';
import { GraphFacts, UpgradeContext } from './context';
import type { OpConverter } from './converter';
import { castConverter, concatConverter, consumedInputsConverter, dropoutConverter, gemmConverter, rnnConverter, scatterConverter, topKConverter } from './legacy';
import { batchNormConverter } from './norm';
import { padConverter } from './pad';
import { resizeConverter, upsampleConverter } from './resize';
import { sliceConverter } from './slice';
import { softmaxConverter } from './softmax';

/** The opset old models are raised to (the first with the current forms of every op converted here). */
export const UPGRADE_OPSET = 13;

const CONVERTERS: OpConverter[] = [
  consumedInputsConverter, concatConverter, reshapeConverter, castConverter, binaryBroadcastConverter, preluConverter, gemmConverter,
  rnnConverter, batchNormConverter, sliceConverter, topKConverter, upsampleConverter, clipConverter, padConverter, resizeConverter, scatterConverter,
  dropoutConverter, softmaxConverter, axesConverter,
].sort((a, b) => a.since - b.since);

// Ops removed from ai.onnx (experimental in opsets 1-9) or whose old form is another op.
const REMOVED = new Set(['ATen', 'Affine', 'ConstantFill', 'Crop', 'DynamicSlice', 'GRUUnit', 'GivenTensorFill', 'ImageScaler', 'ParametricSoftplus', 'Scale', 'ScaledTanh', 'MeanVarianceNormalization_1']);

function isDefault(n: NodeProto): boolean {
  return n.domain === '' || n.domain === 'ai.onnx';
}

function collectNames(g: GraphProto, out: Set<string>): void {
  for (const v of [...g.input, ...g.output, ...g.valueInfo]) out.add(v.name);
  for (const t of g.initializer) out.add(t.name);
  for (const n of g.node) {
    if (n.name) out.add(n.name);
    for (const x of [...n.input, ...n.output]) if (x) out.add(x);
    for (const a of n.attribute) {
      if (a.g) collectNames(a.g, out);
      for (const sg of a.graphs) collectNames(sg, out);
    }
  }
}

/** Every op a model at `from` uses that the converter refuses before touching anything. */
function refusals(g: GraphProto, from: number, out: string[]): void {
  for (const n of g.node) {
    if (isDefault(n)) {
      if (REMOVED.has(n.opType)) out.push(`${n.opType} (removed from ONNX after opset 9)`);
      if (n.opType === 'Scan' && from < 9) out.push('Scan-8 (its batch-axis form has no opset-9+ equivalent)');
      if (n.opType === 'Tile' && from < 6 && n.input.length > 2) out.push('Tile-1 (tiles / axis inputs)');
    }
    for (const a of n.attribute) {
      if (a.g) refusals(a.g, from, out);
      for (const sg of a.graphs) refusals(sg, from, out);
    }
  }
}

// Plans the new node list of `g` and its subgraphs without touching them: a node some converter
// rewrites is rewritten as a copy, so a refusal anywhere leaves the model as it was.
function planGraph(g: GraphProto, from: number, to: number, taken: Set<string>, plan: Array<[GraphProto, NodeProto[]]>, outer?: GraphFacts): void {
  const facts = new GraphFacts(g, outer);
  const nodes: NodeProto[] = [];
  let changed = false;
  for (const n of g.node) {
    for (const a of n.attribute) {
      if (a.g) planGraph(a.g, from, to, taken, plan, facts);
      for (const sg of a.graphs) planGraph(sg, from, to, taken, plan, facts);
    }
    const todo = isDefault(n) ? CONVERTERS.filter((c) => from < c.since && c.since <= to && (c.ops.includes(n.opType) || (c.ops[0] === '*' && (c.applies?.(n) ?? true)))) : [];
    if (!todo.length) {
      nodes.push(n);
      continue;
    }
    changed = true;
    const copy = clone(NodeProtoSchema, n);
    let current: NodeProto[] = [copy];
    for (const c of todo) {
      const next: NodeProto[] = [];
      for (const x of current) {
        if (x !== copy) {
          next.push(x);
          continue;
        }
        const ctx = new UpgradeContext(g, facts, from, to, taken);
        const replaced = c.convert(ctx, x) ?? [x];
        next.push(...ctx.before, ...replaced, ...ctx.after);
      }
      current = next;
    }
    nodes.push(...current);
  }
  if (changed) plan.push([g, nodes]);
}
// Every node rewrite for raising `proto` (refusals first): nothing in the model is changed yet.
function planUpgrade(proto: ModelProto, from: number, to: number): Array<[GraphProto, NodeProto[]]> {
  if (!proto.graph || from >= to) return [];
  const refused: string[] = [];
  refusals(proto.graph, from, refused);
  if (refused.length) {
    throw new TwinforgeError('UNSUPPORTED', `The model uses opset ${from} and ops that cannot be raised to opset ${to}: ${[...new Set(refused)].join(', ')}.`, 'Export the model at opset 13 or newer, then compress it.');
  }
  const taken = new Set<string>();
  collectNames(proto.graph, taken);
  const plan: Array<[GraphProto, NodeProto[]]> = [];
  planGraph(proto.graph, from, to, taken, plan);
  return plan;
}

/**
 * The static check behind a dry run / recipe check: throws the UNSUPPORTED refusal upgradeModel
 * would throw for raising `proto` from opset `from` to `to`, without changing the model.
 */
export function checkUpgrade(proto: ModelProto, from: number, to: number): void {
  planUpgrade(proto, from, to);
}

/**
 * Converts the model's ai.onnx nodes from its opset to `to` (at least UPGRADE_OPSET) in place
 * and declares nothing (upgradeOpset sets the opset). Throws UNSUPPORTED naming every node it
 * cannot convert faithfully; the model is left untouched then (all rewrites are planned first).
 */
export function upgradeModel(proto: ModelProto, from: number, to: number): void {
  for (const [g, nodes] of planUpgrade(proto, from, to)) g.node = nodes;
}
