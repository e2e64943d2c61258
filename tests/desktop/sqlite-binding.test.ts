// Which better-sqlite3 binary a process loads, and the error when it cannot (Electron's ABI).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZooDb } from '../../main/core/zoo/db';
import { ELECTRON_BINDING_RELATIVE, bindingError, sqliteBinding } from '../../main/core/zoo/sqlite-binding';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tf-sqlite-binding-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const node = { ...process.versions, electron: undefined } as unknown as NodeJS.ProcessVersions;
const electron = { ...process.versions, electron: '45.5.0' } as NodeJS.ProcessVersions;

describe('sqlite binding', () => {
  it('Node uses better-sqlite3 as installed; the variable overrides', () => {
    expect(sqliteBinding({}, node, tmp)).toBeUndefined();
    expect(sqliteBinding({ TWINFORGE_SQLITE_BINDING: 'x/b.node' }, node, tmp)).toBe(path.resolve('x/b.node'));
  });

  it('Electron uses the desktop:setup build when it is there, the unpacked copy inside an app.asar', () => {
    const root = path.join(tmp, 'repo');
    expect(sqliteBinding({}, electron, root)).toBeUndefined();
    mkdirSync(path.dirname(path.join(root, ELECTRON_BINDING_RELATIVE)), { recursive: true });
    writeFileSync(path.join(root, ELECTRON_BINDING_RELATIVE), '');
    expect(sqliteBinding({}, electron, root)).toBe(path.join(root, ELECTRON_BINDING_RELATIVE));
    const asar = path.join(tmp, 'Twinforge', 'resources', 'app.asar');
    const unpacked = path.join(tmp, 'Twinforge', 'resources', 'app.asar.unpacked', ELECTRON_BINDING_RELATIVE);
    mkdirSync(path.dirname(path.join(asar, ELECTRON_BINDING_RELATIVE)), { recursive: true });
    writeFileSync(path.join(asar, ELECTRON_BINDING_RELATIVE), '');
    mkdirSync(path.dirname(unpacked), { recursive: true });
    writeFileSync(unpacked, '');
    expect(sqliteBinding({}, electron, asar)).toBe(unpacked);
  });

  it('a binding that does not load is an UNSUPPORTED error saying what to run', () => {
    const dir = path.join(tmp, 'data');
    let err: unknown;
    try {
      new ZooDb(dir, { nativeBinding: path.join(tmp, 'missing', 'better_sqlite3.node') });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'UNSUPPORTED' });
    expect((err as Error).message).toMatch(/better-sqlite3/);
    expect((err as { hint: string }).hint).toMatch(/TWINFORGE_SQLITE_BINDING/);
  });

  it("under Electron, a Node-ABI build points at npm run desktop:setup", () => {
    const e = new Error("The module 'better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 140.");
    const err = bindingError(e, undefined, electron, tmp);
    expect(err?.code).toBe('UNSUPPORTED');
    expect(err?.message).toMatch(/Electron 45\.5\.0/);
    expect(err?.hint).toMatch(/npm run desktop:setup/);
    expect(bindingError(new Error('SQLITE_CANTOPEN: unable to open database file'), undefined, electron, tmp)).toBeUndefined();
  });
});
