// Every module a worker loads by path must be built as its own entry for the app (out/main), or a
// built install fails the first time that worker starts. This keeps worker-entries.ts complete.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobKinds } from '../../main/core/jobs/kinds';
import { engineModule, runningBuilt, workerExecArgv } from '../../main/core/jobs/worker-launch';
import { devLoaderUrl } from '../../main/core/jobs/dev-loader';
import { workerEntries } from '../../main/core/worker-entries';

const root = path.resolve(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('worker entries', () => {
  it('each listed entry is a source file', () => {
    for (const rel of workerEntries) expect(existsSync(path.join(root, 'main', `${rel}.ts`)), rel).toBe(true);
    expect(new Set(workerEntries).size).toBe(workerEntries.length);
  });

  it('every module the code starts a worker on or loads by path is listed', () => {
    const used = new Set<string>();
    for (const f of sources(path.join(root, 'main'))) {
      for (const m of readFileSync(f, 'utf8').matchAll(/engineModule\(\s*'([^']+)'\s*\)/g)) used.add(m[1]);
    }
    for (const rel of Object.values(jobKinds)) used.add(path.posix.join('core/jobs', rel.replace(/\.ts$/, '')));
    expect(used.size).toBeGreaterThanOrEqual(5);
    expect([...used].filter((u) => !workerEntries.includes(u))).toEqual([]);
  });

  it('from the sources, workers are the .ts files started with the development loader; built JS needs none', () => {
    expect(runningBuilt).toBe(false);
    expect(engineModule('core/jobs/worker-entry')).toBe(path.join(root, 'main', 'core', 'jobs', 'worker-entry.ts'));
    expect(workerExecArgv(engineModule('core/jobs/worker-entry'))).toEqual(['--import', devLoaderUrl()]);
    expect(workerExecArgv(path.join(root, 'out', 'main', 'core', 'jobs', 'worker-entry.js'))).toEqual([]);
  });

  it('the desktop build makes each entry under out/main with the same path', () => {
    const config = readFileSync(path.join(root, 'electron.vite.config.ts'), 'utf8');
    expect(config).toMatch(/workerEntries\.map\(\(rel\) => \[rel, resolve\(here, 'main', `\$\{rel\}\.ts`\)\]\)/);
    expect(config).toMatch(/cli: resolve\(here, 'main\/cli\/main\.ts'\)/);
  });
});
