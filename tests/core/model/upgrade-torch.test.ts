// Opset up-conversion on real PyTorch exports (tests/fixtures/torch, written by
// scripts/export-torch-fixtures.py): every fixture older than opset 13 is raised to 13 and must
// give the same outputs in ORT as the original; the opset-9 MobileNetV3 quantized to int8 at
// 224x224 must agree with its parent (cosine >= 0.99).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultOpset, upgradeOpset } from '../../../main/core/model/onnx/opset';
import { compressModel } from '../../../main/core/pipeline/runner';
import type { Recipe } from '../../../main/core/recipe/schema';

const FIXTURES = path.resolve(__dirname, '../../fixtures/torch');
const manifest = existsSync(path.join(FIXTURES, 'models.json'))
  ? (JSON.parse(readFileSync(path.join(FIXTURES, 'models.json'), 'utf8')) as { models: Array<{ file: string; opset: number; inputs: Array<{ name: string; shape: Array<number | string> }> }> }).models
  : [];
const old = manifest.filter((m) => m.opset < 13);
const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-upgrade-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Values for the fixtures' symbolic dims: one sample, a 64x64 image, 5 time steps.
const DIMS: Record<string, number> = { batch: 1, height: 64, width: 64, time: 5, seq: 8 };

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(model, { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

describe.skipIf(old.length === 0)('opset up-conversion of PyTorch exports', () => {
  for (const m of old) {
    it(`${m.file} (opset ${m.opset}) raised to 13 gives the same outputs`, async () => {
      const bytes = readFileSync(path.join(FIXTURES, m.file));
      const feeds: Record<string, ort.Tensor> = {};
      m.inputs.forEach((i, k) => {
        const dims = i.shape.map((d) => (typeof d === 'number' ? d : DIMS[d] ?? 4));
        feeds[i.name] = new ort.Tensor('float32', seeded(dims.reduce((a, b) => a * b, 1), k + 1), dims);
      });
      const want = await run(bytes, feeds);
      const proto = fromBinary(ModelProtoSchema, bytes);
      upgradeOpset(proto, 13);
      expect(defaultOpset(proto)).toBe(13);
      const got = await run(toBinary(ModelProtoSchema, proto), feeds);
      for (const k of Object.keys(want)) {
        expect(got[k].length).toBe(want[k].length);
        want[k].forEach((v, i) => expect(Math.abs(got[k][i] - v), `${k}[${i}]`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(v)));
      }
    });
  }

  it.skipIf(!old.some((m) => m.file === 'mobilenetv3_small_op9.onnx'))('mobilenetv3_small_op9 int8 at 224x224: twin at opset 13 agrees with its parent', async () => {
    const r = await compressModel({
      version: 1,
      model: path.join(FIXTURES, 'mobilenetv3_small_op9.onnx'),
      seed: 1,
      inputShapes: { input: [1, 3, 224, 224] },
      stages: [{ type: 'quantize', method: 'int8' }],
      calibration: { source: 'synthetic', samples: 8 },
      evaluation: { source: 'synthetic', samples: 8, latency: false },
      export: { dir: path.join(dir, 'mnv3-int8') },
    } as unknown as Recipe);
    expect(defaultOpset(fromBinary(ModelProtoSchema, readFileSync(r.twin)))).toBeGreaterThanOrEqual(13);
    console.log(`mobilenetv3_small_op9 int8 twin: cosine ${r.metrics.cosine.toFixed(5)}, top-1 agreement ${r.metrics.top1Agreement}`);
    expect(r.metrics.cosine).toBeGreaterThanOrEqual(0.99);
  });
});
