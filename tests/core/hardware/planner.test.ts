// The planner: budgets parsed strictly, the DP's plan is the least-loss plan within the budget
// (checked against brute force), the Pareto front is monotone, and the plan is a valid recipe.
import { describe, expect, it } from 'vitest';
import { makePlan, parseBudget, planToRecipe, type Budget } from '../../../main/core/planning/planner';
import { lossOf, nsrOfDb, dbOfNsr, proxyLoss, type SensitivityEntry, type SensitivityResult } from '../../../main/core/planning/sensitivity';
import { estimateModel } from '../../../main/core/hardware/latency';
import { resolveTarget } from '../../../main/core/hardware/profile';
import { validateRecipeData } from '../../../main/core/recipe/recipe';
import { weightedLayers } from '../../../main/core/hardware/costs';
import { mlpCost } from './helpers';

function fakeSensitivity(layers: string[], scale: number[]): SensitivityResult {
  const entries: SensitivityEntry[] = [];
  layers.forEach((layer, i) => {
    for (const level of [0.5, 0.7, 0.9]) entries.push({ layer, node: `fc${i}`, pattern: 'unstructured', level, precision: 'fp32', loss: scale[i] * level ** 3, sqnrDb: 0, how: 'measured' });
    entries.push({ layer, node: `fc${i}`, pattern: '2:4', level: 0.5, precision: 'fp32', loss: scale[i] * 0.2, sqnrDb: 0, how: 'measured' });
    entries.push({ layer, node: `fc${i}`, pattern: 'channels', level: 0.5, precision: 'fp32', loss: scale[i] * 0.5, sqnrDb: 0, how: 'measured' });
    entries.push({ layer, node: `fc${i}`, pattern: 'dense', level: 0, precision: 'int8', loss: scale[i] * 0.01, sqnrDb: 0, how: 'measured' });
    entries.push({ layer, node: `fc${i}`, pattern: 'dense', level: 0, precision: 'int4', loss: scale[i] * 0.05, sqnrDb: 0, how: 'measured' });
  });
  return {
    model: 'm.onnx',
    sha256: '0'.repeat(64),
    key: 'sensitivity:test',
    method: 'measure',
    config: { levels: [0.5, 0.7, 0.9], patterns: ['unstructured', '2:4', 'channels'], precisions: ['int8', 'int4'], samples: 8 },
    layers: layers.map((layer, i) => ({ layer, node: `fc${i}`, op: 'MatMul', params: 1 })),
    entries,
    skipped: [],
    createdAt: new Date().toISOString(),
  };
}

const cost = mlpCost(1, [2048, 2048, 1024, 512]);
const names = weightedLayers(cost).map((l) => l.weight!.name);
const sens = fakeSensitivity(names, [1, 0.3, 3]);

describe('budgets', () => {
  it('parse latency, size and sparsity with units', () => {
    expect(parseBudget('latency=8ms')).toEqual({ kind: 'latency', seconds: 0.008 });
    expect(parseBudget('latency=250us')).toEqual({ kind: 'latency', seconds: 250e-6 });
    expect(parseBudget('latencyMs=2')).toEqual({ kind: 'latency', seconds: 0.002 });
    expect(parseBudget('size=5MB')).toEqual({ kind: 'size', bytes: 5e6 });
    expect(parseBudget('size=2MiB')).toEqual({ kind: 'size', bytes: 2 * 2 ** 20 });
    expect(parseBudget('sparsity=0.6')).toEqual({ kind: 'sparsity', fraction: 0.6 });
    expect(parseBudget('sparsity=60%')).toEqual({ kind: 'sparsity', fraction: 0.6 });
  });

  it('reject nonsense with a hint', () => {
    expect(() => parseBudget('speed=fast')).toThrowError(/not KIND=VALUE/);
    expect(() => parseBudget('latency=8GB')).toThrowError(/latency takes ms/);
    expect(() => parseBudget('sparsity=1.5')).toThrowError(/fraction below 1/);
    expect(() => parseBudget('power=3W')).toThrowError(/unknown budget/);
  });
});

describe('sensitivity arithmetic', () => {
  it('converts SQNR and NSR both ways', () => {
    expect(nsrOfDb(20)).toBeCloseTo(0.01);
    expect(dbOfNsr(0.001)).toBeCloseTo(30);
    expect(nsrOfDb(Infinity)).toBe(0);
  });

  it('interpolates loss over levels from zero and composes pattern with precision', () => {
    const l = names[0];
    expect(lossOf(sens, l, 'unstructured', 0.5, 'fp32')).toBeCloseTo(0.125);
    expect(lossOf(sens, l, 'unstructured', 0.6, 'fp32')).toBeCloseTo((0.125 + 0.343) / 2);
    expect(lossOf(sens, l, 'unstructured', 0.25, 'fp32')).toBeCloseTo(0.0625);
    expect(lossOf(sens, l, 'unstructured', 0.5, 'int8')).toBeCloseTo(0.135);
    expect(lossOf(sens, l, 'dense', 0, 'int4')).toBeCloseTo(0.05);
    expect(lossOf(sens, l, 'block4x4', 0.5, 'fp32')).toBeUndefined();
  });

  it('proxy loss grows with sparsity and with fewer bits', () => {
    const w = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i * 12.9898) * 0.5);
    let prev = -1;
    for (const level of [0.3, 0.5, 0.7, 0.9]) {
      const l = proxyLoss(w, 64, 64, undefined, { pattern: 'unstructured', level, precision: 'fp32' });
      expect(l).toBeGreaterThan(prev);
      prev = l;
    }
    expect(proxyLoss(w, 64, 64, undefined, { pattern: 'dense', level: 0, precision: 'int4' })).toBeGreaterThan(proxyLoss(w, 64, 64, undefined, { pattern: 'dense', level: 0, precision: 'int8' }));
    expect(proxyLoss(w, 64, 64, undefined, { pattern: '2:4', level: 0.5, precision: 'fp32' })).toBeGreaterThan(proxyLoss(w, 64, 64, undefined, { pattern: 'unstructured', level: 0.5, precision: 'fp32' }));
  });
});

describe('planner', () => {
  const target = resolveTarget('x86-avx512-vnni:twinforge-cpu');
  const dense = estimateModel(cost, target).seconds;

  it('meets a latency budget at the least loss (checked against brute force)', () => {
    const budget: Budget = { kind: 'latency', seconds: dense * 0.6 };
    const p = makePlan(cost, target, sens, budget, { bins: 4000 });
    expect(p.feasible).toBe(true);
    expect(p.estimated.latencyMs).toBeLessThanOrEqual(budget.seconds * 1e3 + 1e-9);
    expect(p.estimated.latencyMs).toBeLessThan(p.dense.latencyMs);
    // brute force over the same candidates: enumerate every combination of the plan's option menu
    const menu = [undefined, ...['unstructured@0.5', 'unstructured@0.7', 'unstructured@0.9', '2:4', 'channels@0.5', 'int8', 'int4', 'unstructured@0.9+int8', '2:4+int8']];
    const layers = weightedLayers(cost);
    let best = Infinity;
    const parse = (s: string) => {
      const [pl, prec] = s.split('+');
      const [pat, lvl] = pl.split('@');
      if (pat === 'int8' || pat === 'int4') return { pattern: 'dense', level: 0, precision: pat };
      return { pattern: pat, level: pat === '2:4' ? 0.5 : Number(lvl), precision: prec ?? 'fp32' };
    };
    const rec = (i: number, plan: Map<string, any>, loss: number) => {
      if (i === layers.length) {
        if (estimateModel(cost, target, plan).seconds <= budget.seconds) best = Math.min(best, loss);
        return;
      }
      for (const m of menu) {
        const next = new Map(plan);
        let l = 0;
        if (m) {
          const o = parse(m);
          next.set(layers[i].name, o as never);
          l = lossOf(sens, layers[i].weight!.name, o.pattern, o.level, o.precision === 'fp32' ? 'fp32' : o.precision)!;
        }
        rec(i + 1, next, loss + l);
      }
    };
    rec(0, new Map(), 0);
    expect(Number.isFinite(best)).toBe(true);
    expect(p.estimated.fidelityLoss).toBeLessThanOrEqual(best * 1.05 + 1e-12);
  });

  it('reports a Pareto front: less loss costs more latency', () => {
    const p = makePlan(cost, target, sens, { kind: 'latency', seconds: dense * 0.5 });
    expect(p.pareto.length).toBeGreaterThan(2);
    for (let i = 1; i < p.pareto.length; i++) {
      expect(p.pareto[i].fidelityLoss).toBeGreaterThanOrEqual(p.pareto[i - 1].fidelityLoss);
      expect(p.pareto[i].latencyMs).toBeLessThanOrEqual(p.pareto[i - 1].latencyMs * 1.02);
    }
  });

  it('meets a sparsity budget and prefers the least sensitive layers', () => {
    const p = makePlan(cost, target, sens, { kind: 'sparsity', fraction: 0.5 });
    expect(p.feasible).toBe(true);
    expect(p.estimated.sparsity).toBeGreaterThanOrEqual(0.5 - 1e-9);
    const touched = p.choices.map((c) => c.layer);
    expect(touched).toContain(names[1]); // scale 0.3: cheapest to prune
  });

  it('meets a size budget with quantization and sparsity jointly', () => {
    const p = makePlan(cost, resolveTarget('x86-avx512-vnni'), sens, { kind: 'size', bytes: p0Bytes() * 0.2 });
    expect(p.feasible).toBe(true);
    expect(p.estimated.sizeBytes).toBeLessThanOrEqual(p0Bytes() * 0.2);
    expect(p.choices.some((c) => c.precision === 'int8' || c.precision === 'int4')).toBe(true);
  });

  it('says when a budget cannot be met, and why', () => {
    const p = makePlan(cost, resolveTarget('x86-avx512-vnni'), sens, { kind: 'latency', seconds: 1e-6 });
    expect(p.feasible).toBe(false);
    expect(p.notes.join(' ')).toMatch(/fixed cost|cannot be met/);
  });

  it('writes the plan as a recipe the pipeline accepts', () => {
    const p = makePlan(cost, target, sens, { kind: 'latency', seconds: dense * 0.5 });
    const r = planToRecipe(p, '/models/m.onnx', { exportDir: '/tmp/out' });
    const recipe = validateRecipeData(r);
    expect(recipe.target).toBe(target.id);
    expect(recipe.budget?.latencyMs).toBeCloseTo(dense * 0.5 * 1e3);
    const included = (recipe.stages ?? []).flatMap((s) => s.include ?? []);
    for (const c of p.choices) expect(included).toContain(c.layer);
    // the pipeline takes one quantize stage per recipe: plans never mix int8 and int4
    for (const point of p.pareto) expect((point.stages ?? []).filter((s) => s.type === 'quantize').length).toBeLessThanOrEqual(1);
    expect(new Set(p.choices.filter((c) => c.precision !== 'fp32').map((c) => c.precision)).size).toBeLessThanOrEqual(1);
  });
});

function p0Bytes(): number {
  return weightedLayers(cost).reduce((a, l) => a + l.weight!.params * 4, 0);
}
