// The API contract (preload/contract.ts and its parts under preload/contract/) is the one definition of every type that crosses it:
// the engine imports those types instead of declaring look-alikes, and api/ does not force
// shapes with double casts. KNOWN_* lists are what is left to do; they may only shrink.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreRoot, repoRoot, tsFiles } from './imports';

const KNOWN_DUPLICATE_NAMES: Record<string, string> = {
};
const KNOWN_DOUBLE_CASTS: Record<string, number> = {
  'main/core/api/index.ts': 3,
};

const declared = (text: string): string[] => [...text.matchAll(/^\s*(?:export\s+)?(?:interface|type)\s+([A-Za-z0-9_]+)\b/gm)].map((m) => m[1]);

describe('one contract', () => {
  const contractFiles = [path.join(repoRoot, 'preload', 'contract.ts'), ...tsFiles(path.join(repoRoot, 'preload', 'contract'))];
  const contractNames = new Set(contractFiles.flatMap((f) => declared(readFileSync(f, 'utf8'))));

  it('the contract declares each type once, across its parts', () => {
    const all = contractFiles.flatMap((f) => declared(readFileSync(f, 'utf8')));
    expect(contractNames.size).toBeGreaterThan(50);
    expect(all.filter((n, i) => all.indexOf(n) !== i)).toEqual([]);
  });

  it('no type name is declared both in preload/contract.ts and in main/core', () => {
    const dup = new Map<string, string[]>();
    for (const file of tsFiles(coreRoot)) {
      for (const name of declared(readFileSync(file, 'utf8'))) {
        if (contractNames.has(name)) dup.set(name, [...(dup.get(name) ?? []), path.relative(repoRoot, file)]);
      }
    }
    const unexpected = [...dup].filter(([n]) => !(n in KNOWN_DUPLICATE_NAMES)).map(([n, f]) => `${n}: ${f.join(', ')}`);
    expect(unexpected).toEqual([]);
    expect(Object.keys(KNOWN_DUPLICATE_NAMES).filter((n) => !dup.has(n)), 'fixed: delete from KNOWN_DUPLICATE_NAMES').toEqual([]);
  });

  it('api/ adapts without `as unknown as`', () => {
    const counts: Record<string, number> = {};
    for (const file of tsFiles(path.join(coreRoot, 'api'))) {
      const n = (readFileSync(file, 'utf8').match(/as unknown as/g) ?? []).length;
      if (n) counts[path.relative(repoRoot, file)] = n;
    }
    for (const [file, n] of Object.entries(counts)) expect(n, `${file}: ${n} double casts`).toBeLessThanOrEqual(KNOWN_DOUBLE_CASTS[file] ?? 0);
  });

  it('the error codes are the contract\'s list', async () => {
    const { ERROR_CODES } = await import('../../preload/contract');
    const { ErrorCodes } = await import('../../main/core/errors');
    expect(ErrorCodes).toBe(ERROR_CODES);
  });
});
