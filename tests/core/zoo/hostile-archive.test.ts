// Findings 5 and 9: malformed archive manifests are BAD_INPUT (exit 2), never a crash further in;
// an oversized manifest is refused by its declared size before it is read; after a SIGKILL, zoo gc
// marks the batch run interrupted and removes the dead process's staging folders at once.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { closeZoo, openZoo, now } from '../../../main/core/zoo/db';
import { importArchive } from '../../../main/core/zoo/archive';
import { craftTar } from '../../../main/core/bench/fuzz/tar-craft';
import { collectGarbage } from '../../../main/core/zoo/maintenance';
import { ModelStore } from '../../../main/core/zoo/store';
import { exitCodeFor } from '../../../main/core/errors';
import { tempDir } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});
function dir(): string {
  const t = tempDir('tf-harch-');
  dirs.push(t.cleanup);
  return t.dir;
}
const sha = 'ab'.padEnd(64, '0');
const base = { format: 'twinforge-zoo-archive', version: 1, app: 't', exportedAt: 'x', zoo: { name: 'z' }, members: [] as number[], models: [] as unknown[] };
const goodModel = { id: 1, sha256: sha, name: 'm', format: 'onnx', sourcePath: null, producer: null, task: null, parameters: 1, bytes: 1, meta: {}, parentId: null, twin: null };

async function importManifest(manifest: unknown): Promise<{ code?: string; exit: number; message?: string }> {
  const db = openZoo(dir());
  const file = path.join(dir(), 'a.tar');
  writeFileSync(file, await craftTar([{ name: 'twinforge-zoo.json', data: Buffer.from(JSON.stringify(manifest)) }]));
  try {
    await importArchive(db, file);
    return { exit: 0 };
  } catch (err) {
    return { code: (err as { code?: string }).code, exit: exitCodeFor(err), message: (err as Error).message };
  }
}

describe('hostile zoo archives', () => {
  it('refuses a manifest without its zoo as BAD_INPUT', async () => {
    const { zoo: _z, ...noZoo } = base;
    const r = await importManifest(noZoo);
    expect(r).toMatchObject({ code: 'BAD_INPUT', exit: 2 });
    expect(r.message).toMatch(/zoo/);
  });

  it('refuses models: [null] as BAD_INPUT naming the field', async () => {
    const r = await importManifest({ ...base, models: [null] });
    expect(r).toMatchObject({ code: 'BAD_INPUT', exit: 2 });
    expect(r.message).toMatch(/models\.0/);
  });

  it('refuses a twin missing its fields as BAD_INPUT', async () => {
    const twin = { ...goodModel, id: 2, parentId: 1, twin: { recipe: 'x' } };
    const r = await importManifest({ ...base, members: [1], models: [goodModel, twin] });
    expect(r).toMatchObject({ code: 'BAD_INPUT', exit: 2 });
    expect(r.message).toMatch(/models\.1\.twin/);
  });

  it('refuses wrong types everywhere (strings for ids, huge arrays of junk) as BAD_INPUT', async () => {
    for (const m of [{ ...base, members: ['1'] }, { ...base, zoo: { name: 7 } }, { ...base, models: [{ ...goodModel, sha256: '../../x' }] }, { ...base, version: 'one' }, 'string', null, [1, 2]]) {
      const r = await importManifest(m);
      expect(r.exit, JSON.stringify(m)).toBe(2);
    }
  });

  it('refuses a .tar.gz whose manifest claims 300 MB, by its header, without reading it', async () => {
    const db = openZoo(dir());
    const file = path.join(dir(), 'big.tar.gz');
    // the header declares 300 MB; 4 KB follow
    writeFileSync(file, gzipSync(await craftTar([{ name: 'twinforge-zoo.json', data: Buffer.alloc(4096, 0x20), size: 300 * 2 ** 20 }])));
    const rss0 = process.memoryUsage().rss;
    await expect(importArchive(db, file)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/too large/) });
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 2 ** 20);
  });
});

describe('hostile tar structure', () => {
  const manifest = Buffer.from(JSON.stringify(base));
  const storeName = `store/ab/${sha}`;
  const cases: [string, () => Promise<Buffer>, RegExp][] = [
    ['a symlink entry', () => craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name: storeName, data: Buffer.from('/etc/passwd'), type: '2' }]), /not a regular file/],
    ['a directory entry', () => craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name: 'store/ab', data: Buffer.alloc(0), type: '5' }]), /not a regular file/],
    ['a long (pax) name that climbs out', () => craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name: `store/${'../'.repeat(40)}evil`, data: Buffer.from('x') }]), /outside the data folder/],
    ['a store file declared 8 GiB with 1 KB following', () => craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name: storeName, data: Buffer.alloc(1024), size: 2 ** 33 }]), /not a readable zoo archive \(it ends in the middle of an entry: truncated\)/],
    ['a truncated archive', async () => (await craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name: storeName, data: Buffer.alloc(4096) }])).subarray(0, 2048), /truncated/],
    ['a damaged header checksum', async () => {
      const b = await craftTar([{ name: 'twinforge-zoo.json', data: manifest }]);
      b[0] ^= 1;
      return b;
    }, /not a readable zoo archive \(not a tar archive, or a damaged entry header\)/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`refuses ${what} as BAD_INPUT and writes nothing`, async () => {
      const db = openZoo(dir());
      const file = path.join(dir(), 'h.tar');
      writeFileSync(file, await bytes());
      await expect(importArchive(db, file)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(message) });
      expect(db.stmt('SELECT count(*) AS n FROM zoos').get()).toEqual({ n: 0 });
      expect(new ModelStore(db.dataDir).list()).toEqual([]);
    });
  }
});

describe('after a SIGKILL', () => {
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    return Number(r.stdout.trim());
  };

  it('zoo gc marks the dead batch run interrupted and removes its staging folders without a grace period', () => {
    const db = openZoo(dir());
    const pid = deadPid();
    db.stmt('INSERT INTO batch_runs (zoo_id, recipe, cells, state, summary, started_at) VALUES (NULL, ?, 1, ?, ?, ?)').run('r', 'running', JSON.stringify({ pid }), now());
    db.stmt('INSERT INTO batch_runs (zoo_id, recipe, cells, state, summary, started_at) VALUES (NULL, ?, 1, ?, ?, ?)').run('r', 'running', JSON.stringify({ pid: process.pid }), now());
    const store = new ModelStore(db.dataDir);
    const stale = path.join(store.tmpDir, `${pid}-abcdef123456-archive`);
    const live = path.join(store.tmpDir, `${process.pid}-abcdef123456-archive`);
    mkdirSync(stale, { recursive: true });
    mkdirSync(live, { recursive: true });
    writeFileSync(path.join(stale, 'part'), 'x');
    const r = collectGarbage(db); // default grace: young entries of live processes are kept
    expect(r.interruptedRuns).toBe(1);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    const rows = db.stmt<{ state: string; summary: string }>('SELECT state, summary FROM batch_runs ORDER BY id').all();
    expect(rows[0].state).toBe('failed');
    expect(JSON.parse(rows[0].summary).interrupted).toBe(true);
    expect(rows[1].state).toBe('running'); // this process is alive: its run is not touched
  });
});
