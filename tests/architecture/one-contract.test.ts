// The API contract (preload/contract.ts and its parts under preload/contract/) is the one definition of every type that crosses it:
// the engine imports those types instead of declaring look-alikes, and api/ does not force
// shapes with double casts. KNOWN_* lists are what is left to do; they may only shrink.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreRoot, repoRoot, tsFiles } from './imports';

const KNOWN_DUPLICATE_NAMES: Record<string, string> = {
};
const KNOWN_DOUBLE_CASTS: Record<string, number> = {};

/** Interfaces with their top-level property names (one per line, as this codebase writes them). */
function interfaces(text: string): { name: string; props: string }[] {
  const out: { name: string; props: string }[] = [];
  for (const m of text.matchAll(/^(?:export\s+)?interface\s+([A-Za-z0-9_]+)[^{]*\{\n([\s\S]*?)^\}/gm)) {
    const props = [...m[2].matchAll(/^  (?:readonly\s+)?([A-Za-z0-9_]+)\??:/gm)].map((p) => p[1]).sort();
    if (props.length >= 5) out.push({ name: m[1], props: props.join(',') });
  }
  return out;
}

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

  it('no interface in main/core copies a contract type under another name (same properties)', () => {
    const contractShapes = new Map(contractFiles.flatMap((f) => interfaces(readFileSync(f, 'utf8'))).map((i) => [i.props, i.name]));
    const copies: string[] = [];
    for (const file of tsFiles(coreRoot)) {
      for (const i of interfaces(readFileSync(file, 'utf8'))) {
        const twin = contractShapes.get(i.props);
        if (twin) copies.push(`${i.name} (${path.relative(repoRoot, file)}) = contract ${twin}`);
      }
    }
    expect(copies).toEqual([]);
  });

  it('the shape comparison finds a copy it is given (the check can fail)', () => {
    const a = interfaces('export interface A {\n  id: number;\n  name: string;\n  kind?: string;\n  at: number;\n  x: number;\n}\n');
    const b = interfaces('interface B extends C {\n  x: number;\n  at: number;\n  name: string;\n  id: number;\n  kind: string;\n}\n');
    expect(a[0].props).toBe(b[0].props);
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
