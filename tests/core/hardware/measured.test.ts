// Measured runs produce sane numbers (not timed assertions: the machine may be busy). Quick
// efforts only; the real figures come from `hw detect` / `hw validate` (resources/hardware/VALIDATION.md).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildFixture, openwakewordModels } from '../../fixtures';
import { calibrateOrt } from '../../../main/core/hardware/calibrate-ort';
import { buildProfileDocument } from '../../../main/core/hardware/detect';
import { validateProfile, targetOf } from '../../../main/core/hardware/profile';
import { readModelView } from '../../../main/core/hardware/onnx-view';
import { costGraph } from '../../../main/core/hardware/costs';
import { estimateModel } from '../../../main/core/hardware/latency';
import { optimizedOps } from '../../../main/core/hardware/ort-time';
import { validateModel } from '../../../main/core/hardware/validate';
import { resolveTarget } from '../../../main/core/hardware/profile';

const TRANSFORMER_D = 32;

describe('measured runs', () => {
  it('calibrates ONNX Runtime into a valid this-machine profile with sane figures', async () => {
    const cal = await calibrateOrt({ effort: 0.05, quick: true });
    expect(cal.perCall).toBeGreaterThan(1e-7);
    expect(cal.perCall).toBeLessThan(5e-3);
    expect(cal.perNode).toBeLessThan(1e-3);
    expect(cal.outputBandwidth).toBeGreaterThan(1e6);
    for (const l of cal.ladder) expect(l.bandwidth).toBeGreaterThan(1e8);
    expect(cal.gemmFlops).toBeGreaterThan(1e8);
    // transformer-sized GEMMs: a fixed cost under a millisecond and a positive rate
    expect(cal.perGemmNode).toBeGreaterThanOrEqual(0);
    expect(cal.perGemmNode).toBeLessThan(1e-3);
    expect(cal.smallGemmFlops).toBeGreaterThan(1e8);
    expect(cal.overlap).toBeGreaterThanOrEqual(0);
    expect(cal.overlap).toBeLessThanOrEqual(1);
    expect(cal.perOp.Loop).toBeGreaterThanOrEqual(0);
    expect(cal.perOp.Scan).toBeGreaterThanOrEqual(0);
    expect(cal.perIteration).toBeGreaterThanOrEqual(0);
    expect(cal.perIteration).toBeLessThan(1e-3);
    for (let i = 1; i < cal.ladder.length; i++) expect(cal.ladder[i].bandwidth).toBeLessThanOrEqual(cal.ladder[i - 1].bandwidth);
    const int8 = cal.factors.find((f) => f.key === 'int8')!;
    expect(int8.memory).toBeGreaterThan(0);
    expect(int8.small).toBeGreaterThan(0);
    const doc = buildProfileDocument(cal, undefined, 2, cal.log);
    const p = validateProfile(doc, 'calibration');
    expect(p.name).toBe('this-machine');
    const t = targetOf(p);
    expect(t.runtime.engine).toBe('onnxruntime');
    expect(t.runtime.speedups.find((s) => s.pattern === 'unstructured')!.accelerated).toBe(false);
  }, 60_000);

  it("counts the nodes ONNX Runtime really executes after its fusions (openWakeWord)", async () => {
    const file = openwakewordModels.hello_deepa;
    const view = await readModelView(file);
    const mine = costGraph(view).layers.filter((l) => !l.fusedInto && l.kind !== 'free');
    const ort = await optimizedOps(file);
    expect(mine.length).toBe(ort.length);
    const est = estimateModel(costGraph(view), resolveTarget('x86-avx512-vnni'));
    expect(est.seconds).toBeGreaterThan(1e-6);
    expect(est.seconds).toBeLessThan(1e-3);
  });

  it('reads shapes of every fixture kind (external data, subgraphs, fp16 behind Cast)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-hw-'));
    try {
      for (const name of ['external_data', 'if_subgraph', 'fp16_weights', 'cnn', 'transformer'] as const) {
        const file = buildFixture(name, dir);
        // The transformer's sequence length is open in the model: the estimate refuses to guess it.
        if (name === 'transformer') await expect(readModelView(file)).rejects.toThrow(/'x' dim 1 \(seq\)/);
        const view = await readModelView(file, name === 'transformer' ? { x: [1, 8, TRANSFORMER_D] } : {});
        const cost = costGraph(view);
        expect(cost.layers.length).toBeGreaterThan(0);
        const est = estimateModel(cost, resolveTarget('x86-avx512-vnni'));
        expect(Number.isFinite(est.seconds) && est.seconds > 0).toBe(true);
      }
      const fp16 = costGraph(await readModelView(path.join(dir, 'fp16_weights.onnx')));
      expect(fp16.layers.some((l) => l.weight)).toBe(true);
      // control flow: the body's ops and the iterations (Loop: constant trip count; Scan: scan axis)
      const loops = costGraph(await readModelView(buildFixture('loop_scan', dir)));
      expect(loops.layers.find((l) => l.op === 'Loop')!.subgraph).toEqual({ ops: ['Identity', 'MatMul', 'Tanh'], iterations: 3 });
      expect(loops.layers.find((l) => l.op === 'Scan')!.subgraph).toEqual({ ops: ['Mul', 'Add', 'Identity'], iterations: 3 });
      const branches = costGraph(await readModelView(path.join(dir, 'if_subgraph.onnx')));
      expect(branches.layers.find((l) => l.op === 'If')!.subgraph!.iterations).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates a few options of a real model and reports a share', async () => {
    const r = await validateModel({ model: openwakewordModels.hello_deepa, target: resolveTarget('x86-avx512-vnni'), options: ['2:4', 'int8', 'channels@0.5'], effort: 0.05, maxLayers: 1 });
    expect(r.engine).toBe('onnxruntime');
    expect(r.judgements.length).toBe(3);
    expect(r.measured).toBeGreaterThan(0);
    for (const j of r.judgements.filter((x) => x.measuredSpeedup !== null)) {
      expect(j.measuredSpeedup!).toBeGreaterThan(0.01);
      expect(j.measuredSpeedup!).toBeLessThan(100);
    }
    expect(r.share).toBeGreaterThanOrEqual(0);
    expect(r.share).toBeLessThanOrEqual(1);
    expect(r.latency!.measuredMs).toBeGreaterThan(0);
  }, 60_000);

  it('does not pretend to measure runtimes that are not here', async () => {
    const r = await validateModel({ model: openwakewordModels.hello_deepa, target: resolveTarget('nvidia-ampere'), options: ['2:4'], effort: 0.05 });
    expect(r.measured).toBe(0);
    expect(r.skipped.join(' ')).toMatch(/does not run on this machine/);
  });
});
