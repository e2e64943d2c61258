// A sparsity sweep marks the knee and exports the twin at it; a grid recipe makes one twin per
// cell through `twinforge run`; the 'compress' job function runs recipes (grids too) with
// progress and logs, as the worker process runs it for compress.start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/main';
import { run as compressJob } from '../../../main/core/batch/compress-job';
import type { JobProgress } from '../../../main/core/jobs/types';
import { baseRecipe, compress, fixture, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let mlp: string;
beforeAll(() => {
  tmp = tempDir('sweep');
  mlp = fixture('mlp_gemm', tmp.dir);
});
afterAll(() => tmp.cleanup());

describe('sparsity sweep', () => {
  it('evaluates each level, finds the knee and exports the twin at it', async () => {
    const levels = [0.1, 0.3, 0.5, 0.7, 0.9];
    const r = await compress(baseRecipe(mlp, path.join(tmp.dir, 'sweep'), { stages: [{ type: 'prune', method: 'magnitude' }], sweep: { levels, metric: 'cosine' } }));
    expect(r.sweep!.points.map((p) => p.level)).toEqual(levels);
    // Fidelity falls as sparsity grows.
    const values = r.sweep!.points.map((p) => p.value);
    expect(values[0]).toBeGreaterThan(values[values.length - 1]);
    expect(levels).toContain(r.sweep!.knee);
    const rep = JSON.parse(readFileSync(r.report, 'utf8'));
    expect(rep.sweep.knee).toBe(r.sweep!.knee);
    expect(rep.layers.find((l: { prune?: { target: number } }) => l.prune).prune.target).toBe(r.sweep!.knee);
    expect(readFileSync(r.reportMarkdown, 'utf8')).toMatch(/knee \(essential sparsity\)/);
  });
});

describe('grid recipes', () => {
  it('twinforge run makes one twin per cell, each with its own folder and done event', async () => {
    const file = path.join(tmp.dir, 'grid.yaml');
    writeFileSync(
      file,
      `version: 1
model: mlp_gemm.onnx
calibration: { source: synthetic, samples: 8 }
evaluation: { source: synthetic, samples: 8, latency: false }
stages:
  - { type: prune, method: magnitude, sparsity: 0.5 }
grid:
  stages[0].method: [magnitude, random]
  stages[0].sparsity: [0.3, 0.6]
export: { dir: grid-out }
`,
    );
    let out = '';
    const code = await main(['run', file, '--json'], { out: (s) => (out += s), err: () => {}, isTTY: false, signal: new AbortController().signal });
    expect(code).toBe(0);
    const done = out.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'done');
    expect(done.map((d) => d.cell)).toEqual(['method-magnitude_sparsity-0.3', 'method-magnitude_sparsity-0.6', 'method-random_sparsity-0.3', 'method-random_sparsity-0.6']);
    expect(done[1].twin).toBe(path.join(tmp.dir, 'grid-out', 'method-magnitude_sparsity-0.6', 'twin.onnx'));
    expect(done[1].sizes.twinNonzeros).toBeLessThan(done[0].sizes.twinNonzeros);
  });
});

describe("the 'compress' job", () => {
  it('runs a recipe with progress and log lines, and returns the runs', async () => {
    const progress: JobProgress[] = [];
    const logs: string[] = [];
    const result = await compressJob(
      { recipe: baseRecipe(mlp, path.join(tmp.dir, 'job'), { stages: [{ type: 'prune', method: 'magnitude', pattern: '2:4' }], grid: { 'stages[0].pattern': ['2:4', '1:4'] } }) },
      { signal: new AbortController().signal, progress: (p) => progress.push(p), log: (l) => logs.push(l), dataDir: tmp.dir },
    );
    expect(result.runs.map((r) => r.cell)).toEqual(['pattern-2-4', 'pattern-1-4']);
    expect(result.recipeYaml).toMatch(/grid:/);
    expect(progress.some((p) => p.stage === 'prune' && p.detail?.startsWith('pattern-1-4'))).toBe(true);
    expect(logs.some((l) => l.includes('grid cell 2/2'))).toBe(true);
  });
});
