import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ModelStore } from '../../../main/core/zoo/store';
import { tempDir } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  while (dirs.length) dirs.pop()!();
});
function dir(): string {
  const t = tempDir('tf-store-');
  dirs.push(t.cleanup);
  return t.dir;
}

describe('content-addressed store', () => {
  it('stores a file under store/ab/<sha256> and deduplicates identical content', () => {
    const d = dir();
    const src = path.join(d, 'a.bin');
    writeFileSync(src, 'hello model');
    const sha = createHash('sha256').update('hello model').digest('hex');
    const store = new ModelStore(path.join(d, 'data'));
    const first = store.importFile(src);
    expect(first).toMatchObject({ sha256: sha, bytes: 11, added: true });
    expect(first.path).toBe(path.join(d, 'data', 'store', sha.slice(0, 2), sha));
    expect(readFileSync(first.path, 'utf8')).toBe('hello model');
    const copy = path.join(d, 'b.bin');
    writeFileSync(copy, 'hello model');
    expect(store.importFile(copy)).toMatchObject({ sha256: sha, added: false });
    expect(store.list()).toEqual([sha]);
    // no temp files left behind
    expect(readdirSync(store.tmpDir)).toEqual([]);
    expect(existsSync(src)).toBe(true);
  });

  it('adopts a finished temp file by rename', () => {
    const store = new ModelStore(dir());
    const tmp = store.tempPath('.onnx');
    writeFileSync(tmp, 'twin bytes');
    const r = store.adoptTemp(tmp);
    expect(r.added).toBe(true);
    expect(existsSync(tmp)).toBe(false);
    expect(store.has(r.sha256)).toBe(true);
  });

  it('garbage-collects unreferenced files and stale temps, sparing young ones', () => {
    const d = dir();
    const store = new ModelStore(d);
    const keep = path.join(d, 'k');
    const drop = path.join(d, 'd');
    writeFileSync(keep, 'keep');
    writeFileSync(drop, 'drop');
    const k = store.importFile(keep).sha256;
    const x = store.importFile(drop).sha256;
    const stale = store.tempPath();
    writeFileSync(stale, 'half written');
    // young: nothing goes
    expect(store.gc((s) => s === k).removed).toEqual([]);
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(store.pathOf(x), old, old);
    utimesSync(stale, old, old);
    const r = store.gc((s) => s === k);
    expect(r.removed).toEqual([x]);
    expect(r.temps).toBe(1);
    expect(store.list()).toEqual([k]);
  });

  it('refuses a path that is not a sha256', () => {
    expect(() => new ModelStore(dir()).pathOf('../../etc/passwd')).toThrow(/Not a sha256/);
  });
});
