// Model folders through the API every UI uses: files.list marks a model folder as a model,
// model.inspect returns its tensors and decoder structure (nonzeros read from the stored bits,
// so a 2:4 twin shows its sparsity), and llm.compress runs the layer-by-layer pipeline as a job
// (in a worker process) whose result is the contract's LlmCompressOutcome.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 300_000 });
import type { FileListing, JobSnapshot, LlmCompressOutcome, ModelSummary } from '../../preload/contract';
import { invoke } from '../../main/core/api/index';
import { JobRunner } from '../../main/core/jobs/runner';
import { inspectLlm } from '../../main/core/model/hf/inspect';
import { SafetensorsModel } from '../../main/core/model/safetensors/reader';

const FIX = path.resolve(__dirname, '../fixtures/llm');
const MODEL = path.join(FIX, 'tiny-llama');
const CALIB = path.join(FIX, 'calib.npy');
const HELD = path.join(FIX, 'heldout.npy');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-llm-api-'));
const jobs = new JobRunner({ dataDir: tmp });
const api = { dataDir: tmp, host: 'cli' as const, jobs };
afterAll(async () => {
  await jobs.shutdown();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('model folders through the API', () => {
  it('files.list marks a model folder as a model', async () => {
    const l = (await invoke(api, 'files.list', { path: FIX })) as FileListing;
    expect(l.entries.find((e) => e.name === 'tiny-llama')).toMatchObject({ kind: 'dir', type: 'model' });
  });

  it('model.inspect returns the tensors and the decoder structure', async () => {
    const s = (await invoke(api, 'model.inspect', { path: MODEL })) as ModelSummary;
    const d = inspectLlm(MODEL);
    expect(s.format).toBe('hf');
    expect(s.decoder).toMatchObject({ architecture: d.architecture, layers: d.layers, heads: d.heads, kvHeads: d.kvHeads, hidden: d.hidden, intermediate: d.intermediate, vocab: d.vocab });
    // Every stored tensor is a row; their elements are the parameter count the config implies.
    expect(s.totals.parameters).toBe(d.parameters.total);
    // Nonzeros from the stored bits agree with counting the decoded values.
    let nz = 0;
    for (const f of fs.readdirSync(MODEL).filter((x) => x.endsWith('.safetensors'))) {
      const m = SafetensorsModel.open(path.join(MODEL, f));
      for (const w of m.weights) for (const v of w.float32()) if (v !== 0) nz++;
      m.close();
    }
    expect(s.totals.nonzeros).toBe(nz);
    expect(nz).toBeGreaterThan(0.99 * s.totals.parameters);
    expect(s.layers.filter((r) => r.op === 'Linear' && r.role !== 'head')).toHaveLength(7 * d.layers);
    expect(s.inputs[0]).toMatchObject({ name: 'input_ids', dtype: 'int64' });
    expect(s.totals.layers).toBe(7 * d.layers);
    // A row's weights open for the histogram (the Model step's click on a row).
    const h = (await invoke(api, 'model.weightHistogram', { path: MODEL, layer: 'model.layers.0.mlp.down_proj' })) as { total: number; counts: number[] };
    expect(h.total).toBe(d.hidden * d.intermediate);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(h.total);
  });

  it('llm.compress runs as a job; model.inspect of its dense twin shows the 2:4 sparsity', async () => {
    const out = path.join(tmp, 'twin');
    const started = (await invoke(api, 'llm.compress', { model: MODEL, out, calib: CALIB, eval: HELD, method: 'sparsegpt', pattern: '2:4' })) as JobSnapshot;
    expect(started.kind).toBe('llm.compress');
    const done = await jobs.wait(started.id);
    expect(done.state, JSON.stringify(done.error)).toBe('done');
    const r = done.result as LlmCompressOutcome;
    expect(r.paths).toEqual({ compressed: out, dense: path.join(out, 'dense') });
    expect(r.sparsity).toBeCloseTo(0.5, 3);
    expect(r.layers).toHaveLength(inspectLlm(MODEL).layers);
    expect(r.evaluation!.twinPerplexity).toBeGreaterThan(0);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).quantization_config.format).toBe('sparse-24-bitmask');
    const s = (await invoke(api, 'model.inspect', { path: r.paths.dense })) as ModelSummary;
    const linears = s.layers.filter((x) => x.op === 'Linear' && x.role !== 'head');
    for (const l of linears) expect(l.nonzeros / l.parameters).toBeCloseTo(0.5, 2);
    expect(s.totals.sparsity!).toBeGreaterThan(0.3);
  });

  it('graph-pipeline calls given a model folder say it is one and where folders are compressed', async () => {
    await expect(invoke(api, 'hw.explain', { model: MODEL, target: 'x86-avx512-vnni:onnxruntime-cpu' })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/Hugging Face model folder; the latency model works on ONNX/), hint: expect.stringMatching(/decoder panel on the Model step/) });
    const started = (await invoke(api, 'compress.start', { recipe: { version: 1, model: MODEL, stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }], calibration: { source: 'synthetic' }, evaluation: { source: 'synthetic' }, export: { dir: path.join(tmp, 'graph') } } })) as JobSnapshot;
    const done = await jobs.wait(started.id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/is a Hugging Face model folder/), hint: expect.stringMatching(/twinforge compress FOLDER --calib/) });
  });

  it('llm.compress refuses bad arguments at the edge', async () => {
    await expect(invoke(api, 'llm.compress', { model: MODEL, out: path.join(tmp, 'x'), calib: CALIB, method: 'obs' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
