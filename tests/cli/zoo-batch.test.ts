// The acceptance path from the command line, scaled to CI: demo-zoo models, the demo
// grid (magnitude and SparseGPT at 50/70/90 % and 2:4), `zoo analyze --json`, and a rerun that
// does no new work. (The full 14-model demo zoo plus openwakeword runs the same code.)
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../main/cli/main';
import { closeZoo } from '../../main/core/zoo/db';
import { packageRoot } from '../../main/core/paths';
import { tempDir } from '../core/zoo/helpers';
import { loadAddon } from '../../main/core/native/addon';

// SparseGPT needs the addon's Hessian/solver bindings; a build without them runs the magnitude
// half of the grid instead (same checks), so this test tracks the addon as it grows.
function hasSolvers(): boolean {
  try {
    return typeof (loadAddon() as unknown as Record<string, unknown>).hessianAccumulate === 'function';
  } catch {
    return false;
  }
}
const SOLVERS = hasSolvers();

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});

async function run(dataDir: string, ...argv: string[]): Promise<{ code: number; lines: any[] }> {
  let out = '';
  const code = await main([...argv, '--data-dir', dataDir, '--json'], { out: (s) => (out += s), err: () => {}, isTTY: false, signal: new AbortController().signal });
  const text = out.trim();
  let lines: any[];
  try {
    lines = [JSON.parse(text)];
  } catch {
    lines = text.split('\n').map((l) => JSON.parse(l));
  }
  return { code, lines };
}

const DEMO = path.join(packageRoot, 'resources', 'demo-zoo');

describe('twinforge run --zoo and zoo analyze', () => {
  it('runs the demo grid over a zoo, analyzes the population, and a rerun does nothing new', async () => {
    const t = tempDir('tf-acc-');
    dirs.push(t.cleanup);
    const models = ['mlp-w64-s2', 'cnn-c8-s2', 'mlp-w16-s1'].map((m) => path.join(DEMO, 'models', `${m}.onnx`));
    expect((await run(t.dir, 'zoo', 'import', 'demo', ...models, '--create')).code).toBe(0);

    let recipe = path.join(DEMO, 'grid.yaml');
    if (!SOLVERS) {
      recipe = path.join(t.dir, 'grid-magnitude.yaml');
      writeFileSync(recipe, readFileSync(path.join(DEMO, 'grid.yaml'), 'utf8').replace('[magnitude, sparsegpt]', '[magnitude]'));
    }
    const methods = SOLVERS ? ['magnitude', 'sparsegpt'] : ['magnitude'];
    const cells = methods.flatMap((m) => [`${m} 2:4 0.5`, `${m} unstructured 0.5`, `${m} unstructured 0.7`, `${m} unstructured 0.9`]);
    const tasks = 3 * cells.length;
    const first = await run(t.dir, 'run', recipe, '--zoo', 'demo');
    const done = first.lines.at(-1);
    expect(done.failures).toEqual([]);
    expect(first.code).toBe(0);
    expect(done).toMatchObject({ models: 3, cells: cells.length, tasks, made: tasks, failed: 0 });

    const a = (await run(t.dir, 'zoo', 'analyze', 'demo')).lines[0];
    expect(a).toMatchObject({ zoo: 'demo', models: 3, twins: tasks, fidelity: 'agreement' });
    expect(a.cells.map((c: any) => `${c.method} ${c.pattern} ${c.level}`)).toEqual(cells);
    for (const c of a.cells) {
      expect(c.twins).toBe(3);
      expect(c.agreement).toMatchObject({ n: 3 });
      expect(c.agreement.q1).toBeLessThanOrEqual(c.agreement.median);
      expect(c.correlation.n).toBe(3);
      expect(c.correlation).toHaveProperty('pearson');
      expect(c.correlation).toHaveProperty('spearman');
    }
    expect(a.layerProfiles).toHaveLength(cells.length);
    expect(a.disparateImpact.twins.length).toBeGreaterThan(0);
    expect(a.pareto.size.cells.length).toBeGreaterThan(0);

    const show = (await run(t.dir, 'zoo', 'show', 'demo')).lines[0];
    expect(show.models.map((m: any) => m.twins)).toEqual([cells.length, cells.length, cells.length]);

    const again = await run(t.dir, 'run', recipe, '--zoo', 'demo');
    expect(again.code).toBe(0);
    expect(again.lines.at(-1)).toMatchObject({ tasks, skipped: tasks, made: 0, failed: 0 });
    expect(again.lines.some((l) => l.type === 'start')).toBe(false);
  });
});
