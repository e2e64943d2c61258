// ONNX Runtime executor: sessions, inputs resolved from the model with overridable dynamic dims,
// seeded generated inputs, outputs and timings, interleaved latency measurement.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLatency } from '../../../main/core/runtime/latency';
import { createSession, runModel } from '../../../main/core/runtime/ort';
import { resolveInputs } from '../../../main/core/runtime/inputs';
import { fixtureFile } from '../../fixtures';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twinforge-ort-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('runtime', () => {
  it('runs a model on generated inputs with dynamic dims filled (default 1, or per name)', async () => {
    const file = fixtureFile('transformer', dir);
    const r1 = await runModel(file);
    expect(r1.inputs[0]).toMatchObject({ name: 'x', type: 'float32', dims: [1, 1, 32], declared: ['batch', 'seq', 32] });
    expect(r1.outputs.y.dims).toEqual([1, 1, 32]);
    const r2 = await runModel(file, { dimDefaults: { batch: 2, seq: 3 }, runs: 3 });
    expect(r2.outputs.y.dims).toEqual([2, 3, 32]);
    expect(r2.timing.runMs.length).toBe(3);
    expect(r2.timing.loadMs).toBeGreaterThan(0);
    const r3 = await runModel(file, { inputShapes: { x: [4, 2, 32] } });
    expect(r3.outputs.y.dims).toEqual([4, 2, 32]);
  });

  it('same seed, same outputs; another seed, other outputs; given feeds are used as they are', async () => {
    const file = fixtureFile('mlp_gemm', dir);
    const a = await runModel(file, { seed: 3 });
    const b = await runModel(file, { seed: 3 });
    const c = await runModel(file, { seed: 4 });
    expect(Array.from(a.outputs.y.data as Float32Array)).toEqual(Array.from(b.outputs.y.data as Float32Array));
    expect(Array.from(a.outputs.y.data as Float32Array)).not.toEqual(Array.from(c.outputs.y.data as Float32Array));
    const zeros = new ort.Tensor('float32', new Float32Array(16), [1, 16]);
    const z = await runModel(file, { feeds: { x: zeros } });
    expect(z.outputs.y.dims).toEqual([1, 10]);
  });

  it('generates bool and int inputs (If condition)', async () => {
    const r = await runModel(fixtureFile('if_subgraph', dir));
    expect(r.inputs.map((i) => i.type)).toEqual(['float32', 'bool']);
    expect(r.outputs.y.dims).toEqual([1, 4]);
  });

  it('refuses shapes that contradict the model, and files ORT cannot load', async () => {
    const file = fixtureFile('cnn', dir);
    await expect(runModel(file, { inputShapes: { image: [1, 4, 16, 16] } })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(runModel(file, { inputShapes: { image: [1, 3, 16] } })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'not a model at all');
    await expect(createSession(junk)).rejects.toMatchObject({ code: 'CORRUPT_MODEL' });
    const s = await createSession(file);
    expect(resolveInputs(s, { defaultDim: 5 })[0].dims).toEqual([5, 3, 16, 16]);
    await s.release();
  });

  it('measures latency of several models interleaved, without spinning threads', async () => {
    const a = fixtureFile('hello_deepa', dir);
    const r = await measureLatency([a, a], { runs: 6, warmup: 1 });
    expect(r.length).toBe(2);
    expect(r[0].runs).toBe(6);
    expect(r[0].ratioToFirst).toBe(1);
    expect(r[1].medianMs).toBeGreaterThan(0);
    expect(r[1].p10Ms).toBeLessThanOrEqual(r[1].p90Ms);
  });
});
