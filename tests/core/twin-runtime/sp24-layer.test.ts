// 2:4 layers of a Twinforge twin run on the packed 2:4 kernels (native/sp24.ts): a 2:4-pruned
// twin exported as a folder and run by the twin runtime gives ONNX Runtime's dense run of the
// same twin, with fp16 values when the weights are fp16 numbers (then bit-for-bit the same
// products) and fp32 values otherwise; a folder whose 2:4 positions are broken is refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { mlpPair, transformerPair } from '../../../main/core/twin-runtime/models';
import { randomWeights } from '../../../main/core/hardware/synth';
import { exportTwin, loadTwin } from '../../../main/core/twin-runtime';
import { decodeTwsp, sha256, type TwinManifest } from '../../../main/core/twin-runtime/format';
import { FP32_TOL, compare, runOrt } from './helpers';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tf-twin-sp24-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const folder = () => path.join(tmp, `twin${seq++}`);
const x = (dims: number[], seed = 5) => new ort.Tensor('float32', randomWeights(dims.reduce((a, b) => a * b, 1), seed).map((v) => v * 20), dims);

/** The model with every float initializer rounded to the nearest fp16 number (still stored as fp32). */
function fp16Numbers(model: Uint8Array): Uint8Array {
  const m = fromBinary(ModelProtoSchema, model);
  for (const t of m.graph!.initializer) {
    if (t.dataType !== 1 || !t.rawData.byteLength) continue;
    const w = new Float32Array(Uint8Array.from(t.rawData).buffer);
    const h = new Float32Array(w.length);
    // fp16 keeps 11 significant bits; these weights are well inside its normal range
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) continue;
      const e = Math.floor(Math.log2(Math.abs(w[i])));
      const q = 2 ** Math.max(e - 10, -24);
      h[i] = Math.round(w[i] / q) * q;
    }
    t.rawData = new Uint8Array(h.buffer);
  }
  return toBinary(ModelProtoSchema, m);
}

async function runBoth(twinBytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const dir = folder();
  const exp = exportTwin(twinBytes, dir);
  const twin = await loadTwin(dir);
  try {
    return { exp, plan: twin.plan, dir, ...compare(await twin.run(feeds), await runOrt(twinBytes, feeds)) };
  } finally {
    await twin.release();
  }
}

describe('twin runtime: 2:4 layers on the packed 2:4 kernels', () => {
  it('MLP with fp32 weights: 2:4 format, fp32 values, outputs equal the dense ORT twin at batch 1 and 4', async () => {
    const pair = mlpPair([128, 256, 256, 64], { kind: 'nm', n: 2, m: 4 });
    for (const batch of [1, 4]) {
      const r = await runBoth(pair.twin, { x: x([batch, 128]) });
      expect(r.exp.manifest.layers.map((l) => l.format)).toEqual(['2:4', '2:4', '2:4']);
      for (const l of r.exp.manifest.layers) expect(l.sparsity).toBeCloseTo(0.5, 2);
      expect(r.plan).toMatchObject({ ortSegments: 0, sparseLayers: 3, kernels: ['sp24 fp32', 'sp24 fp32', 'sp24 fp32'] });
      expect(r.scale).toBeGreaterThan(0.01);
      expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
    }
    // values (fp32) + 4 bits of positions per group of 4: about 53% of the dense bytes
    const m = JSON.parse(readFileSync(path.join(tmp, `twin${seq - 1}`, 'manifest.json'), 'utf8')) as TwinManifest;
    expect(m.packedWeightBytes / m.denseWeightBytes).toBeGreaterThan(0.5);
    expect(m.packedWeightBytes / m.denseWeightBytes).toBeLessThan(0.6);
  });

  it('weights that are fp16 numbers run with fp16 values and still equal the dense ORT twin', async () => {
    const pair = mlpPair([256, 512, 128], { kind: 'nm', n: 2, m: 4 });
    const r = await runBoth(fp16Numbers(pair.twin), { x: x([3, 256], 9) });
    expect(r.plan.kernels).toEqual(['sp24 fp16', 'sp24 fp16']);
    expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
  });

  it('transformer block with 2:4 linears: ORT segments and 2:4 stages interleave, outputs equal', async () => {
    const pair = transformerPair(64, 8, { kind: 'nm', n: 2, m: 4 });
    const r = await runBoth(pair.twin, { x: x([2, 8, 64]) });
    expect(new Set(r.exp.manifest.layers.map((l) => l.format))).toEqual(new Set(['2:4']));
    expect(r.plan.ortSegments).toBeGreaterThanOrEqual(3);
    expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
  });

  it('refuses a folder whose 2:4 positions are broken (idx0 >= idx1), naming the layer', async () => {
    const pair = mlpPair([64, 32], { kind: 'nm', n: 2, m: 4 });
    const dir = folder();
    exportTwin(pair.twin, dir);
    const file = path.join(dir, 'weights.twsp');
    const bytes = new Uint8Array(readFileSync(file));
    const { layers, section } = decodeTwsp(bytes);
    const meta = section(layers[0], 'meta') as Uint8Array;
    meta[0] = 0x33; // group 0: idx0 = 3, idx1 = 0
    writeFileSync(file, bytes);
    // keep the manifest's checksum in step, so the 2:4 check (not the hash) is what refuses it
    const mf = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(mf, 'utf8')) as TwinManifest;
    manifest.files['weights.twsp'] = { sha256: sha256(bytes), bytes: bytes.byteLength };
    writeFileSync(mf, JSON.stringify(manifest));
    await expect(loadTwin(dir)).rejects.toMatchObject({ code: 'CORRUPT_MODEL', message: expect.stringContaining(`layer '${layers[0].name}'`) });
  });
});
