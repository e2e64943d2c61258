// Splits a twin graph into stages the hybrid executor runs in order: ONNX Runtime segments (the
// dense and quantized parts, each one ONNX model) and groups of Twinforge sparse layers.
// A node's stage depth is the most sparse layers on any path into it (a sparse layer adds one
// after its inputs), so every stage only reads tensors earlier stages made, and parallel sparse
// layers (the Q, K, V projections of attention) share one stage instead of cutting the graph
// three times. ONNX requires topologically sorted nodes, so one pass in file order suffices.
import type { GraphProto, NodeProto } from 'onnx-buf';
import { TwinforgeError } from '../errors';
import { SPARSE_DOMAIN, SPARSE_OP } from './format';

export interface OrtStage {
  kind: 'ort';
  nodes: NodeProto[];
  /** Tensors the segment reads from graph inputs or earlier stages. */
  inputs: string[];
  /** Tensors later stages or the graph's outputs read. */
  outputs: string[];
  /** Initializers the segment's nodes (and their subgraphs) read. */
  initializers: string[];
}
export interface SparseStage {
  kind: 'sparse';
  nodes: NodeProto[];
}
export type Stage = OrtStage | SparseStage;

export const isSparseNode = (n: NodeProto) => n.domain === SPARSE_DOMAIN && n.opType === SPARSE_OP;

/** Names a node reads: its inputs and every outer-scope name its subgraphs read. */
function reads(n: NodeProto): string[] {
  const out = n.input.filter(Boolean);
  const walk = (node: NodeProto) => {
    for (const a of node.attribute) for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) {
      const inner = new Set([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name), ...g.node.flatMap((x) => x.output)]);
      for (const sn of g.node) {
        for (const i of sn.input) if (i && !inner.has(i)) out.push(i);
        walk(sn);
      }
    }
  };
  walk(n);
  return out;
}

export function partition(graph: GraphProto): Stage[] {
  // Only nodes the outputs depend on run (walked backwards from the graph outputs).
  const needed = new Set(graph.output.map((o) => o.name));
  const live = new Set<NodeProto>();
  for (let i = graph.node.length - 1; i >= 0; i--) {
    const n = graph.node[i];
    if (!n.output.some((o) => needed.has(o))) continue;
    live.add(n);
    for (const t of reads(n)) needed.add(t);
  }
  const g = { ...graph, node: graph.node.filter((n) => live.has(n)) };
  const inits = new Set(g.initializer.map((t) => t.name));
  const producer = new Map<string, number>();
  const depth: number[] = [];
  const nodeReads: string[][] = [];
  g.node.forEach((n, i) => {
    const r = reads(n);
    nodeReads.push(r);
    let d = 0;
    for (const t of r) {
      const p = producer.get(t);
      if (p !== undefined) d = Math.max(d, depth[p]);
    }
    depth.push(isSparseNode(n) ? d + 1 : d);
    for (const o of n.output) if (o) {
      if (producer.has(o)) throw new TwinforgeError('CORRUPT_MODEL', `model.onnx: tensor '${o}' is produced twice`);
      producer.set(o, i);
    }
  });
  const maxDepth = Math.max(0, ...depth);
  // Stage index: dense nodes at depth d -> 2d, sparse nodes at depth d -> 2d - 1.
  const stageOf = g.node.map((n, i) => (isSparseNode(n) ? 2 * depth[i] - 1 : 2 * depth[i]));
  const graphOutputs = new Set(g.output.map((o) => o.name));
  // The last stage that reads each tensor.
  const lastRead = new Map<string, number>();
  g.node.forEach((_, i) => nodeReads[i].forEach((t) => lastRead.set(t, Math.max(lastRead.get(t) ?? -1, stageOf[i]))));
  const stages: Stage[] = [];
  for (let s = 0; s <= 2 * maxDepth; s++) {
    const idx = g.node.map((_, i) => i).filter((i) => stageOf[i] === s);
    if (idx.length === 0) continue;
    const nodes = idx.map((i) => g.node[i]);
    if (s % 2 === 1) {
      stages.push({ kind: 'sparse', nodes });
      continue;
    }
    const made = new Set(nodes.flatMap((n) => n.output.filter(Boolean)));
    const inputs = new Set<string>();
    const initializers = new Set<string>();
    for (const i of idx) for (const t of nodeReads[i]) {
      if (made.has(t)) continue;
      if (inits.has(t) && !producer.has(t)) initializers.add(t);
      else inputs.add(t);
    }
    const outputs = [...made].filter((t) => graphOutputs.has(t) || (lastRead.get(t) ?? -1) > s);
    if (outputs.length === 0) continue; // dead nodes (nothing reads them): nothing to run
    stages.push({ kind: 'ort', nodes, inputs: [...inputs], outputs, initializers: [...initializers] });
  }
  return stages;
}
