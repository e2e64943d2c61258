// model.weightHistogram: the distribution of |w| in one layer's weight, for the wizard's Model step
// (what magnitude pruning will cut). Streams the weight twice (max, then bins): bounded memory.
import { TwinforgeError } from '../errors';
import { openModel, type Weight } from '../model/index';
import { HfFolder, isHfFolder } from '../model/hf/folder';
import type { WeightHistogram } from '../../../preload/contract';

const CHUNK = 1 << 20;

/** Finds a weight by id, or the main parameter weight of the node named `layer`. */
function findWeight(weights: Weight[], byId: (id: string) => Weight | undefined, nodes: { name: string; inputs: string[] }[], layer: string): Weight | undefined {
  const direct = byId(layer);
  if (direct) return direct;
  const node = nodes.find((n) => n.name === layer);
  if (!node) return undefined;
  const inputs = node.inputs.map((i) => byId(i)).filter((w): w is Weight => !!w && w.isParameter);
  return inputs.sort((a, b) => b.numel - a.numel)[0] ?? weights.find((w) => w.consumers.some((c) => c.node === layer) && w.isParameter);
}

/** Histogram of |w| over `bins` equal bins from 0 to max |w|. */
export async function weightHistogram(file: string, layer: string, bins = 48): Promise<WeightHistogram> {
  if (isHfFolder(file)) {
    // A model folder: the table's rows are its tensors (model/hf/summary.ts), named without '.weight'.
    const f = HfFolder.open(file);
    try {
      const name = [layer, `${layer}.weight`].find((n) => f.names().includes(n));
      if (!name) throw new TwinforgeError('NOT_FOUND', `No tensor named '${layer}' in ${file}.`, 'Pick a row from the layer table.');
      return histogramOf(f.weight(name), layer, bins);
    } finally {
      f.close();
    }
  }
  const model = openModel(file);
  try {
    const w = findWeight(model.weights, (id) => model.weight(id), model.nodes, layer);
    if (!w) throw new TwinforgeError('NOT_FOUND', `No layer or weight named '${layer}' in ${file}.`, 'Pick a layer from the layer table.');
    return histogramOf(w, layer, bins);
  } finally {
    model.close();
  }
}

function histogramOf(w: Weight, layer: string, bins: number): WeightHistogram {
  let absMax = 0;
  let sum = 0;
  let zeros = 0;
  for (const c of w.chunks(CHUNK)) {
    for (let i = 0; i < c.values.length; i++) {
      const a = Math.abs(c.values[i]);
      if (a > absMax) absMax = a;
      sum += a;
      if (a === 0) zeros++;
    }
  }
  const counts = new Array<number>(bins).fill(0);
  const scale = absMax > 0 ? bins / absMax : 0;
  for (const c of w.chunks(CHUNK)) {
    for (let i = 0; i < c.values.length; i++) {
      const a = Math.abs(c.values[i]);
      counts[Math.min(bins - 1, Math.floor(a * scale))]++;
    }
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => (absMax * i) / bins);
  return { layer, weight: w.id, edges, counts, total: w.numel, zeros, absMax, absMean: w.numel ? sum / w.numel : 0 };
}
