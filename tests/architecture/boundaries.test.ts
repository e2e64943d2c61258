// The layer boundaries the lint step also enforces (eslint.config.mjs), checked here over every
// file including the renderer's .vue single-file components, which the lint step does not parse.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreRoot, importSpecifiers, repoRoot, tsFiles } from './imports';

function filesUnder(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, exts));
    else if (exts.some((e) => name.endsWith(e))) out.push(p);
  }
  return out;
}

/** `file imports 'spec'` for every import of `files` that `bad` flags. */
function offenders(files: string[], bad: (spec: string, file: string) => boolean): string[] {
  return files.flatMap((f) => importSpecifiers(readFileSync(f, 'utf8')).filter((s) => bad(s, f)).map((s) => `${path.relative(repoRoot, f)} imports '${s}'`));
}

const resolvesUnder = (spec: string, file: string, dir: string) => spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(path.join(repoRoot, dir) + path.sep);

// Known exceptions; the list may only shrink (a listed import that is gone fails the test).
const KNOWN_ENGINE_EXCEPTIONS: Record<string, string> = {
};

describe('layer boundaries', () => {
  it('main/core never imports Electron or a host (cli, web, electron) or the renderer', () => {
    const bad = offenders(tsFiles(coreRoot), (s, f) => s === 'electron' || s.startsWith('electron/') || ['renderer', 'main/cli', 'main/web', 'main/electron'].some((d) => resolvesUnder(s, f, d)));
    expect(bad.filter((b) => !(b in KNOWN_ENGINE_EXCEPTIONS))).toEqual([]);
    expect(Object.keys(KNOWN_ENGINE_EXCEPTIONS).filter((k) => !bad.includes(k)), 'fixed: delete from KNOWN_ENGINE_EXCEPTIONS').toEqual([]);
  });

  it('the renderer never imports main/ (it sees the engine only through the contract)', () => {
    const files = filesUnder(path.join(repoRoot, 'renderer', 'src'), ['.ts', '.vue']);
    expect(files.length).toBeGreaterThan(10);
    const bad = offenders(files, (s, f) => s === 'electron' || s.startsWith('node:') || resolvesUnder(s, f, 'main'));
    expect(bad).toEqual([]);
  });

  it('the contract (preload/contract.ts and its parts in preload/contract/) imports nothing but zod and its own parts', () => {
    const files = [path.join(repoRoot, 'preload', 'contract.ts'), ...tsFiles(path.join(repoRoot, 'preload', 'contract'))];
    expect(files.length).toBeGreaterThan(5);
    const bad = files.flatMap((f) => importSpecifiers(readFileSync(f, 'utf8')).filter((s) => s !== 'zod' && !/^\.\/(contract\/)?[a-z-]+$/.test(s)).map((s) => `${path.relative(repoRoot, f)} imports '${s}'`));
    expect(bad).toEqual([]);
  });

  it('the import reader sees static, type-only, re-export and dynamic imports', () => {
    const src = `import a from './a';\nimport type { B } from "./b";\nexport { c } from './c';\nconst d = await import('./d');\n// import x from './commented';\nimport './e';`;
    expect(importSpecifiers(src)).toEqual(['./a', './b', './c', './d', './e']);
  });
});
