// Acceptance of structured pruning on real PyTorch exports: at 30% the ResNet-style and
// MobileNetV3-style twins lose channels in >= 90% of the layers that are not graph outputs,
// keep <= 75% of parameters and file bytes, and run in ONNX Runtime at other input sizes
// (dynamic batch, H, W). The least-squares re-fit brings the twin closer to the parent than
// plain removal on held-out inputs.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { statSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { ModelEditor } from '../../../../main/core/model/onnx/editor';
import { findLayers } from '../../../../main/core/methods/layers';
import { pruneStructured, type StructuredOptions } from '../../../../main/core/pipeline/structured-prune';
import { cosine, floatDataset, handmadeModel, normal, runOrt, tempDir, torchFixture } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const params = (e: ModelEditor): number => e.current().weights.filter((w) => w.isParameter).reduce((a, w) => a + w.numel, 0);

async function prune(src: string, out: string, opts: Partial<StructuredOptions>) {
  const ed = ModelEditor.open(src);
  try {
    const before = params(ed);
    const r = await pruneStructured(ed, { sparsity: () => 0.3, importance: 'l2', allocation: 'uniform', refit: false, seed: 3, tmpDir: tmp.dir, ...opts });
    const after = params(ed);
    ed.save(out);
    return { r, before, after };
  } finally {
    ed.close();
  }
}

function image(n: number, h: number, w: number, seed: number): ort.Tensor {
  const r = normal(seed);
  return new ort.Tensor('float32', Float32Array.from({ length: n * 3 * h * w }, r), [n, 3, h, w]);
}

describe('structured pruning of PyTorch exports', () => {
  for (const [file, importance] of [['resnet_tiny_op11.onnx', 'l2'], ['resnet_tiny_op13.onnx', 'l1'], ['mobilenetv3_small_op9.onnx', 'l2'], ['mobilenetv3_small_op13.onnx', 'wanda'], ['densenet_tiny_op13.onnx', 'l2']] as const) {
    it(`${file} (${importance}): channels leave >= 90% of layers, <= 75% parameters and bytes, ORT runs`, async () => {
      const src = torchFixture(file);
      const out = path.join(tmp.dir, `${importance}-${file}`);
      const res = file.startsWith('mobilenet') ? 64 : 32;
      const { r, before, after } = await prune(src, out, { importance, calibration: () => floatDataset('input', [3, res, res], 8, 11), batchSize: 4 });
      // Layers (producers) whose output is not a graph output: >= 90% lost channels.
      const eligible = r.groups.filter((g) => !g.reason?.startsWith('reaches the graph output')).flatMap((g) => g.producers);
      const shrunk = r.groups.filter((g) => g.removed).flatMap((g) => g.producers);
      expect(shrunk.length / eligible.length).toBeGreaterThanOrEqual(0.9);
      // Groups of >= 16 channels in multiples of 8 keep a multiple of 8 (ORT's NCHWc), nearest to 70%.
      for (const g of r.groups.filter((x) => x.removed)) {
        const exact = g.channels - Math.floor(0.3 * g.channels);
        if (g.channels % 8 === 0 && g.channels >= 16) expect(g.after).toBe(Math.min(g.channels - 8, Math.max(8, Math.round(exact / 8) * 8)));
        else expect(g.after).toBe(exact);
      }
      expect(after / before).toBeLessThanOrEqual(0.75);
      expect(statSync(out).size / statSync(src).size).toBeLessThanOrEqual(0.75);
      // The twin's layers really are smaller (not zeros): every Conv/Gemm weight is dense.
      const ir = ModelEditor.open(out);
      try {
        for (const l of findLayers(ir.current())) expect(l.weight.nonzeros()).toBeGreaterThan(0.99 * l.weight.numel);
      } finally {
        ir.close();
      }
      // Dynamic batch and H/W survive: run at another size than the calibration.
      const x = image(2, res + 8, res + 16, 5);
      const [p, t] = [await runOrt(src, { input: x }), await runOrt(out, { input: x })];
      expect(t.length).toBe(p.length);
      expect(cosine(p, t)).toBeGreaterThan(0.5);
    });
  }

  it('hand-made graph: a bias shared by two convs that lose different channels is copied per reader; Concat offsets hold', async () => {
    const src = handmadeModel(tmp.dir);
    const out = path.join(tmp.dir, 'handmade-pruned.onnx');
    const { r } = await prune(src, out, { sparsity: () => 0.5 });
    expect(r.duplicated.length).toBe(2);
    const byProducer = (id: string) => r.groups.find((g) => g.producers.includes(id))!;
    expect([byProducer('wA').after, byProducer('wB').after, byProducer('wC').after]).toEqual([3, 3, 4]);
    expect(byProducer('wD')).toMatchObject({ removed: false, reason: 'Reshape reads these channels (not traced through Reshape)', node: 'reshapeD' });
    const ed = ModelEditor.open(out);
    try {
      const w = (n: string) => ed.current().weights.find((x) => x.name === n)?.dims;
      expect(w('wC')).toEqual([4, 6, 3, 3]);
      expect(w('shared_b')).toBeUndefined(); // both readers have their own copy now
    } finally {
      ed.close();
    }
    const x = new ort.Tensor('float32', Float32Array.from({ length: 4 * 64 }, normal(2)), [1, 4, 8, 8]);
    const y = await runOrt(out, { x });
    expect(y.length).toBe(3);
  });

  it('least-squares re-fit: closer to the parent than plain removal on held-out inputs', async () => {
    const src = torchFixture('resnet_tiny_op13.onnx');
    const plainFile = path.join(tmp.dir, 'plain.onnx');
    const fitFile = path.join(tmp.dir, 'refit.onnx');
    const calibration = () => floatDataset('input', [3, 32, 32], 16, 21);
    await prune(src, plainFile, { sparsity: () => 0.5 });
    const { r } = await prune(src, fitFile, { sparsity: () => 0.5, refit: true, calibration, batchSize: 8 });
    expect(r.refit.length).toBeGreaterThan(0);
    for (const f of r.refit) expect(f.refit).toBeLessThanOrEqual(f.plain);
    // Held-out: other images, other size.
    const x = image(8, 40, 40, 99);
    const p = await runOrt(src, { input: x });
    const cPlain = cosine(p, await runOrt(plainFile, { input: x }));
    const cFit = cosine(p, await runOrt(fitFile, { input: x }));
    expect(cFit).toBeGreaterThan(cPlain);
  });
});
