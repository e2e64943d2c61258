import { afterEach, describe, expect, it } from 'vitest';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { analyzeZoo } from '../../../main/core/zoo/analytics';
import { distribution, paretoFront, pearson, ranks, spearman } from '../../../main/core/zoo/stats';
import { DATASET, seedZoo, tempDir } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});

describe('statistics', () => {
  it('describes a distribution with numpy-style quartiles', () => {
    expect(distribution([4, 1, 3, 2])).toEqual({ n: 4, mean: 2.5, std: Math.sqrt(5 / 3), min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4 });
    expect(distribution([])).toBeNull();
  });

  it('computes Pearson and Spearman (ties averaged)', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(ranks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    // monotone but not linear: Spearman 1, Pearson below 1
    const x = [1, 2, 3, 4, 5];
    const y = x.map((v) => v ** 3);
    expect(spearman(x, y)).toBeCloseTo(1);
    expect(pearson(x, y)!).toBeLessThan(0.99);
    // scipy.stats.pearsonr([1,2,3,4,5],[2,1,4,3,5]) = 0.8
    expect(pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8);
  });

  it('keeps only the points no other point beats', () => {
    const pts = [
      { c: 0.5, v: 0.9 },
      { c: 0.3, v: 0.8 },
      { c: 0.4, v: 0.7 },
      { c: 0.1, v: 0.5 },
      { c: 0.6, v: 0.85 },
    ];
    expect(paretoFront(pts, (p) => p.c, (p) => p.v)).toEqual([pts[3], pts[1], pts[0]]);
  });
});

describe('zoo analytics', () => {
  it('summarises agreement, correlation, layer profiles, disparate impact and Pareto fronts per cell', () => {
    const t = tempDir();
    dirs.push(t.cleanup);
    const db = openZoo(t.dir);
    seedZoo(db, 'pop', 5, [
      { method: 'magnitude', pattern: 'unstructured', level: 0.5 },
      { method: 'magnitude', pattern: 'unstructured', level: 0.9 },
      { method: 'sparsegpt', pattern: '2:4', level: 0.5 },
    ]);
    const a = analyzeZoo(db, 'pop');
    expect(a).toMatchObject({ zoo: 'pop', models: 5, twins: 15, dataset: { hash: DATASET, name: 'demo' }, fidelity: 'agreement' });
    expect(a.cells.map((c) => [c.method, c.pattern, c.level])).toEqual([
      ['magnitude', 'unstructured', 0.5],
      ['magnitude', 'unstructured', 0.9],
      ['sparsegpt', '2:4', 0.5],
    ]);
    const m50 = a.cells[0];
    expect(m50.twins).toBe(5);
    expect(m50.agreement!.mean).toBeCloseTo(1 - 0.5 / 3);
    expect(m50.agreement!.q1).toBeCloseTo(1 - 0.5 / 3);
    expect(m50.correlation.n).toBe(5);
    expect(m50.correlation.pearson).toBeCloseTo(1);
    expect(m50.correlation.spearman).toBeCloseTo(1);
    expect(m50.parentAccuracy!.min).toBeCloseTo(0.6);
    expect(m50.accuracyDrop!.mean).toBeGreaterThan(0);
    expect(m50.sizeRatio!.mean).toBeCloseTo(0.5, 1);
    expect(m50.latencyRatio!.mean).toBeCloseTo(0.75);

    const prof = a.layerProfiles[1];
    expect(prof.layers.map((l) => [l.layer, l.sparsity.mean])).toEqual([
      ['fc1.weight', 0.9],
      ['fc2.weight', 0.45],
    ]);

    expect(a.disparateImpact.twins.length).toBe(15);
    const worst = a.disparateImpact.twins[0];
    expect(worst.cell.level).toBe(0.9);
    expect(worst.worstGroup).toBe('0');
    expect(worst.flagged).toBe(true);
    expect(worst.spread).toBeCloseTo(3 * worst.overallDrop);

    // size front: 90% is smallest; 50% (either method) is the most faithful at its size
    expect(a.pareto.size.cells.map((c) => c.level)).toEqual([0.9, 0.5]);
    expect(a.pareto.latency.target).toBe('x86-avx2');
    expect(a.pareto.latency.cells.length).toBeGreaterThan(0);
    expect(a.sharedMasks.map((g) => g.twinIds.length)).toEqual([5, 5, 5]);
    // plain JSON
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('analyses an empty zoo without failing', () => {
    const t = tempDir();
    dirs.push(t.cleanup);
    const db = openZoo(t.dir);
    seedZoo(db, 'empty', 0, []);
    expect(analyzeZoo(db, 'empty')).toMatchObject({ models: 0, twins: 0, dataset: null, cells: [] });
  });
});
