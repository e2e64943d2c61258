// The two ways to measure this machine: quick must really be quicker than full (by the budgets
// both run on, not by a timed test), every probe group calibrate-ort.ts times must be counted in
// the duration the GUI states, and no progress line may show where the app is installed.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMs, DETECT_PLANS, detectBudget, GEMV_SHAPES, ORT_BUDGET_MS, ortPassMs } from '../../../main/core/hardware/detect-plan';
import { detectThisMachine } from '../../../main/core/hardware/detect';
import { detectModes } from '../../../main/core/api/hardware';

const root = path.resolve(__dirname, '../../..');

describe('detect plans', () => {
  it('quick times strictly less than full, in every figure that sets the duration', () => {
    const full = DETECT_PLANS.full;
    const quick = DETECT_PLANS.quick;
    expect(quick.effort).toBeLessThan(full.effort);
    expect(quick.passes).toBeLessThan(full.passes);
    expect(quick.maxChecks).toBeLessThan(full.maxChecks);
    expect(GEMV_SHAPES.quick.length).toBeLessThan(GEMV_SHAPES.full.length);
    expect(ortPassMs(quick.effort, quick.quick)).toBeLessThan(ortPassMs(full.effort, full.quick));
    expect(checkMs(quick.effort)).toBeLessThan(checkMs(full.effort));
    const f = detectBudget(full, 2);
    const q = detectBudget(quick, 2);
    expect(q.timingSeconds).toBeLessThan(f.timingSeconds);
    expect(q.expectedSeconds).toBeLessThan(f.expectedSeconds);
    // quick is meant to be a fraction of full, not a few percent off it (the issue: 0.3 effort, same passes)
    expect(q.expectedSeconds).toBeLessThan(f.expectedSeconds / 3);
  });

  it('the full pass adds up every budget of the table (each used once, node costs per rep and width, gemv per shape)', () => {
    const b = ORT_BUDGET_MS;
    const sum = Object.values(b).reduce((s, x) => s + x, 0);
    // extra: fixed costs timed twice, node costs 3 reps x 2 widths, one GEMV budget per ladder shape
    const expected = sum + b.fixedCosts + 5 * b.nodeCosts + (GEMV_SHAPES.full.length - 1) * b.gemv;
    expect(ortPassMs(1, false)).toBe(expected);
  });

  it('every probe group calibrate-ort.ts times runs on a budget of the table', () => {
    const src = readFileSync(path.join(root, 'main/core/hardware/calibrate-ort.ts'), 'utf8');
    const calls = [...src.matchAll(/await time\(([\s\S]*?)\n/g)].map((m) => m[1]);
    expect(calls.length).toBeGreaterThan(10);
    for (const c of calls) expect(c, c).toMatch(/B\.[a-zA-Z0-9]+\)/);
    // no literal budget left anywhere a timing runs
    expect(src).not.toMatch(/budgetMs:\s*\d/);
    for (const key of Object.keys(ORT_BUDGET_MS)) expect(src, key).toContain(`B.${key}`);
  });

  it('hw.detectModes states the durations from the same plans', () => {
    const modes = detectModes();
    const full = modes.find((m) => m.mode === 'full')!;
    const quick = modes.find((m) => m.mode === 'quick')!;
    expect(full.passes).toBe(DETECT_PLANS.full.passes);
    expect(quick.passes).toBe(DETECT_PLANS.quick.passes);
    expect(quick.expectedSeconds).toBeLessThan(full.expectedSeconds);
    expect(quick.expectedSeconds).toBeGreaterThan(quick.timingSeconds);
  });

  it('a quick run reports progress without file-system paths', async () => {
    const details: string[] = [];
    // effort far under quick's own: the point is what the progress lines say, not the figures
    const r = await detectThisMachine({ mode: 'quick', effort: 0.03, native: false, progress: (_d, _t, stage, detail) => details.push(`${stage} ${detail ?? ''}`) });
    expect(r.checks.length).toBe(1);
    expect(details.some((d) => d.includes('hello_deepa.onnx'))).toBe(true);
    for (const d of details) expect(d, d).not.toMatch(/[\\/]/);
    for (const n of (r.profile.measured as { notes: string[] }).notes) expect(n, n).not.toContain(root);
  }, 120_000);
});
