// Acceptance (the SparseGPT paper's central claim): with real activations of the transformer
// fixture, SparseGPT and Wanda reconstruct each layer's output better than magnitude pruning at
// 50% unstructured and at 2:4. Error = Σ_rows (w − ŵ) XᵀX (w − ŵ)ᵀ = ‖WX − ŴX‖², measured on
// held-out activations (a second calibration set), summed over the block's six linear layers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelEditor } from '../../../main/core/model/onnx/editor';
import { findLayers, toMatrix, type LayerTarget } from '../../../main/core/methods/layers';
import { calibrate } from '../../../main/core/pipeline/calibration';
import { syntheticDataset } from '../../../main/core/data/dataset';
import { getMethodDefinition } from '../../../main/core/methods/registry';
import { parsePattern } from '../../../main/core/methods/sparsity';
import type { LayerStats, PruningMethod } from '../../../main/core/methods/method';
import { fixture, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let editor: ModelEditor;
let layers: LayerTarget[];
let fit: Map<LayerTarget, LayerStats>;
let heldOut: Map<LayerTarget, LayerStats>;

async function stats(seed: number): Promise<Map<LayerTarget, LayerStats>> {
  const data = syntheticDataset({ field: 'calibration.source', inputs: [{ name: 'x', type: 'float32', shape: ['batch', 'seq', 32] }], inputShapes: { x: [1, 16, 32] }, samples: 32, seed });
  const r = await calibrate(editor, data, { layers: layers.map((layer) => ({ layer, hessian: true, norms: true })), ranges: [], histogram: false }, { batchSize: 1, tmpDir: tmp.dir });
  expect(r.missing.size).toBe(0);
  return r.stats;
}

beforeAll(async () => {
  tmp = tempDir('recon');
  editor = ModelEditor.open(fixture('transformer', tmp.dir));
  layers = findLayers(editor.current());
  expect(layers.map((l) => l.name)).toEqual(['attn.q_proj.weight', 'attn.k_proj.weight', 'attn.v_proj.weight', 'attn.o_proj.weight', 'mlp.fc1.weight', 'mlp.fc2.weight']);
  fit = await stats(1);
  heldOut = await stats(2);
});
afterAll(() => {
  editor.close();
  tmp.cleanup();
});

/** ‖(W − Ŵ) X‖² from H = XᵀX. */
function reconError(w: Float32Array, p: Float32Array, h: Float32Array, rows: number, cols: number): number {
  let total = 0;
  const d = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) d[c] = w[r * cols + c] - p[r * cols + c];
    for (let i = 0; i < cols; i++) {
      if (d[i] === 0) continue;
      let s = 0;
      for (let j = 0; j < cols; j++) s += h[i * cols + j] * d[j];
      total += d[i] * s;
    }
  }
  return total;
}

async function prune(method: string, pattern: string, layer: LayerTarget): Promise<Float32Array> {
  const def = getMethodDefinition(method);
  const m = def.create(def.config.parse({})) as PruningMethod;
  const plan = { layer, pattern: parsePattern(pattern), sparsity: 0.5 };
  const base = { signal: new AbortController().signal, log: () => {}, seed: 1 };
  await m.initialize({ ...base, plans: [plan], weights: (l) => toMatrix(l) });
  const w = toMatrix(layer);
  const r = await m.apply({ ...base, plan, weights: w, stats: fit.get(layer) });
  const out = r.weights ?? w.slice();
  for (let i = 0; i < out.length; i++) if (!r.mask[i]) out[i] = 0;
  return out;
}

for (const pattern of ['unstructured', '2:4']) describe(`at 50% sparsity, ${pattern}`, () => {
  it('SparseGPT and Wanda beat magnitude on layer reconstruction error (held-out activations)', async () => {
    const totals: Record<string, number> = { magnitude: 0, wanda: 0, sparsegpt: 0 };
    const perLayer: Record<string, number[]> = { magnitude: [], wanda: [], sparsegpt: [] };
    for (const layer of layers) {
      const w = toMatrix(layer);
      const h = heldOut.get(layer)!.hessian!;
      const ref = reconError(w, new Float32Array(w.length), h, layer.rows, layer.cols);
      for (const method of Object.keys(totals)) {
        const p = await prune(method, pattern, layer);
        const e = reconError(w, p, h, layer.rows, layer.cols) / ref;
        totals[method] += e;
        perLayer[method].push(e);
      }
    }
    expect(totals.sparsegpt).toBeLessThan(totals.magnitude);
    expect(totals.wanda).toBeLessThan(totals.magnitude);
    // SparseGPT wins layer by layer, not only on the sum.
    perLayer.sparsegpt.forEach((e, i) => expect(e).toBeLessThan(perLayer.magnitude[i]));
  });
});
