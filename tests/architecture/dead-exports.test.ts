// No dead exports in the engine, the hosts or the contract: an export that nothing uses, not even
// its own file, is deleted. (An export only its own file uses is not checked here.) Modules that
// worker processes load by path (main/core/worker-entries.ts) are entry points: what they export
// is called by name, which no import shows.
import { beforeAll, describe, expect, it } from 'vitest';
import { workerEntries } from '../../main/core/worker-entries';
import { unusedExports, type Unused } from './exports';

const loadedByPath = new Set(workerEntries.map((e) => `main/${e}.ts`));

describe('exports', () => {
  let all: Unused[] = [];
  beforeAll(() => {
    all = unusedExports();
  }, 180_000);

  it('every export of main/core, main/cli, main/web and preload is used somewhere', () => {
    const dead = all.filter((u) => !u.usedInFile && !loadedByPath.has(u.file)).map((u) => `${u.file}: ${u.name} is used nowhere: delete it`);
    expect(dead, dead.join('\n')).toEqual([]);
  });

  it('the finder sees uses through destructured dynamic imports and reports exports it finds unused elsewhere', () => {
    // main/cli/commands/worker.ts uses it only as `const { startClusterWorker } = await import(...)`
    expect(all.find((u) => u.name === 'startClusterWorker')).toBeUndefined();
    expect(all.some((u) => u.usedInFile)).toBe(true);
  });
});
