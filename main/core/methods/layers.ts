// The layers compression methods work on: every prunable weight of the IR with its consuming node,
// and the canonical matrix view of it: rows = output channels, columns = the inputs each output
// reduces over. For convolutions the columns run kernel position outer, input channel inner
// (KRSC, what 2:4 hardware and im2col both want), so N:M groups run along input channels.
import type { ModelIR, NodeInfo, Weight } from '../model/ir';
import { PRUNABLE_ROLES } from '../model/ir';

export interface LayerTarget {
  /** The weight's id: what include/exclude globs match (also matched: the node name). */
  name: string;
  weight: Weight;
  node: NodeInfo;
  op: string;
  /** Output channels. */
  rows: number;
  /** Inputs per output (per group for grouped convolutions). */
  cols: number;
  group: number;
  /** The activation tensor the node multiplies the weight with (calibration captures it). */
  activation?: string;
  /** Axis order of the matrix columns over the weight's dims; [] for plain 2-D [out, in]. */
  colAxes: number[];
  outAxis: number;
  /** Whether the weight's memory order already is the canonical [rows, cols] order. */
  contiguous: boolean;
  /** The layer's node reads the weight itself (not through a Cast / Transpose). */
  direct: boolean;
  /** Why a method cannot touch it (set by findLayers for weights it lists but must leave alone). */
  skipReason?: string;
}

const FLOAT = new Set(['float32', 'float16', 'bfloat16', 'float64']);
const VIA = new Set(['Cast', 'Transpose', 'Identity']);

/** All compressible layers of a model, in graph order. */
export function findLayers(ir: ModelIR): LayerTarget[] {
  const nodes = new Map<string, NodeInfo>();
  const byInput = new Map<string, NodeInfo[]>();
  for (const n of ir.nodes) {
    nodes.set(`${n.graph}\u0000${n.name}`, n);
    for (const i of n.inputs) if (i) byInput.set(`${n.graph}\u0000${i}`, [...(byInput.get(`${n.graph}\u0000${i}`) ?? []), n]);
  }
  const out: LayerTarget[] = [];
  for (const w of ir.weights) {
    if (!PRUNABLE_ROLES.has(w.role) || !w.layout || !w.isParameter || w.quantized) continue;
    const c = w.consumers[0];
    let node = c ? nodes.get(`${c.graph}\u0000${c.node}`) : undefined;
    if (!node) continue;
    // Weights that reach their layer through a Cast (fp16 storage) or Transpose: follow to the layer.
    let via = c.input;
    let direct = true;
    let tensor = w.name;
    for (let hop = 0; hop < 3 && VIA.has(node.op); hop++) {
      const out: string = node.outputs[0];
      const readers: NodeInfo[] = byInput.get(`${node.graph}\u0000${out}`) ?? [];
      if (readers.length !== 1) break;
      tensor = out;
      node = readers[0];
      via = node.inputs.indexOf(tensor);
      direct = false;
    }
    const { outAxis, inAxes, group } = w.layout;
    const rank = w.dims.length;
    const ch = Math.min(...inAxes);
    const colAxes = [...inAxes.filter((a) => a !== ch), ch];
    const rows = w.dims[outAxis];
    const cols = inAxes.reduce((a, ax) => a * w.dims[ax], 1);
    const canonical = [outAxis, ...colAxes];
    const contiguous = canonical.every((a, i) => a === i) && canonical.length === rank;
    const target: LayerTarget = {
      name: w.id,
      weight: w,
      node,
      op: node.op,
      rows,
      cols,
      group: group || 1,
      colAxes,
      outAxis,
      contiguous,
      direct,
    };
    // The activation: for MatMul/Gemm/Conv the other data input of the node.
    const actIndex = via === 0 ? 1 : 0;
    target.activation = node.inputs[actIndex];
    if (!FLOAT.has(w.dtype)) target.skipReason = `weight dtype ${w.dtype} is not a float type`;
    else if (canonical.length !== rank) target.skipReason = `batched weight of rank ${rank} (only [out, in] matrices and conv kernels are handled)`;
    else if (w.consumers.length > 1) target.skipReason = `weight is shared by ${w.consumers.length} nodes`;
    out.push(target);
  }
  return out;
}

function strides(dims: number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Offsets into the weight's storage for each element of the canonical matrix, in matrix order. */
function gatherIndex(layer: LayerTarget): Int32Array | undefined {
  if (layer.contiguous) return undefined;
  const dims = layer.weight.dims;
  const st = strides(dims);
  const axes = [layer.outAxis, ...layer.colAxes];
  const n = layer.weight.numel;
  const idx = new Int32Array(n);
  const sizes = axes.map((a) => dims[a]);
  const stepFor = axes.map((a) => st[a]);
  const pos = new Array<number>(axes.length).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    idx[i] = off;
    for (let d = axes.length - 1; d >= 0; d--) {
      pos[d]++;
      off += stepFor[d];
      if (pos[d] < sizes[d]) break;
      off -= stepFor[d] * sizes[d];
      pos[d] = 0;
    }
  }
  return idx;
}

/** The weight as a fresh canonical [rows, cols] Float32Array. */
export function toMatrix(layer: LayerTarget, raw: Float32Array = layer.weight.float32()): Float32Array {
  const idx = gatherIndex(layer);
  if (!idx) return raw;
  const out = new Float32Array(raw.length);
  for (let i = 0; i < idx.length; i++) out[i] = raw[idx[i]];
  return out;
}

/** A canonical matrix back in the weight's own memory order. */
export function fromMatrix(layer: LayerTarget, m: Float32Array): Float32Array {
  const idx = gatherIndex(layer);
  if (!idx) return m;
  const out = new Float32Array(m.length);
  for (let i = 0; i < idx.length; i++) out[idx[i]] = m[i];
  return out;
}

/** Glob over layer names: '*' any run (also across '.' and '/'), '?' one character. */
export function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

/** Whether a glob matches the layer (by weight name, id or node name). */
export function layerMatches(layer: LayerTarget, glob: string): boolean {
  return matchesAny([layer.name, layer.weight.name, layer.node.name], [glob]);
}

/** Whether any glob matches any of the names a layer answers to. */
export function matchesAny(names: readonly string[], globs: readonly string[]): boolean {
  return globs.some((g) => {
    const re = globToRegExp(g);
    return names.some((n) => re.test(n));
  });
}

export interface StageSelection<O> {
  /** Named by the stage's include globs (every layer when it has none). */
  included: boolean;
  /** Named by its exclude globs (wins over include). */
  excluded: boolean;
  /** The overrides whose `layers` globs name the layer, in recipe order. */
  overrides: O[];
}

/**
 * The one include / exclude / overrides resolver: what a recipe stage says about one layer,
 * known by `names` (node, weight, id). The pipeline's plan and the wizard's estimate use it.
 */
export function stageSelection<O extends { layers: string | string[] }>(names: readonly string[], stage: { include?: readonly string[]; exclude?: readonly string[]; overrides?: readonly O[] }): StageSelection<O> {
  const included = stage.include === undefined || matchesAny(names, stage.include);
  const excluded = matchesAny(names, stage.exclude ?? []);
  const overrides = (stage.overrides ?? []).filter((o) => matchesAny(names, typeof o.layers === 'string' ? [o.layers] : o.layers));
  return { included, excluded, overrides };
}
