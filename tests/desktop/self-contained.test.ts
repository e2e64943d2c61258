// The repository documents itself: no file points outside it (a sibling folder, one machine's
// absolute paths), names a document it does not hold, or speaks of one particular machine
// ("the build machine") instead of saying what was measured where (docs/MEASURED-FACTS.md).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const self = path.relative(root, import.meta.filename);
const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
  .split('\0')
  .filter((f) => f && f !== self && f !== 'package-lock.json' && !f.startsWith('node_modules/'))
  .filter((f) => existsSync(path.join(root, f)) && statSync(path.join(root, f)).isFile());
const basenames = new Set(files.map((f) => path.basename(f)));

function text(f: string): string | undefined {
  const buf = readFileSync(path.join(root, f));
  if (buf.length > 5_000_000 || buf.subarray(0, 8000).includes(0)) return undefined; // binary
  return buf.toString('utf8');
}

function scan(re: RegExp): string[] {
  const hits: string[] = [];
  for (const f of files) {
    const t = text(f);
    if (t === undefined) continue;
    t.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(re)) hits.push(`${f}:${i + 1}: ${m[0]}`);
    });
  }
  return hits;
}

describe('the repository is self-contained', () => {
  it(`scans the repository's own files (${files.length})`, () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/MEASURED-FACTS.md');
    expect(files.some((f) => f.startsWith('node_modules/'))).toBe(false);
  });

  it('no path leads outside the repository', () => {
    expect(scan(/\.\.\/shared\b|(?<![\w.\/-])\/(?:work|root)\/[\w.-]+/g)).toEqual([]);
  });

  it('no document is cited that the repository does not hold', () => {
    const named = scan(/\b[A-Z][A-Z0-9_-]*\.md\b/g).filter((h) => !basenames.has(h.split(': ').pop()!));
    expect(named).toEqual([]);
  });

  it('no wording that only one machine or team could follow', () => {
    expect(scan(/\bbuild machines?\b|lent to this project|the H200 lent/gi)).toEqual([]);
  });

  it('the documents the code cites are there', () => {
    for (const d of ['docs/ARCHITECTURE.md', 'docs/MEASURED-FACTS.md', 'docs/DESKTOP.md']) expect(existsSync(path.join(root, d)), d).toBe(true);
  });
});
