// The packaging configuration (electron-builder.yml) is valid for the electron-builder installed,
// names files that exist, unpacks native code, sets the fuses, and has an icon per platform.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ADDON_RELATIVE_PATH } from '../../main/core/native/addon';
import { ELECTRON_BINDING_RELATIVE } from '../../main/core/zoo/sqlite-binding';

const root = path.resolve(import.meta.dirname, '..', '..');
const config = parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'));
const schema = JSON.parse(readFileSync(path.join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));
const posix = (p: string) => p.split(path.sep).join('/');

function pngSize(buf: Buffer): [number, number] {
  expect(buf.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

describe('electron-builder configuration', () => {
  it("validates against the installed electron-builder's schema, which rejects unknown keys", () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...config, notAnOption: 1 })).toBe(false);
  });

  it('builds the installers asked for on each platform', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target).toContain('dmg');
    expect(config.win.target).toContain('nsis');
    expect(config.publish).toBeNull();
    // deb packages need a maintainer (electron-builder stops without one)
    expect(config.linux.maintainer).toBeTruthy();
  });

  // scripts/smoke-prod.mjs packs this configuration for real (electron-builder --dir, stand-in binary)
  it('packs the built app, the resources and the native code, and unpacks the native code from ASAR', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('out/main/index.js');
    for (const p of ['out/main/**', 'out/preload/**', 'out/renderer/**', 'resources/**', 'package.json']) expect(config.files).toContain(p);
    expect(config.files).toContain(posix(ADDON_RELATIVE_PATH));
    expect(config.files).toContain(posix(ELECTRON_BINDING_RELATIVE));
    // every compiled module (the addon, both better-sqlite3 builds) and onnxruntime's shared libraries
    for (const p of ['**/*.node', 'node_modules/onnxruntime-node/bin/**']) expect(config.asarUnpack).toContain(p);
    // each package keeps only its own platform's onnxruntime binaries
    expect(config.files).toContain('!node_modules/onnxruntime-node/bin/napi-v*/!(${platform})/**');
    // every listed source folder that is not a build output exists
    for (const p of config.files as string[]) {
      if (p.startsWith('!') || p.startsWith('out/') || p.startsWith('build/')) continue;
      expect(existsSync(path.join(root, p.replace(/\/\*\*$/, ''))), p).toBe(true);
    }
    expect(config.npmRebuild).toBe(false);
  });

  it('sets the fuses: no run-as-node, encrypted cookies, ASAR only and checked', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('has the icon in every size: PNG set (Linux), ICO (Windows), ICNS (macOS)', () => {
    const pngDir = path.join(root, config.linux.icon);
    for (const n of [16, 32, 48, 64, 128, 256, 512, 1024]) expect(pngSize(readFileSync(path.join(pngDir, `${n}x${n}.png`)))).toEqual([n, n]);
    const ico = readFileSync(path.join(root, config.win.icon));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico.readUInt8(6 + 16 * i) || 256);
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
    for (let i = 0; i < count; i++) {
      const len = ico.readUInt32LE(6 + 16 * i + 8);
      const off = ico.readUInt32LE(6 + 16 * i + 12);
      expect(off + len).toBeLessThanOrEqual(ico.length);
      expect(pngSize(ico.subarray(off, off + len))[0]).toBe(sizes[i]);
    }
    const icns = readFileSync(path.join(root, config.mac.icon));
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types: string[] = [];
    for (let o = 8; o < icns.length; o += icns.readUInt32BE(o + 4)) types.push(icns.subarray(o, o + 4).toString('ascii'));
    expect(types).toEqual(expect.arrayContaining(['icp4', 'ic07', 'ic08', 'ic09', 'ic10']));
  });

  it('npm run dist checks its prerequisites first and says what is missing and how to fix it', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'dist.mjs'), '--preflight'], { encoding: 'utf8', timeout: 60_000 });
    const p = JSON.parse(r.stdout);
    expect(p.checks.map((c: { name: string }) => c.name)).toEqual(['electron', 'sqlite', 'addon']);
    expect(r.status).toBe(p.ok ? 0 : 1);
    for (const c of p.checks) {
      expect(c.detail).toBeTruthy();
      expect(c.fix).toMatch(/npm run|ELECTRON_OVERRIDE_DIST_PATH/);
    }
  });
});
