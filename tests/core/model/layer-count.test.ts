// One layer count per model: model/layers.ts modelLayers is the definition, and every place that
// counts layers (model.inspect's totals and its marked rows, the zoo's per-layer statistics, the
// layers compression methods work on, the explainer's rows) agrees with it, on real exports
// nobody here wrote and on a twin Twinforge made (int8: the weights are stored quantized).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAYER_DEFINITION, modelLayers, openModel } from '../../../main/core/model/index';
import { inspectModel } from '../../../main/core/model/inspect';
import { summarizeWeights } from '../../../main/core/zoo/weights';
import { findLayers } from '../../../main/core/methods/layers';
import { invoke } from '../../../main/core/api/index';
import { JobRunner } from '../../../main/core/jobs/runner';
import { parseRecipe } from '../../../main/core/recipe/recipe';
import { compressModel } from '../../../main/core/pipeline/runner';
import type { Explanation, ModelSummary } from '../../../preload/contract';

const TORCH = path.resolve('tests/fixtures/torch');
const MODELS = ['mobilenetv3_small_op9.onnx', 'resnet_tiny_op13.onnx', 'gpt_tiny_op13.onnx', 'bert_encoder_op13.onnx', 'lstm_op11.onnx', 'mlp_batch2_op9.onnx'].map((m) => path.join(TORCH, m));
MODELS.push(path.resolve('resources/samples/hello_deepa.onnx'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-layer-count-'));
const jobs = new JobRunner({ dataDir: dir });
afterAll(async () => {
  await jobs.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** Every count of layers the engine hands out for one model file. */
async function counts(file: string) {
  const ir = openModel(file);
  try {
    const defined = modelLayers(ir).map((w) => w.id);
    const summary = await inspectModel(file);
    const marked = summary.layers.filter((r) => r.layer);
    return {
      defined,
      totals: summary.totals.layers,
      markedWeights: new Set(marked.flatMap((r) => r.weights).filter((w) => defined.includes(w))),
      unmarkedUseLayers: summary.layers.filter((r) => !r.layer && r.weights.some((w) => defined.includes(w))).length,
      zoo: summarizeWeights(ir).layers.map((l) => l.layer),
      methods: findLayers(ir).map((l) => l.name),
      definition: summary.layerDefinition,
      weightTensors: summary.totals.weightTensors,
    };
  } finally {
    ir.close();
  }
}

describe('one layer count per model', () => {
  it.each(MODELS)('%s: inspect, its marked rows, the zoo and the methods count the same layers', async (file) => {
    const c = await counts(file);
    expect(c.defined.length).toBeGreaterThan(0);
    expect(c.totals).toBe(c.defined.length);
    expect([...c.markedWeights].sort()).toEqual([...c.defined].sort());
    expect(c.unmarkedUseLayers).toBe(0);
    expect(c.zoo.sort()).toEqual([...c.defined].sort());
    // the methods' layers are exactly these (none of these models stores quantized weights)
    expect(c.methods.sort()).toEqual([...c.defined].sort());
    expect(c.definition).toBe(LAYER_DEFINITION);
    // weight tensors are another count, labelled as such: biases and norms are not layers
    expect(c.weightTensors).toBeGreaterThanOrEqual(c.totals);
  });

  it('the figures differ where the definition says they should (GPT: embeddings, norms and biases are weights, not layers)', async () => {
    const c = await counts(path.join(TORCH, 'gpt_tiny_op13.onnx'));
    expect(c.totals).toBe(9); // 2 blocks x (qkv, proj, fc1, fc2) + the head
    expect(c.weightTensors).toBe(29);
  });

  it('an int8 twin keeps its parent\'s layers (stored quantized, still layers)', async () => {
    const parent = path.join(TORCH, 'mlp_batch2_op9.onnx');
    const run = await compressModel(parseRecipe(`version: 1\nmodel: ${parent}\nstages:\n  - type: quantize\n    method: int8\n`), { outDir: path.join(dir, 'int8') });
    const p = await counts(parent);
    const t = await counts(run.twin);
    expect(t.totals).toBe(p.totals);
    expect(t.zoo.length).toBe(p.totals);
  }, 120_000);

  it('the explainer judges layers only, never more than the model has', async () => {
    const s = { dataDir: dir, host: 'cli' as const, jobs };
    for (const [file, inputShapes] of [
      [path.join(TORCH, 'mlp_batch2_op9.onnx'), undefined],
      [path.join(TORCH, 'resnet_tiny_op13.onnx'), { input: [1, 3, 32, 32] }],
    ] as const) {
      const summary = (await invoke(s, 'model.inspect', { path: file, ...(inputShapes ? { inputShapes } : {}) })) as ModelSummary;
      const e = (await invoke(s, 'hw.explain', { model: file, target: 'x86-avx512-vnni', ...(inputShapes ? { inputShapes } : {}) })) as Explanation;
      const layerNodes = new Set(summary.layers.filter((r) => r.layer).map((r) => r.name));
      expect(e.layers.length).toBeGreaterThan(0);
      expect(e.layers.length).toBeLessThanOrEqual(summary.totals.layers);
      for (const l of e.layers) expect(layerNodes.has(l.name), l.name).toBe(true);
    }
  }, 120_000);
});
