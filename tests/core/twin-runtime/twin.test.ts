// The twin runtime end to end: a pruned model exported as a Twinforge-target twin folder, loaded
// with loadTwin and run (ORT segments + the addon's sparse kernels), gives the dense ORT twin's
// outputs (same zeros) within fp32 tolerance — on fixtures built here and on PyTorch exports
// (a GPT, MobileNetV3's 1x1 convolutions, a Gemm MLP). Tampered folders are refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { mlpPair, transformerPair, type Zeros } from '../../../main/core/twin-runtime/models';
import { buildProbeModel, randomWeights } from '../../../main/core/hardware/synth';
import { exportTwin, loadTwin, type TwinManifest } from '../../../main/core/twin-runtime';
import { FP32_TOL, compare, feedsFor, pruneLinears, runOrt } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tf-twin-rt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let seq = 0;
const folder = () => path.join(tmp, `twin${seq++}`);

const CSR: Zeros = { kind: 'unstructured', level: 0.9 };
const BSR: Zeros = { kind: 'block', level: 0.9, rows: 4, cols: 4 };
const torch = (f: string) => new Uint8Array(readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'torch', f)));

async function roundTrip(twinBytes: Uint8Array, feeds: Record<string, ort.Tensor>, opts: Parameters<typeof exportTwin>[2] = {}) {
  const dir = folder();
  const exp = exportTwin(twinBytes, dir, opts);
  const twin = await loadTwin(dir);
  try {
    const got = await twin.run(feeds);
    const want = await runOrt(twinBytes, feeds);
    return { exp, plan: twin.plan, ...compare(got, want), dir };
  } finally {
    await twin.release();
  }
}

const x = (dims: number[], seed = 3) => new ort.Tensor('float32', randomWeights(dims.reduce((a, b) => a * b, 1), seed).map((v) => v * 20), dims);

describe('twin runtime: fixtures with 90% CSR and BSR 4x4 linears', () => {
  for (const [name, zeros, format] of [['CSR', CSR, 'csr'], ['BSR 4x4', BSR, 'bsr']] as const) {
    it(`MLP, ${name}: outputs equal the dense ORT twin at batch 1 and 5; no ORT call between layers`, async () => {
      const pair = mlpPair([128, 256, 256, 64], zeros);
      for (const batch of [1, 5]) {
        const r = await roundTrip(pair.twin, { x: x([batch, 128]) });
        expect(r.exp.manifest.layers.map((l) => l.format)).toEqual([format, format, format]);
        for (const l of r.exp.manifest.layers) expect(l.sparsity).toBeGreaterThan(0.85);
        // bias Add and Relu folded into the sparse layers: the MLP needs no ORT segment at all
        expect(r.plan).toMatchObject({ ortSegments: 0, sparseLayers: 3 });
        expect(r.scale).toBeGreaterThan(0.01);
        expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
      }
      // the packed weights are smaller than the dense ones they replace
      const m = JSON.parse(readFileSync(path.join(tmp, `twin${seq - 1}`, 'manifest.json'), 'utf8')) as TwinManifest;
      expect(m.packedWeightBytes).toBeLessThan(m.denseWeightBytes * 0.25);
    });

    it(`transformer block, ${name}: ORT segments and sparse stages interleave, outputs equal, batch 3`, async () => {
      const pair = transformerPair(64, 8, zeros);
      const r = await roundTrip(pair.twin, { x: x([3, 8, 64]) });
      expect(r.exp.manifest.layers).toHaveLength(6);
      expect(new Set(r.exp.manifest.layers.map((l) => l.format))).toEqual(new Set([format]));
      // Q, K, V share one sparse stage; LayerNorm / attention / residuals run in ORT
      expect(r.plan.ortSegments).toBeGreaterThanOrEqual(3);
      expect(r.plan.stages.find((s) => s.kind === 'sparse')!.nodes).toBe(3);
      expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
    });
  }

  it('exports from an .onnx file on disk (weights read from a Buffer) the same as from bytes', async () => {
    const pair = mlpPair([96, 64, 32], CSR);
    const file = path.join(tmp, 'mlp-twin.onnx');
    writeFileSync(file, pair.twin);
    const dir = folder();
    exportTwin(file, dir);
    const twin = await loadTwin(dir);
    try {
      const feeds = { x: x([2, 96]) };
      const r = compare(await twin.run(feeds), await runOrt(pair.twin, feeds));
      expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
    } finally {
      await twin.release();
    }
  });

  it('nodes without names (allowed by ONNX) still get one sparse layer each', async () => {
    const pair = mlpPair([64, 96, 96, 32], CSR);
    const m = fromBinary(ModelProtoSchema, pair.twin);
    for (const n of m.graph!.node) n.name = '';
    const twin = toBinary(ModelProtoSchema, m);
    const r = await roundTrip(twin, { x: x([2, 64]) });
    expect(new Set(r.exp.manifest.layers.map((l) => l.node)).size).toBe(3);
    expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
  });

  it('1x1 convolution (NCHW, spatial 5x5, bias, Relu folded) runs on the kernels', async () => {
    const w = randomWeights(32 * 48, 5);
    const g = (data: Float32Array) =>
      buildProbeModel({
        inputs: [{ name: 'x', dims: [2, 48, 5, 5] }],
        outputs: [{ name: 'y', dims: [2, 32, 5, 5] }],
        initializers: [
          { name: 'W', dims: [32, 48, 1, 1], dtype: 'float32', data },
          { name: 'B', dims: [32], dtype: 'float32', data: randomWeights(32, 6) },
        ],
        nodes: [
          { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { kernel_shape: [1, 1] } },
          { op: 'Relu', inputs: ['c'], outputs: ['y'] },
        ],
      });
    const { twin } = pruneLinears(g(w), CSR);
    const r = await roundTrip(twin, { x: x([2, 48, 5, 5]) });
    expect(r.exp.manifest.layers).toMatchObject([{ from: 'Conv', format: 'csr', rows: 32, cols: 48, bias: true, activation: 'relu' }]);
    expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
  });
});

describe('twin runtime: PyTorch exports (inputs not made here)', () => {
  it('gpt_tiny (opset 17): every MatMul linear at 90% CSR, int64 token ids and a mask through ORT segments', async () => {
    const { twin, pruned } = pruneLinears(torch('gpt_tiny_op17.onnx'), CSR);
    expect(pruned.length).toBeGreaterThan(4);
    const feeds = await feedsFor(twin, { input_ids: [2, 7], causal_mask: [7, 7] });
    const r = await roundTrip(twin, feeds);
    expect(r.exp.manifest.layers.length).toBeGreaterThan(4);
    expect(r.plan.ortSegments).toBeGreaterThan(1);
    expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
  });

  it('mobilenetv3_small: pointwise 1x1 convolutions at 90% BSR-pruned run on the kernels (policy all)', async () => {
    const { twin } = pruneLinears(torch('mobilenetv3_small_op13.onnx'), BSR);
    const feeds = await feedsFor(twin, { input: [1, 3, 32, 32] });
    const r = await roundTrip(twin, feeds, { policy: 'all' });
    const convs = r.exp.manifest.layers.filter((l) => l.from === 'Conv');
    expect(convs.length).toBeGreaterThan(5);
    expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * 10 * Math.max(1, r.scale));
  });

  it('mlp_batch2 (opset 9 Gemm, transB): Gemm layers with bias', async () => {
    const { twin } = pruneLinears(torch('mlp_batch2_op9.onnx'), CSR);
    const feeds = await feedsFor(twin, { x: [2, 64] });
    const r = await roundTrip(twin, feeds);
    expect(r.exp.manifest.layers.every((l) => l.from === 'Gemm' && l.bias)).toBe(true);
    expect(r.maxErr).toBeLessThanOrEqual(FP32_TOL * Math.max(1, r.scale));
  });
});

describe('twin folders: refused when changed, clear errors', () => {
  const pair = mlpPair([64, 128, 32], CSR);
  const fresh = () => {
    const dir = folder();
    exportTwin(pair.twin, dir);
    return dir;
  };
  const refused = async (dir: string, code: string, msg: RegExp) => {
    await expect(loadTwin(dir)).rejects.toMatchObject({ code, message: expect.stringMatching(msg) });
  };

  it('a changed byte in weights.twsp or model.onnx is refused (hash mismatch)', async () => {
    for (const file of ['weights.twsp', 'model.onnx']) {
      const dir = fresh();
      const p = path.join(dir, file);
      const b = readFileSync(p);
      b[b.length - 3] ^= 1;
      writeFileSync(p, b);
      await refused(dir, 'CORRUPT_MODEL', new RegExp(`${file.replace('.', '\\.')} does not match the twin's manifest`));
    }
  });

  it('a tampered manifest is refused: wrong hash, layer list changed, paths out of the folder', async () => {
    const edit = async (f: (m: TwinManifest) => void, code: string, msg: RegExp) => {
      const dir = fresh();
      const p = path.join(dir, 'manifest.json');
      const m = JSON.parse(readFileSync(p, 'utf8')) as TwinManifest;
      f(m);
      writeFileSync(p, JSON.stringify(m));
      await refused(dir, code, msg);
    };
    await edit((m) => (m.files['weights.twsp'].sha256 = '0'.repeat(64)), 'CORRUPT_MODEL', /does not match the twin's manifest/);
    await edit((m) => (m.layers[0].rows += 4), 'CORRUPT_MODEL', /differs from the manifest/);
    await edit((m) => m.layers.pop(), 'CORRUPT_MODEL', /sparse layers, the manifest lists/);
    await edit((m) => {
      m.weights = '../weights.twsp';
      m.files['../weights.twsp'] = m.files['weights.twsp'];
    }, 'CORRUPT_MODEL', /not a plain file name/);
    await edit((m) => ((m as { format: string }).format = 'other'), 'CORRUPT_MODEL', /not a twin manifest/);
  });

  it('missing folder or manifest is NOT_FOUND; bad feeds are BAD_INPUT naming the input', async () => {
    await refused(path.join(tmp, 'nope'), 'NOT_FOUND', /not found/);
    await refused(tmp, 'NOT_FOUND', /no manifest\.json/);
    const twin = await loadTwin(fresh());
    try {
      await expect(twin.run({})).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/input 'x' is missing/) });
      await expect(twin.run({ x: x([1, 63]) })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/expects 64 features/) });
      await expect(twin.run({ x: x([1, 64]), extra: x([1]) })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/'extra' is not an input/) });
    } finally {
      await twin.release();
    }
  });

  it('a dense twin has nothing for the Twinforge kernels: export says so', () => {
    expect(() => exportTwin(mlpPair([64, 64], { kind: 'unstructured', level: 0.3 }).twin, folder())).toThrow(/no sparse MatMul/);
  });
});
