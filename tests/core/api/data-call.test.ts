// data.inspect on a real PyTorch export: the run's own loader reports the samples per input, and
// a file of the wrong width is refused with the loader's message (what the run would say).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpy } from '../../../main/core/data/npy';
import { invoke } from '../../../main/core/api/index';
import { JobRunner } from '../../../main/core/jobs/runner';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-data-call-'));
const MODEL = path.resolve('tests/fixtures/torch/mlp_batch2_op9.onnx'); // input x [2, 64]
const jobs = new JobRunner({ dataDir: dir });
afterAll(async () => {
  await jobs.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('data.inspect', () => {
  it('reports samples and the shape of one sample per input, labels included', async () => {
    writeFileSync(path.join(dir, 'x.npy'), writeNpy({ dtype: 'float32', shape: [12, 64], data: new Float32Array(12 * 64) }));
    writeFileSync(path.join(dir, 'labels.npy'), writeNpy({ dtype: 'int64', shape: [12], data: new BigInt64Array(12) }));
    const r = await invoke({ dataDir: dir, host: 'cli', jobs }, 'data.inspect', { path: path.join(dir, 'x.npy'), model: MODEL, labels: path.join(dir, 'labels.npy') });
    expect(r).toEqual({ samples: 12, complete: true, inputs: [{ name: 'x', modelShape: [2, 64], dtype: 'float32', role: 'features', sampleDims: [64] }], labels: 12, warnings: [] });
  });

  it('refuses samples of the wrong shape with the message the run would give', async () => {
    writeFileSync(path.join(dir, 'bad.npy'), writeNpy({ dtype: 'float32', shape: [12, 63], data: new Float32Array(12 * 63) }));
    await expect(invoke({ dataDir: dir, host: 'cli', jobs }, 'data.inspect', { path: path.join(dir, 'bad.npy'), model: MODEL })).rejects.toMatchObject({ message: expect.stringMatching(/calibration\.source/) });
    await expect(invoke({ dataDir: dir, host: 'cli', jobs }, 'data.inspect', { path: path.join(dir, 'nope.npy'), model: MODEL })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
