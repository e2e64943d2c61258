// plan --verify on a Twinforge target: the twin is timed end to end through the twin runtime
// (exported folder, loadTwin), not synthesized; the synthesized figure is kept, labelled as an
// estimate, with its error. No assertion on speed: only on what was measured and how it is said.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hwPlan } from '../../../main/core/api/hardware';
import { mlpProbe } from '../../../main/core/hardware/synth';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-plan-rt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plan --verify through the twin runtime', () => {
  it('measures the Twinforge-target twin end to end and labels the synthesized figure an estimate', async () => {
    const model = path.join(dir, 'mlp.onnx');
    writeFileSync(model, mlpProbe(1, [256, 1024, 256]));
    const r = await hwPlan(
      { model, target: 'x86-avx512-vnni:twinforge-cpu', budget: 'latency=0.02ms', out: path.join(dir, 'p.yaml'), patterns: ['unstructured'], precisions: ['fp32'], verify: true, effort: 0.1, sensitivity: { method: 'proxy', patterns: ['unstructured'], precisions: [] } },
      { dataDir: path.join(dir, 'data') },
    );
    const l = r.verification!.latency!;
    expect(l.engine).toBe('onnxruntime+twinforge');
    expect(l.measured).toBe(true);
    expect(l.runtime!.sparseLayers).toBeGreaterThan(0);
    expect(l.estimateMs).toBeGreaterThan(0);
    expect(l.estimateError).toBeCloseTo((l.estimateMs! - l.twinMs) / l.twinMs, 6);
    expect(r.verification!.measuredMs).toBe(l.twinMs);
    const why = r.verification!.why.join('\n');
    expect(why).toMatch(/measured through the twin runtime end to end/);
    expect(why).toMatch(/estimate \(synthesized, not run\)/);
  }, 180_000);
});
