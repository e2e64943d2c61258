// The acceptance path from the command line, scaled to CI: demo-zoo models, the demo
// grid (magnitude and SparseGPT at 50/70/90 % and 2:4), `zoo analyze --json`, and a rerun that
// does no new work. (The full 14-model demo zoo plus openwakeword runs the same code.)
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { main } from '../../main/cli/main';
import { closeZoo } from '../../main/core/zoo/db';
import { packageRoot } from '../../main/core/paths';
import { tempDir } from '../core/zoo/helpers';

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

    const first = await run(t.dir, 'run', path.join(DEMO, 'grid.yaml'), '--zoo', 'demo');
    const done = first.lines.at(-1);
    expect(done.failures).toEqual([]);
    expect(first.code).toBe(0);
    expect(done).toMatchObject({ models: 3, cells: 8, tasks: 24, made: 24, failed: 0 });

    const a = (await run(t.dir, 'zoo', 'analyze', 'demo')).lines[0];
    expect(a).toMatchObject({ zoo: 'demo', models: 3, twins: 24, fidelity: 'agreement' });
    expect(a.cells.map((c: any) => `${c.method} ${c.pattern} ${c.level}`)).toEqual([
      'magnitude 2:4 0.5',
      'magnitude unstructured 0.5',
      'magnitude unstructured 0.7',
      'magnitude unstructured 0.9',
      'sparsegpt 2:4 0.5',
      'sparsegpt unstructured 0.5',
      'sparsegpt unstructured 0.7',
      'sparsegpt unstructured 0.9',
    ]);
    for (const c of a.cells) {
      expect(c.twins).toBe(3);
      expect(c.agreement).toMatchObject({ n: 3 });
      expect(c.agreement.q1).toBeLessThanOrEqual(c.agreement.median);
      expect(c.correlation.n).toBe(3);
      expect(c.correlation).toHaveProperty('pearson');
      expect(c.correlation).toHaveProperty('spearman');
    }
    expect(a.layerProfiles).toHaveLength(8);
    expect(a.disparateImpact.twins.length).toBeGreaterThan(0);
    expect(a.pareto.size.cells.length).toBeGreaterThan(0);

    const show = (await run(t.dir, 'zoo', 'show', 'demo')).lines[0];
    expect(show.models.map((m: any) => m.twins)).toEqual([8, 8, 8]);

    const again = await run(t.dir, 'run', path.join(DEMO, 'grid.yaml'), '--zoo', 'demo');
    expect(again.code).toBe(0);
    expect(again.lines.at(-1)).toMatchObject({ tasks: 24, skipped: 24, made: 0, failed: 0 });
    expect(again.lines.some((l) => l.type === 'start')).toBe(false);
  });
});
