import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { exportZoo, importArchive, checkEntryName } from '../../../main/core/zoo/archive';
import { craftTar } from '../../../main/core/bench/fuzz/tar-craft';
import { removeZoo } from '../../../main/core/zoo/maintenance';
import { listZoos } from '../../../main/core/zoo/repo/zoos';
import { twinsOfZoo } from '../../../main/core/zoo/repo/twins';
import { ModelStore } from '../../../main/core/zoo/store';
import { analyzeZoo } from '../../../main/core/zoo/analytics';
import { seedZoo, tempDir } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});
function dir(): string {
  const t = tempDir('tf-arch-');
  dirs.push(t.cleanup);
  return t.dir;
}
const CELLS = [
  { method: 'magnitude', pattern: 'unstructured', level: 0.5 },
  { method: 'sparsegpt', pattern: '2:4', level: 0.5 },
];


function snapshot(db: ReturnType<typeof openZoo>): string {
  return JSON.stringify({
    zoos: db.stmt('SELECT count(*) AS n FROM zoos').get(),
    models: db.stmt('SELECT id, sha256, name FROM models ORDER BY id').all(),
    files: new ModelStore(db.dataDir).list(),
  });
}

describe('zoo archives', () => {
  for (const ext of ['.tar', '.tar.gz']) {
    it(`round-trips a zoo with its twins, stats and evaluations (${ext})`, async () => {
      const src = openZoo(dir());
      seedZoo(src, 'pop', 3, CELLS);
      const before = analyzeZoo(src, 'pop');
      const file = path.join(dir(), `pop${ext}`);
      const r = await exportZoo(src, 'pop', file);
      expect(r).toMatchObject({ zoo: 'pop', models: 3, twins: 6, files: 9 });
      expect(existsSync(file)).toBe(true);

      const dst = openZoo(dir());
      const imp = await importArchive(dst, file);
      expect(imp).toMatchObject({ zoo: 'pop', models: 3, twins: 6, newFiles: 9, shared: 0 });
      const after = analyzeZoo(dst, 'pop');
      expect(after.cells.map((c) => [c.method, c.twins, c.agreement?.mean, c.correlation.pearson])).toEqual(
        before.cells.map((c) => [c.method, c.twins, c.agreement?.mean, c.correlation.pearson]),
      );
      expect(twinsOfZoo(dst, listZoos(dst)[0].id).map((t) => t.recipe)).toEqual(twinsOfZoo(src, listZoos(src)[0].id).map((t) => t.recipe));
      expect(dst.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    });
  }

  it('shares rows and files already present, and refuses an existing zoo name', async () => {
    const db = openZoo(dir());
    seedZoo(db, 'pop', 2, CELLS);
    const file = path.join(dir(), 'pop.tar');
    await exportZoo(db, 'pop', file);
    const before = snapshot(db);
    await expect(importArchive(db, file)).rejects.toThrow(/already exists/);
    expect(snapshot(db)).toBe(before);
    const r = await importArchive(db, file, { as: 'pop-copy' });
    expect(r).toMatchObject({ newFiles: 0, shared: 6 });
    removeZoo(db, 'pop');
    // the copy still holds every file
    expect(new ModelStore(db.dataDir).list()).toHaveLength(6);
  });

  it('refuses entries that escape the data folder and changes nothing', async () => {
    const db = openZoo(dir());
    seedZoo(db, 'pop', 1, CELLS);
    const before = snapshot(db);
    const manifest = Buffer.from(JSON.stringify({ format: 'twinforge-zoo-archive', version: 1, zoo: { name: 'evil' }, members: [], models: [] }));
    for (const name of ['../../evil.sh', '/etc/cron.d/evil', 'store/../../../evil', 'store\\..\\evil', 'C:/evil']) {
      const file = path.join(dir(), 'evil.tar');
      writeFileSync(file, await craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name, data: Buffer.from('#!/bin/sh\n') }]));
      await expect(importArchive(db, file)).rejects.toThrow(/outside the data folder/);
      expect(snapshot(db)).toBe(before);
    }
    expect(existsSync(path.join(db.dataDir, '..', 'evil.sh'))).toBe(false);
    // no temp folders left in the store
    expect(readdirSync(new ModelStore(db.dataDir).tmpDir)).toEqual([]);
  });

  it('refuses unknown entries, content that does not match its hash, missing files and non-archives', async () => {
    const db = openZoo(dir());
    const before = snapshot(db);
    const manifest = Buffer.from(JSON.stringify({ format: 'twinforge-zoo-archive', version: 1, zoo: { name: 'x' }, members: [], models: [] }));
    const file = path.join(dir(), 'a.tar');
    writeFileSync(file, await craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name: 'readme.txt', data: Buffer.from('hi') }]));
    await expect(importArchive(db, file)).rejects.toThrow(/not part of a Twinforge zoo archive/);
    const sha = 'ab' + '0'.repeat(62);
    writeFileSync(file, await craftTar([{ name: 'twinforge-zoo.json', data: manifest }, { name: `store/ab/${sha}`, data: Buffer.from('not that') }]));
    await expect(importArchive(db, file)).rejects.toThrow(/does not match its hash/);
    const withModel = Buffer.from(
      JSON.stringify({
        format: 'twinforge-zoo-archive',
        version: 1,
        zoo: { name: 'x' },
        members: [1],
        models: [{ id: 1, sha256: sha, name: 'm', format: 'onnx', parentId: null, twin: null, layers: [], evaluations: [], benchmarks: [] }],
      }),
    );
    writeFileSync(file, await craftTar([{ name: 'twinforge-zoo.json', data: withModel }]));
    await expect(importArchive(db, file)).rejects.toThrow(/does not contain it/);
    writeFileSync(file, 'just some text, not a tar archive at all'.repeat(20));
    await expect(importArchive(db, file)).rejects.toThrow(/not a readable zoo archive/);
    await expect(importArchive(db, path.join(dir(), 'missing.tar'))).rejects.toThrow(/no such archive/);
    expect(snapshot(db)).toBe(before);
  });

  it('classifies entry names', () => {
    expect(checkEntryName('twinforge-zoo.json')).toEqual({ kind: 'manifest' });
    const sha = 'cd' + '1'.repeat(62);
    expect(checkEntryName(`store/cd/${sha}`)).toEqual({ kind: 'file', sha256: sha });
    expect(() => checkEntryName(`store/ab/${sha}`)).toThrow(/not part of/);
    expect(() => checkEntryName('a/../../b')).toThrow(/outside/);
  });

  it('writes the archive atomically (no partial file on failure)', async () => {
    const db = openZoo(dir());
    seedZoo(db, 'pop', 1, CELLS);
    const store = new ModelStore(db.dataDir);
    // lose a file: export must refuse rather than write a broken archive
    store.remove(store.list()[0]);
    const out = dir();
    await expect(exportZoo(db, 'pop', path.join(out, 'pop.tar'))).rejects.toThrow(/lacks file/);
    expect(readdirSync(out)).toEqual([]);
  });
});
