// `plan --verify`: the twin of a latency plan is timed as the target runs it (ONNX Runtime alone,
// or ONNX Runtime with Twinforge's kernels for the sparse layers), the budget is judged on that
// figure, and a miss is re-planned against the measured error. Real sessions and real native
// kernels at a small effort; no assertion on how fast anything is, only on what was measured.
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hwEstimate, hwPlan } from '../../../main/core/api/hardware';
import { addonAvailable } from '../../../main/core/native';
import { mlpProbe } from '../../../main/core/hardware/synth';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-plan-verify-'));
const model = path.join(dir, 'mlp.onnx');
writeFileSync(model, mlpProbe(1, [256, 1024, 256]));
const ctx = { dataDir: path.join(dir, 'data') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('plan --verify', () => {
  it.skipIf(!addonAvailable())("times a Twinforge target's sparse layers with Twinforge's kernels inside the ONNX Runtime graph", async () => {
    const target = 'x86-avx512-vnni:twinforge-cpu';
    const dense = (await hwEstimate({ model, target }, ctx)).latencyMs;
    const r = await hwPlan(
      { model, target, budget: `latency=${(dense * 0.6).toFixed(5)}ms`, out: path.join(dir, 'tf.plan.yaml'), patterns: ['block4x4', 'unstructured'], precisions: ['fp32'], verify: true, effort: 0.1, sensitivity: { method: 'proxy', patterns: ['block4x4', 'unstructured'], precisions: [] } },
      ctx,
    );
    const v = r.verification!;
    expect(existsSync(v.twin)).toBe(true);
    expect(v.latency!.engine).toBe('onnxruntime+twinforge');
    expect(v.latency!.sparseLayers.length).toBeGreaterThan(0);
    for (const l of v.latency!.sparseLayers) {
      expect(l.nativeMs, l.why).toBeGreaterThan(0);
      expect(l.ortMs).toBeGreaterThanOrEqual(0);
      expect(l.sparsity).toBeGreaterThan(0.2);
    }
    // the verdict is the measured figure against the budget, with the reason spelled out
    const budgetMs = dense * 0.6;
    expect(v.met).toBe(v.measuredMs! <= Number(budgetMs.toFixed(5)));
    expect(v.why.join(' ')).toMatch(v.met ? /within the/ : /over the/);
    // re-planning only ever aims lower, and the recipe on disk is the last attempt's
    const aims = (v.attempts ?? []).map((a) => a.aimMs);
    for (let i = 1; i < aims.length; i++) expect(aims[i]).toBeLessThan(aims[i - 1]);
    if (v.attempts) expect(v.attempts[v.attempts.length - 1].twin).toBe(v.twin);
  }, 120_000);

  it("times an ONNX Runtime target's twin in ONNX Runtime alone, with the profile's thread count", async () => {
    const target = 'x86-avx512-vnni';
    const dense = (await hwEstimate({ model, target }, ctx)).latencyMs;
    const r = await hwPlan({ model, target, budget: `latency=${(dense * 0.8).toFixed(5)}ms`, out: path.join(dir, 'ort.plan.yaml'), precisions: ['int8'], verify: true, effort: 0.1, sensitivity: { method: 'proxy', patterns: ['channels'], precisions: ['int8'] } }, ctx);
    expect(r.plan.choices.length).toBeGreaterThan(0);
    const v = r.verification!;
    expect(existsSync(v.twin)).toBe(true);
    expect(v.latency!.engine).toBe('onnxruntime');
    expect(v.latency!.threads).toBe(2);
    expect(v.latency!.sparseLayers).toEqual([]);
    expect(v.parentMs).toBeGreaterThan(0);
    expect(v.measuredMs).toBe(v.latency!.twinMs);
  }, 120_000);

  it('writes no recipe when the model already meets the budget, and --verify times the model itself', async () => {
    const r = await hwPlan({ model, target: 'x86-avx512-vnni', budget: 'latency=50ms', out: path.join(dir, 'none.plan.yaml'), verify: true, effort: 0.1, sensitivity: { method: 'proxy', patterns: ['channels'], precisions: ['int8'] } }, ctx);
    expect(r.recipe).toBeUndefined();
    expect(existsSync(path.join(dir, 'none.plan.yaml'))).toBe(false);
    expect(r.plan.notes.join(' ')).toMatch(/nothing to compress/);
    expect(r.verification!.met).toBe(true); // 50 ms is far above what a 0.5 MB MLP costs anywhere
    expect(r.verification!.twin).toBe(model);
  }, 60_000);
});
