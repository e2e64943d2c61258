// Calibration is memory bounded: layers are split into passes so the accumulators of one pass
// fit the budget, one batch of activations at a time; the statistics do not depend on the
// split. And a twin made with --zoo is registered in the zoo with its parent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { ModelEditor } from '../../../main/core/model/onnx/editor';
import { findLayers } from '../../../main/core/methods/layers';
import { calibrate, sweepDeadScratch } from '../../../main/core/pipeline/calibration';
import { syntheticDataset } from '../../../main/core/data/dataset';
import { main } from '../../../main/cli/main';
import { fixture, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('calib');
});
afterAll(() => tmp.cleanup());

describe('calibration', () => {
  it('splits layers into passes under a memory budget without changing the statistics', async () => {
    const editor = ModelEditor.open(fixture('transformer', tmp.dir));
    try {
      const layers = findLayers(editor.current());
      const data = syntheticDataset({ field: 'calibration.source', inputs: [{ name: 'x', type: 'float32', shape: ['batch', 'seq', 32] }], inputShapes: { x: [1, 8, 32] }, samples: 6, seed: 4 });
      const plan = { layers: layers.map((layer) => ({ layer, hessian: true, norms: true })), ranges: ['x'], histogram: true };
      const one = await calibrate(editor, data, plan, { batchSize: 1, tmpDir: tmp.dir });
      const many = await calibrate(editor, data, plan, { batchSize: 1, tmpDir: tmp.dir, budgetBytes: 1 });
      // q/k/v read the same input: one accumulator for the three; 4 groups -> 4 passes + histograms.
      expect(one.passes).toBe(2);
      expect(many.passes).toBe(5);
      expect(new Set(layers.map((l) => one.stats.get(l))).size).toBe(4);
      for (const l of layers) {
        const a = one.stats.get(l)!;
        const b = many.stats.get(l)!;
        expect(a.samples).toBe(6 * 8);
        expect(Array.from(b.hessian!)).toEqual(Array.from(a.hessian!));
        expect(Array.from(b.featureNorms!)).toEqual(Array.from(a.featureNorms!));
      }
      const r = one.ranges.get('x')!;
      expect(r.min).toBeLessThan(0);
      expect(r.hist!.reduce((s, v) => s + v, 0)).toBe(6 * 8 * 32);
    } finally {
      editor.close();
    }
  });
});

describe('calibration scratch', () => {
  it('sweeps the scratch models of processes that are gone, nothing else', () => {
    const dir = path.join(tmp.dir, 'shm');
    mkdirSync(dir);
    const dead = 4194999; // above Linux's largest pid_max: no such process
    const names = [`calibration-${dead}-k1.onnx`, `calibration-${dead}-k1.onnx.data`, `calibration-${process.pid}-k2.onnx`, `calibration-${process.pid}-k2.onnx.data`, 'calibration-notes.txt', 'other.onnx'];
    for (const n of names) writeFileSync(path.join(dir, n), 'x');
    expect(sweepDeadScratch(dir)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(names.slice(2).sort());
  });
});

describe('compress --zoo', () => {
  it('registers the twin and its parent in the zoo', async () => {
    const mlp = fixture('mlp_gemm', tmp.dir);
    const dataDir = path.join(tmp.dir, 'data');
    const io = () => {
      let out = '';
      return { io: { out: (s: string) => (out += s), err: () => {}, isTTY: false, signal: new AbortController().signal }, text: () => out };
    };
    const a = io();
    expect(await main(['compress', mlp, '--sparsity', '0.5', '--samples', '8', '--zoo', 'demo', '--out', path.join(tmp.dir, 'z'), '--data-dir', dataDir, '--json'], a.io)).toBe(0);
    const b = io();
    expect(await main(['zoo', 'list', '--data-dir', dataDir, '--json'], b.io)).toBe(0);
    const zoos = JSON.parse(b.text());
    const demo = (Array.isArray(zoos) ? zoos : zoos.zoos).find((z: { name: string }) => z.name === 'demo');
    expect(demo.models).toBeGreaterThanOrEqual(1);
    expect(demo.twins).toBe(1);
  });
});
