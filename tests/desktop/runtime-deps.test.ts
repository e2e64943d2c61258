// The installed app has only package.json's "dependencies": every package that main/** imports at
// run time must be one of them (a devDependency would be missing after `npm prune --omit=dev`),
// and the development tools stay out of every install.
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Package names a file imports at run time (type-only imports are erased and do not count). */
export function runtimeImports(source: string): string[] {
  const out = new Set<string>();
  const specs = [
    ...source.matchAll(/^\s*import\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*export\s+(?!type\s)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...source.matchAll(/\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]);
  for (const s of specs) {
    if (s.startsWith('.') || s.startsWith('/') || s.startsWith('node:')) continue;
    const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0];
    if (builtinModules.includes(name)) continue;
    out.add(name);
  }
  return [...out];
}

const sources = [...files(path.join(root, 'main'), /\.ts$/), path.join(root, 'bin', 'twinforge.mjs')];
// Packages the host provides rather than node_modules of the app.
const provided = new Set(['electron']);

describe('runtime dependencies', () => {
  it('reads imports the way the check needs', () => {
    expect(runtimeImports("import a from 'x';\nimport type { B } from 'y';\nimport { c } from '@s/z/deep';\nconst m = await import('w');\nimport fs from 'node:fs';")).toEqual(['x', '@s/z', 'w']);
  });

  it('main/** and the CLI import no devDependency at run time', () => {
    const bad: string[] = [];
    for (const f of sources) {
      const rel = path.relative(root, f);
      for (const name of runtimeImports(readFileSync(f, 'utf8'))) {
        if (provided.has(name) || pkg.dependencies[name]) continue;
        // bin/twinforge.mjs looks for the dev loader only to run sources in a development install
        if (rel === path.join('bin', 'twinforge.mjs') && name === 'tsx') continue;
        bad.push(`${rel} imports ${name} (${pkg.devDependencies[name] ? 'a devDependency' : 'not declared'})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no file under main/ reads a package folder in node_modules at run time', () => {
    const bad = files(path.join(root, 'main'), /\.ts$/)
      .filter((f) => !f.endsWith(path.join('jobs', 'dev-loader.ts')))
      .filter((f) => /['"]node_modules['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(root, f));
    expect(bad).toEqual([]);
  });

  it('the development tools are devDependencies', () => {
    for (const dev of ['tsx', 'electron', 'electron-vite', 'electron-builder', 'vitest', 'typescript', 'openwakeword-js']) {
      expect(pkg.dependencies[dev], dev).toBeUndefined();
      expect(pkg.devDependencies[dev], dev).toBeDefined();
    }
    // declared once, never imported: the ONNX protobuf code is onnx-buf's
    expect(pkg.dependencies.protobufjs).toBeUndefined();
  });
});
