// Physical removal of the channels of dependency groups: every member tensor is sliced along its
// channel axis (with Flatten repeats and Concat offsets), depthwise Convs get their new group
// count, and an initializer that two readers slice differently (or one reader slices and
// another keeps whole) is duplicated so each reader gets its own copy instead of blocking.
import type { NodeProto } from 'onnx-buf';
import type { ModelEditor } from '../../model/onnx/editor';
import type { OnnxModel } from '../../model/onnx/reader';
import type { NodeInfo, Weight } from '../../model/ir';
import { tensorProto } from '../../model/onnx/build';
import type { ChannelGroup } from './depgraph';

/** Copies the kept entries of `data` (shape dims) along `axis`. */
export function sliceAxis(data: Float32Array, dims: readonly number[], axis: number, keep: readonly number[]): Float32Array {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = dims[axis];
  const out = new Float32Array(outer * keep.length * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) for (const k of keep) {
    out.set(data.subarray((a * n + k) * inner, (a * n + k + 1) * inner), o);
    o += inner;
  }
  return out;
}

interface Reader {
  node: NodeInfo;
  input: number;
  weight: Weight;
  /** Removed entries per axis. */
  removed: Map<number, Set<number>>;
}

/** Entries of a member's axis that channel `c` of its group occupies. */
export function entriesOf(m: { repeat: number; offset: number }, c: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < m.repeat; r++) out.push(m.offset + c * m.repeat + r);
  return out;
}

/**
 * Removes from every group the channels not in its keep list (groups without an entry keep all).
 * Returns the new initializer names made for shared weights.
 */
export function removeGroupChannels(editor: ModelEditor, groups: ChannelGroup[], keep: Map<number, number[]>): { duplicated: string[] } {
  const model = editor.current() as OnnxModel;
  const readers = new Map<string, Reader>();
  const dwNodes = new Map<NodeInfo, number>();
  const counts = new Map<Weight, { index: number; value: number }[]>();
  for (const g of groups) {
    const k = keep.get(g.id);
    if (!k || k.length === g.channels) continue;
    const kept = new Set(k);
    const gone = Array.from({ length: g.channels }, (_, c) => c).filter((c) => !kept.has(c));
    for (const m of g.members) {
      if (m.kind === 'count') {
        // A head count (per = head_dim) or a width (per = 1) in a shape constant.
        const list = counts.get(m.weight) ?? [];
        counts.set(m.weight, [...list, { index: m.index ?? 0, value: k.length / (m.per ?? 1) }]);
        continue;
      }
      const key = `${m.node.name}\u0000${m.input}`;
      let r = readers.get(key);
      if (!r) readers.set(key, (r = { node: m.node, input: m.input, weight: m.weight, removed: new Map() }));
      let set = r.removed.get(m.axis);
      if (!set) r.removed.set(m.axis, (set = new Set()));
      for (const c of gone) for (const e of entriesOf(m, c)) set.add(e);
      if (m.kind === 'dw') dwNodes.set(m.node, k.length);
    }
  }
  // Protos first: edits re-index the model and make new NodeInfo objects.
  const proto = new Map<NodeInfo, NodeProto>();
  for (const r of readers.values()) proto.set(r.node, model.walked.protoOf.get(r.node)!);
  for (const n of dwNodes.keys()) proto.set(n, model.walked.protoOf.get(n)!);

  const signature = (r: Reader): string => [...r.removed].sort((a, b) => a[0] - b[0]).map(([ax, s]) => `${ax}:${[...s].sort((a, b) => a - b).join(',')}`).join('|');
  const byWeight = new Map<Weight, Reader[]>();
  for (const r of readers.values()) byWeight.set(r.weight, [...(byWeight.get(r.weight) ?? []), r]);
  const graph = model.proto.graph!;
  const taken = new Set(graph.initializer.map((t) => t.name));
  const duplicated: string[] = [];
  const sliced = (w: Weight, r: Reader): { data: Float32Array; dims: number[] } => {
    let data = w.float32();
    let dims = [...w.dims];
    for (const [axis, gone] of r.removed) {
      const keepIdx = Array.from({ length: dims[axis] }, (_, i) => i).filter((i) => !gone.has(i));
      data = sliceAxis(data, dims, axis, keepIdx);
      dims = dims.map((d, i) => (i === axis ? keepIdx.length : d));
    }
    return { data, dims };
  };
  for (const [w, rs] of byWeight) {
    const sigs = new Set(rs.map(signature));
    const allReaders = w.consumers.length;
    // In place only when these readers are all there is and they read the initializer itself
    // (not an Identity alias the exporter made for a deduplicated value).
    if (sigs.size === 1 && rs.length === allReaders && rs.every((r) => r.node.inputs[r.input] === w.name)) {
      const { data, dims } = sliced(w, rs[0]);
      editor.setTensor(w.id, data, { dims });
      continue;
    }
    // Shared with readers that slice differently: each slicing reader gets a private copy.
    for (const r of rs) {
      const { data, dims } = sliced(w, r);
      let name = `${w.name}_pruned`;
      for (let k = 1; taken.has(name); k++) name = `${w.name}_pruned_${k}`;
      taken.add(name);
      graph.initializer.push(tensorProto(name, w.dtype, dims, data));
      proto.get(r.node)!.input[r.input] = name;
      duplicated.push(name);
    }
  }
  for (const [w, list] of counts) {
    // Shape constants are read by their Concat / Reshape only (the exporter makes one per use).
    const v = Array.from(w.float32());
    for (const { index, value } of list) v[index] = value;
    editor.setTensor(w.id, v);
  }
  for (const [n, count] of dwNodes) {
    const g = proto.get(n)!.attribute.find((a) => a.name === 'group');
    if (g) g.i = BigInt(count);
  }
  // Identity nodes that aliased a now-copied initializer and feed nothing any more.
  const read = new Set(graph.node.flatMap((n) => n.input));
  for (const o of graph.output) read.add(o.name);
  graph.node = graph.node.filter((n) => !(n.opType === 'Identity' && n.output.every((o) => !read.has(o)) && graph.initializer.some((t) => t.name === n.input[0])));
  editor.clearValueInfo();
  return { duplicated };
}
