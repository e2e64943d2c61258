// Weights the calibration session takes as inputs, straight from memory, instead of from the
// temporary model's data file. After a prune stage every changed weight is already in memory:
// writing hundreds of MB of them to a scratch file (and ORT reading them back) only to delete
// the file after one pass was most of a compress run's file I/O. ONNX Runtime wraps a fed
// typed array without copying it, so the pass also holds one copy of the weights instead of two.
import ort from 'onnxruntime-node';
import type { GraphProto, TensorProto, ValueInfoProto } from 'onnx-buf';
import { valueInfo } from '../model/onnx/build';
import type { ModelEditor } from '../model/onnx/editor';
import { payloadBytes } from '../model/onnx/tensor';
import { MemorySource } from '../model/source';
import { shapeTensors } from '../model/onnx/writer';
import { dtypeFromOnnx } from '../model/dtype';

/** Weights smaller than this are written with the model (a feed saves nothing there). */
export const FEED_MIN_BYTES = 1 << 20;

// Ops whose weight input ONNX Runtime's CPU kernels take as well when it is not a constant
// initializer. MatMul, Gemm and Gather compute bit for bit what they compute from a written
// model (they only lose the load-time prepacking, which calibration sessions skip anyway). Conv
// runs ORT's plain kernel instead of its blocked-layout one: statistics then differ at float
// rounding (a PyTorch ResNet's int8 twin: cosine 0.9997418 vs 0.9997430), as between two
// machines. Checked on PyTorch ResNet / MobileNetV3 exports (grouped and depthwise Conv).
const FEEDABLE_CONSUMERS = new Set(['MatMul', 'Gemm', 'Conv', 'Gather']);

type FeedType = 'float32' | 'float16' | 'int8' | 'uint8';
const VIEWS: Record<FeedType, { bytes: number; make: (b: ArrayBuffer, offset: number, n: number) => ort.Tensor['data'] }> = {
  float32: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  float16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  int8: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  uint8: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
};

export interface WeightFeeds {
  /** Tensors to pass with every run of the session, by weight name. */
  feeds: Record<string, ort.Tensor>;
  /** Bytes that were not written because they are fed. */
  bytes: number;
  /** Puts the initializers back (the editor's model is as before). */
  restore(): void;
}

/**
 * Moves the main graph's in-memory weights (at least FEED_MIN_BYTES, used only by the ops above,
 * never read by shape inference or a subgraph) from initializers to graph inputs, and returns
 * their tensors to feed. Call restore() before anything else saves or reads the editor's model.
 */
export function moveWeightsToFeeds(editor: ModelEditor): WeightFeeds {
  const model = editor.current();
  const graph = model.proto.graph;
  const none: WeightFeeds = { feeds: {}, bytes: 0, restore: () => {} };
  if (!graph) return none;
  const uses = useCounts(graph);
  const shapeRead = shapeTensors(model);
  const outputs = new Set(graph.output.map((o) => o.name));
  const declared = new Set(graph.input.map((i) => i.name));
  const moved: TensorProto[] = [];
  const added: ValueInfoProto[] = [];
  const feeds: Record<string, ort.Tensor> = {};
  let bytes = 0;
  for (const t of graph.initializer) {
    const use = uses.get(t.name);
    if (!use || use.other > 0 || use.feedable === 0 || outputs.has(t.name) || shapeRead.has(t)) continue;
    const dtype = dtypeFromOnnx(t.dataType) as FeedType | undefined;
    if (!dtype || !(dtype in VIEWS)) continue;
    const p = model.payload(t);
    // In memory: set by an earlier stage (inline), or read whole with a small model file.
    if (!(p.kind === 'inline' || p.source instanceof MemorySource) || p.byteLength < FEED_MIN_BYTES) continue;
    const dims = t.dims.map(Number);
    const numel = dims.reduce((a, d) => a * d, 1);
    const view = VIEWS[dtype];
    if (numel * view.bytes !== p.byteLength) continue;
    let raw = payloadBytes(p);
    // Typed views need element alignment; an odd offset costs one copy (rare: our writers align).
    if (raw.byteOffset % view.bytes !== 0) raw = new Uint8Array(raw); // a copy (Buffer.slice would be a view)
    feeds[t.name] = new ort.Tensor(dtype, view.make(raw.buffer as ArrayBuffer, raw.byteOffset, numel) as never, dims);
    moved.push(t);
    if (!declared.has(t.name)) added.push(valueInfo(t.name, dtype, dims));
    bytes += p.byteLength;
  }
  if (moved.length === 0) return none;
  const before = { initializer: graph.initializer, input: graph.input };
  const gone = new Set(moved);
  graph.initializer = graph.initializer.filter((t) => !gone.has(t));
  graph.input = [...graph.input, ...added];
  return {
    feeds,
    bytes,
    restore: () => {
      graph.initializer = before.initializer;
      graph.input = before.input;
    },
  };
}

// Per name: how many main-graph uses are by an op that takes a fed weight, and how many are by
// anything else (another op, or any node of a subgraph, which sees outer names too).
function useCounts(graph: GraphProto): Map<string, { feedable: number; other: number }> {
  const out = new Map<string, { feedable: number; other: number }>();
  const count = (name: string, feedable: boolean) => {
    const u = out.get(name) ?? { feedable: 0, other: 0 };
    if (feedable) u.feedable++;
    else u.other++;
    out.set(name, u);
  };
  const inSubgraph = (g: GraphProto): void => {
    for (const n of g.node) {
      for (const i of n.input) if (i) count(i, false);
      for (const a of n.attribute) for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) inSubgraph(sg);
    }
  };
  for (const n of graph.node) {
    const ok = (n.domain === '' || n.domain === 'ai.onnx') && FEEDABLE_CONSUMERS.has(n.opType);
    for (const i of n.input) if (i) count(i, ok);
    for (const a of n.attribute) for (const sg of [...(a.g ? [a.g] : []), ...a.graphs]) inSubgraph(sg);
  }
  return out;
}
