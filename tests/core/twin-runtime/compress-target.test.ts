// compress with a Twinforge target: besides twin.onnx the run writes the twin folder the runtime
// loads (twin.twin/), and the report's Twinforge latency is measured end to end through it.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../../main/core/pipeline/runner';
import { loadTwin } from '../../../main/core/twin-runtime';
import { mlpPair } from '../../../main/core/twin-runtime/models';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-compress-target-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compress for a Twinforge target', () => {
  it('writes the twin folder and measures it through the twin runtime', async () => {
    const model = path.join(dir, 'mlp.onnx');
    writeFileSync(model, mlpPair([128, 256, 64], { kind: 'unstructured', level: 0 }).parent);
    const out = path.join(dir, 'out');
    const r = await compressModel(
      {
        version: 1,
        model,
        target: 'x86-avx512-vnni:twinforge-cpu',
        inputShapes: { x: [1, 128] },
        calibration: { source: 'synthetic', samples: 4 },
        evaluation: { source: 'synthetic', samples: 4, latency: { warmup: 2, runs: 10 } },
        stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.9 }],
        export: { dir: out },
      } as never,
      {},
    );
    const folder = path.join(out, 'twin.twin');
    expect(existsSync(path.join(folder, 'manifest.json'))).toBe(true);
    const report = JSON.parse(readFileSync(r.report, 'utf8'));
    const tf = report.latencyMs.twinforge;
    expect(tf).toMatchObject({ folder, sparseLayers: 2 });
    expect(tf.twin).toBeGreaterThan(0);
    expect(tf.speedup).toBeCloseTo(tf.parent / tf.twin, 6);
    expect(readFileSync(r.reportMarkdown, 'utf8')).toMatch(/Twinforge target, measured end to end/);
    expect(r.latencyMs?.twinforge).toEqual(tf);
    // the folder on disk is what a user deploys: it loads and runs
    const twin = await loadTwin(folder);
    try {
      const y = await twin.run({ x: new ort.Tensor('float32', new Float32Array(128).fill(0.5), [1, 128]) });
      expect(y[twin.outputNames[0]].dims).toEqual([1, 64]);
    } finally {
      await twin.release();
    }
  }, 120_000);
});
