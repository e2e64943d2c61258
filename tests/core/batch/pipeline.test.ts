// The batch with the real twin job: the compression pipeline, weight statistics, evaluation
// with per-class and per-subgroup accuracy, registration — on two demo-zoo models.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBatch } from '../../../main/core/batch/index';
import { registerSingleTwin } from '../../../main/core/batch/single';
import { compressModel } from '../../../main/core/pipeline/runner';
import { parseRecipe } from '../../../main/core/recipe/recipe';
import { readFileSync } from 'node:fs';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { createZoo } from '../../../main/core/zoo/repo/zoos';
import { importModels } from '../../../main/core/zoo/importer';
import { analyzeZoo } from '../../../main/core/zoo/analytics';
import { twinsOfZoo } from '../../../main/core/zoo/repo/twins';
import { evaluationsOf } from '../../../main/core/zoo/repo/evaluations';
import { layerStatsOf } from '../../../main/core/zoo/repo/models';
import { ModelStore } from '../../../main/core/zoo/store';
import { packageRoot } from '../../../main/core/paths';
import { tempDir } from '../zoo/helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO = path.join(packageRoot, 'resources', 'demo-zoo', 'models');
const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});

describe('batch with the compression pipeline', () => {
  it('makes, measures and registers real twins; analytics see classes and subgroups', async () => {
    const t = tempDir('tf-pipe-');
    dirs.push(t.cleanup);
    const db = openZoo(t.dir);
    createZoo(db, { name: 'demo' });
    await importModels(db, 'demo', [path.join(DEMO, 'mlp-w64-s2.onnx'), path.join(DEMO, 'cnn-c8-s2.onnx')]);
    const s = await runBatch(path.join(here, 'pipeline-grid.yaml'), { zoo: 'demo', dataDir: t.dir, concurrency: 2 });
    expect(s.failures).toEqual([]);
    expect(s).toMatchObject({ models: 2, cells: 2, made: 4, failed: 0 });

    const zoo = db.stmt<{ id: number }>("SELECT id FROM zoos WHERE name = 'demo'").get()!;
    const twins = twinsOfZoo(db, zoo.id);
    expect(twins).toHaveLength(4);
    const store = new ModelStore(t.dir);
    for (const tw of twins) {
      expect(store.has(tw.sha256)).toBe(true);
      expect(tw.method).toBe('magnitude');
      expect(tw.sparsity).toBeCloseTo(tw.level!, 1);
      expect(tw.recipe).toContain('method: magnitude');
      expect(tw.maskHash).toMatch(/^[0-9a-f]{64}$/);
      expect(layerStatsOf(db, tw.id).length).toBeGreaterThanOrEqual(2);
      const [ev] = evaluationsOf(db, tw.id);
      expect(ev).toMatchObject({ referenceId: tw.parentId, samples: 200, datasetName: 'eval.npz' });
      expect(ev.agreement).toBeGreaterThan(0);
      expect(ev.groups.filter((g) => g.kind === 'class')).toHaveLength(10);
      expect(ev.groups.filter((g) => g.kind === 'subgroup').map((g) => g.key)).toEqual(['0', '1']);
    }
    // parents got their own accuracy on the same data
    expect(evaluationsOf(db, twins[0].parentId).find((e) => e.referenceId === null)?.accuracy).toBeGreaterThan(0.5);

    const a = analyzeZoo(db, 'demo');
    expect(a.cells.map((c) => [c.level, c.twins])).toEqual([
      [0.5, 2],
      [0.9, 2],
    ]);
    expect(a.cells[0].agreement!.mean).toBeGreaterThan(a.cells[1].agreement!.mean);
    expect(a.disparateImpact.twins.some((d) => d.kind === 'subgroup')).toBe(true);
    expect(a.pareto.size.twins.length).toBeGreaterThan(0);

    const again = await runBatch(path.join(here, 'pipeline-grid.yaml'), { zoo: 'demo', dataDir: t.dir, concurrency: 2 });
    expect(again).toMatchObject({ skipped: 4, made: 0 });
  });

  it('registers a single compressed twin so that a batch over the zoo skips its cell', async () => {
    const t = tempDir('tf-single-');
    dirs.push(t.cleanup);
    const grid = path.join(here, 'pipeline-grid.yaml');
    const text = readFileSync(grid, 'utf8').replace(/grid:[\s\S]*?export:/, 'export:');
    const recipe = { ...parseRecipe(text), model: path.join(DEMO, 'mlp-w16-s1.onnx'), export: { dir: path.join(t.dir, 'out'), formats: ['model' as const] } };
    const r = await compressModel(recipe, { baseDir: here });
    const where = await registerSingleTwin({ dataDir: t.dir, zoo: 'solo', parentFile: recipe.model, twinFile: r.twin, recipe, baseDir: here, pipeline: { metrics: r.metrics, sizes: r.sizes, passed: r.passed } });
    expect(where.zoo).toBe('solo');
    const db = openZoo(t.dir);
    expect(twinsOfZoo(db, db.stmt<{ id: number }>("SELECT id FROM zoos WHERE name = 'solo'").get()!.id).map((x) => x.id)).toEqual([where.modelId]);
    const s = await runBatch(grid, { zoo: 'solo', dataDir: t.dir, concurrency: 1 });
    expect(s).toMatchObject({ tasks: 2, skipped: 1, made: 1 });
  });
});
