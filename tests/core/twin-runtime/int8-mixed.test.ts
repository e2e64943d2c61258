// A twin that is part int8 (QDQ, as compress exports it) and part 90% sparse fp32: the int8 layers
// stay in ONNX Runtime segments, where int8 pays, and the sparse ones run on Twinforge's kernels;
// the outputs equal the twin's in plain ONNX Runtime.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { compressModel } from '../../../main/core/pipeline/runner';
import { exportTwin, loadTwin } from '../../../main/core/twin-runtime';
import { mlpPair } from '../../../main/core/twin-runtime/models';
import { FP32_TOL, compare, runOrt } from './helpers';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-int8-mixed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('int8 + sparse twin', () => {
  it('runs int8 layers in ORT and sparse fp32 layers on the kernels, outputs equal', async () => {
    const model = path.join(dir, 'mlp.onnx');
    writeFileSync(model, mlpPair([128, 256, 256, 64], { kind: 'unstructured', level: 0 }).parent);
    const r = await compressModel(
      {
        version: 1,
        model,
        inputShapes: { x: [1, 128] },
        calibration: { source: 'synthetic', samples: 4 },
        evaluation: { source: 'synthetic', samples: 4, latency: false },
        stages: [
          { type: 'prune', method: 'magnitude', sparsity: 0.9, exclude: ['W1'] },
          { type: 'quantize', method: 'int8', include: ['W1'] },
        ],
        export: { dir: path.join(dir, 'out'), formats: ['model'] },
      } as never,
      {},
    );
    const twinBytes = new Uint8Array(readFileSync(r.twin));
    // W1 really is int8 in the twin (a QDQ pair in front of its MatMul)
    const ops = fromBinary(ModelProtoSchema, twinBytes).graph!.node.map((n) => n.opType);
    expect(ops).toContain('DequantizeLinear');
    const folder = path.join(dir, 'twin.twin');
    const exp = exportTwin(twinBytes, folder);
    expect(exp.manifest.layers.map((l) => l.layer).sort()).toEqual(['W0', 'W2']);
    const twin = await loadTwin(folder);
    try {
      expect(twin.plan.ortSegments).toBeGreaterThanOrEqual(1);
      const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 256 }, (_, i) => Math.sin(i)), [2, 128]) };
      const c = compare(await twin.run(feeds), await runOrt(twinBytes, feeds));
      expect(c.scale).toBeGreaterThan(0.001);
      expect(c.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, c.scale));
    } finally {
      await twin.release();
    }
  }, 120_000);
});
