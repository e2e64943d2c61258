// A model with some MatMul / Gemm layers cut out: each is replaced by a stand-in that does no
// multiply but still depends on the layer's input and writes an output of the layer's shape
// (Slice one column of the input, Expand it to the output width), so nothing downstream is
// constant-folded and the rest of the model runs as before. Timing the model with and without
// its sparse layers says what those layers cost inside it: the weights come from memory, not
// from a cache a one-layer probe keeps them in, and the pool is as busy as in the real run.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type NodeProto, type TensorProto } from 'onnx-buf';
import { node, tensorProto } from '../model/onnx/build';
import { defaultOpset } from '../model/onnx/opset';
import { TwinforgeError } from '../errors';

/**
 * `bytes` (a self-contained ONNX model) with the main-graph MatMul / Gemm nodes named in `names`
 * cut out. Names follow the model view's rule: the node's name, else `<op>_<index>`. Throws
 * UNSUPPORTED naming a layer that cannot be cut (another op, a weight of unknown width).
 */
export function cutLayers(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const model = fromBinary(ModelProtoSchema, bytes);
  const graph = model.graph;
  if (!graph) throw new TwinforgeError('CORRUPT_MODEL', 'The ONNX model has no graph.');
  const wanted = new Set(names);
  const dims = new Map(graph.initializer.map((t) => [t.name, t.dims.map(Number)]));
  const legacySlice = defaultOpset(model) < 10; // Slice took starts/ends as attributes before opset 10
  const out: NodeProto[] = [];
  const extra: TensorProto[] = [];
  const cutInputs = new Set<string>();
  graph.node.forEach((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    if (!wanted.has(name)) {
      out.push(n);
      return;
    }
    wanted.delete(name);
    for (const i of n.input.slice(1)) cutInputs.add(i);
    const width = outputWidth(n, dims.get(n.input[1]));
    if (width === undefined) throw new TwinforgeError('UNSUPPORTED', `Layer ${name} (${n.opType}) cannot be cut out: its weight's width is unknown.`);
    const tag = `twinforge_cut_${i}`;
    const column = `${tag}_column`;
    if (legacySlice) out.push(node('Slice', [n.input[0]], [column], { starts: [0], ends: [1], axes: [-1] }, { name: `${tag}_slice` }));
    else {
      extra.push(tensorProto(`${tag}_zero`, 'int64', [1], BigInt64Array.of(0n)), tensorProto(`${tag}_one`, 'int64', [1], BigInt64Array.of(1n)), tensorProto(`${tag}_last`, 'int64', [1], BigInt64Array.of(-1n)));
      out.push(node('Slice', [n.input[0], `${tag}_zero`, `${tag}_one`, `${tag}_last`], [column], {}, { name: `${tag}_slice` }));
    }
    extra.push(tensorProto(`${tag}_width`, 'int64', [1], BigInt64Array.of(BigInt(width))));
    out.push(node('Expand', [column, `${tag}_width`], [n.output[0]], {}, { name: `${tag}_expand` }));
  });
  if (wanted.size) throw new TwinforgeError('UNSUPPORTED', `No MatMul/Gemm layer named ${[...wanted].join(', ')} in the model's main graph.`);
  graph.node = out;
  // The cut layers' weights go too, unless something else reads them (ORT would warn and drop them).
  const used = new Set<string>(graph.output.map((o) => o.name));
  const collect = (nodes: NodeProto[]): void => {
    for (const n of nodes) {
      for (const i of n.input) used.add(i);
      for (const a of n.attribute) for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) collect(g.node);
    }
  };
  collect(out);
  const dropped = new Set(graph.initializer.filter((t) => !used.has(t.name) && cutInputs.has(t.name)).map((t) => t.name));
  graph.initializer = [...graph.initializer.filter((t) => !dropped.has(t.name)), ...extra];
  // An old model lists its initializers as inputs too: a dropped one must not become a required feed.
  graph.input = graph.input.filter((i) => !dropped.has(i.name));
  return toBinary(ModelProtoSchema, model);
}

// The layer's output width: the weight's last dim (MatMul), its first with transB (Gemm).
function outputWidth(n: NodeProto, w: number[] | undefined): number | undefined {
  if (!w || w.length < 2) return undefined;
  if (n.opType === 'MatMul') return w[w.length - 1];
  if (n.opType === 'Gemm') {
    const transB = n.attribute.find((a) => a.name === 'transB');
    return transB && Number(transB.i) === 1 ? w[0] : w[1];
  }
  return undefined;
}
