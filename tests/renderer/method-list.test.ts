// Adding a method touches only main/core/methods (its file and one registry line): the wizard's
// method list comes from the engine's registry through the contract call methods.list, and no
// renderer file keeps a list of method names of its own.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { invoke, type ApiServices } from '../../main/core/api/index';
import { listMethods, methodNames } from '../../main/core/methods/registry';

const renderer = path.resolve(__dirname, '..', '..', 'renderer', 'src');
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|vue)$/.test(n) ? [p] : [];
  });

describe("the wizard's method list", () => {
  it('methods.list answers with every method in the engine registry, in registry order', async () => {
    const services = { dataDir: os.tmpdir(), host: 'cli', jobs: undefined } as unknown as ApiServices;
    const listed = (await invoke(services, 'methods.list', {})) as { name: string; kind: string }[];
    expect(listed.map((m) => m.name)).toEqual(methodNames());
    const prune = (await invoke(services, 'methods.list', { kind: 'prune' })) as { name: string }[];
    expect(prune.map((m) => m.name)).toEqual(methodNames('prune'));
  });

  it('the renderer loads it from methods.list and lists what it returns', () => {
    const store = readFileSync(path.join(renderer, 'stores', 'recipe.ts'), 'utf8');
    expect(store).toMatch(/call\('methods\.list'/);
    const step = readFileSync(path.join(renderer, 'views', 'MethodStep.vue'), 'utf8');
    expect(step).toMatch(/recipe\.pruneMethods\.map\(/);
    expect(step).toMatch(/recipe\.quantMethods\.map\(/);
  });

  it('no renderer file hard-codes a list of method names (or which of them need data)', () => {
    const names = new Set(methodNames());
    const lists: string[] = [];
    for (const file of sources(renderer)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\[([^[\]]*)\]/g)) {
        const named = [...m[1].matchAll(/['"]([a-z0-9_-]+)['"]/g)].map((x) => x[1]).filter((s) => names.has(s));
        if (named.length >= 2) lists.push(`${path.relative(renderer, file)}: [${named.join(', ')}]`);
      }
    }
    expect(lists).toEqual([]);
  });

  it('which methods need calibration data is the registry\'s needs (what DataStep reads)', () => {
    const needing = listMethods().filter((m) => m.needs.calibration).map((m) => m.name);
    expect(needing).toEqual(expect.arrayContaining(['wanda', 'sparsegpt']));
    expect(needing).not.toContain('magnitude');
  });
});
