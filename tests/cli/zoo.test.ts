import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
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
function dir(): string {
  const t = tempDir('tf-cli-');
  dirs.push(t.cleanup);
  return t.dir;
}

async function run(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--data-dir', dataDir], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, signal: new AbortController().signal });
  return { code, out, err };
}
async function json<T = any>(dataDir: string, ...argv: string[]): Promise<T> {
  const r = await run(dataDir, ...argv, '--json');
  expect(r.code, r.out + r.err).toBe(0);
  return JSON.parse(r.out) as T;
}

const DEMO = path.join(packageRoot, 'resources', 'demo-zoo', 'models');
const OWW = path.join(packageRoot, 'node_modules', 'openwakeword-js', 'models');

describe('twinforge zoo', () => {
  it('creates, imports (demo zoo + openwakeword), lists, shows, exports, re-imports and removes', async () => {
    const d = dir();
    expect((await json(d, 'zoo', 'create', 'demo')).name).toBe('demo');
    const imp = await json(d, 'zoo', 'import', 'demo', DEMO, OWW);
    expect(imp.imported.length).toBe(14 + 3);

    const show = await json(d, 'zoo', 'show', 'demo');
    expect(show.name).toBe('demo');
    expect(show.models).toHaveLength(17);
    for (const m of show.models) {
      expect(m).toEqual(expect.objectContaining({ id: expect.any(Number), name: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), parameters: expect.any(Number), twins: 0 }));
      expect(m.parameters).toBeGreaterThan(0);
    }
    const list = await json(d, 'zoo', 'list');
    expect(list).toEqual([expect.objectContaining({ name: 'demo', models: 17, twins: 0 })]);
    const twins = await json(d, 'zoo', 'twins', 'cnn-c8-s1');
    expect(twins).toMatchObject({ model: { name: 'cnn-c8-s1' }, twins: [] });
    const model = await json(d, 'zoo', 'model', 'cnn-c8-s1');
    expect(model.layers.length).toBeGreaterThan(0);

    const human = await run(d, 'zoo', 'show', 'demo');
    expect(human.code).toBe(0);
    expect(human.out).toContain('mlp-w16-s1');

    const archive = path.join(d, 'demo.tar.gz');
    expect(await json(d, 'zoo', 'export', 'demo', archive)).toMatchObject({ models: 17, files: 17 });
    expect(await json(d, 'zoo', 'import-archive', archive, '--as', 'demo2')).toMatchObject({ zoo: 'demo2', models: 17, newFiles: 0, shared: 17 });
    expect(await json(d, 'zoo', 'rm', 'demo')).toMatchObject({ models: 0, files: 0 });
    expect(await json(d, 'zoo', 'rm', 'demo2')).toMatchObject({ models: 17, files: 17 });
    expect(await json(d, 'zoo', 'list')).toEqual([]);

    const fresh = dir();
    expect(await json(fresh, 'zoo', 'import-archive', archive)).toMatchObject({ zoo: 'demo', models: 17, newFiles: 17 });
    const a = await json(fresh, 'zoo', 'analyze', 'demo');
    expect(a).toMatchObject({ zoo: 'demo', models: 17, twins: 0, cells: [] });
  });

  it('reports bad input with exit code 2 and a clear message, changing nothing', async () => {
    const d = dir();
    await json(d, 'zoo', 'create', 'z');
    const text = path.join(d, 'notes.txt');
    writeFileSync(text, 'not a model');
    let r = await run(d, 'zoo', 'import', 'z', text);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/notes\.txt is not a model/);
    r = await run(d, 'zoo', 'import', 'z', path.join(d, 'missing.onnx'), '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ event: 'error', error: { code: 'NOT_FOUND' } });
    await json(d, 'zoo', 'import', 'z', path.join(DEMO, 'mlp-w16-s1.onnx'));
    r = await run(d, 'zoo', 'import', 'z', path.join(DEMO, 'mlp-w16-s1.onnx'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already in zoo 'z'/);
    r = await run(d, 'zoo', 'create', 'z');
    expect(r.code).toBe(2);
    r = await run(d, 'zoo', 'show', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No zoo named 'nope'/);
    r = await run(d, 'zoo', 'frobnicate');
    expect(r.code).toBe(2);
    r = await run(d, 'zoo', 'import', 'fresh', text, '--create');
    expect(r.code).toBe(2);
    expect((await json(d, 'zoo', 'list')).map((z: { name: string }) => z.name)).toEqual(['z']);
    expect((await json(d, 'zoo', 'show', 'z')).models).toHaveLength(1);
  });
});
