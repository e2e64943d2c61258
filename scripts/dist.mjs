#!/usr/bin/env node
// `npm run dist [-- --dir | --linux | --mac | --win ...]`: the installers (electron-builder.yml).
// First it checks what packaging needs and stops with the reason and the command to run when
// something is missing — above all Electron's binary, which electron-builder would otherwise try
// to download (it cannot be on machines without access to github.com). Then `npm run build` and
// electron-builder with the arguments given. `--preflight` only prints the checks (JSON).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const npmBin = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const electronVersion = readJson(path.join(root, 'node_modules', 'electron', 'package.json')).version;

/** Electron's unpacked binary from `npm ci` (node_modules/electron/dist), when it was downloaded. */
function electronDist() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const dir = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  return existsSync(path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim())) ? path.join(dir, 'dist') : undefined;
}

/** The zip electron-builder would use from @electron/get's cache, when it is there. */
function cachedZip() {
  const cache = process.env.ELECTRON_CACHE ?? (process.platform === 'darwin' ? path.join(os.homedir(), 'Library', 'Caches', 'electron') : process.platform === 'win32' ? path.join(process.env.LOCALAPPDATA ?? os.homedir(), 'electron', 'Cache') : path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'electron'));
  const name = `electron-v${electronVersion}-${process.platform}-${process.arch}.zip`;
  if (!existsSync(cache)) return undefined;
  const direct = path.join(cache, name);
  if (existsSync(direct)) return direct;
  // @electron/get keeps each download in a folder named by a hash of its URL
  for (const d of readdirSync(cache)) if (existsSync(path.join(cache, d, name))) return path.join(cache, d, name);
  return undefined;
}

async function reachable(url) {
  return fetch(url, { method: 'HEAD', redirect: 'manual', signal: AbortSignal.timeout(10_000) }).then((r) => r.status < 500, () => false);
}

export async function preflight() {
  const checks = [];
  const dist = electronDist();
  const zip = dist ? undefined : cachedZip();
  const url = `https://github.com/electron/electron/releases/download/v${electronVersion}/electron-v${electronVersion}-${process.platform}-${process.arch}.zip`;
  const online = dist || zip ? true : await reachable(url);
  checks.push({
    name: 'electron',
    ok: Boolean(dist || zip || online),
    detail: dist ? `Electron ${electronVersion} from ${path.relative(root, dist) || dist}` : zip ? `Electron ${electronVersion} from the download cache (${zip})` : online ? `Electron ${electronVersion} will be downloaded from github.com` : `Electron ${electronVersion}'s binary is not installed, not in the download cache, and ${url} cannot be reached from this machine`,
    fix: "run `npm run dist` on a machine that reaches github.com (or install Electron's binary there first: `node node_modules/electron/install.js`), or point ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron of the same version",
  });
  const sqlite = path.join(root, 'build', 'electron-sqlite', 'binding.json');
  const stamp = existsSync(sqlite) ? readJson(sqlite) : undefined;
  checks.push({
    name: 'sqlite',
    ok: Boolean(stamp && stamp.electron === electronVersion && stamp.platform === process.platform && stamp.arch === process.arch),
    detail: stamp ? `better-sqlite3 built for Electron ${stamp.electron} (${stamp.platform}-${stamp.arch})` : 'no Electron-ABI better-sqlite3 in build/electron-sqlite',
    fix: 'run `npm run desktop:setup` (it needs Electron headers from electronjs.org)',
  });
  const addon = path.join(root, 'build', 'native', 'Release', 'twinforge_native.node');
  checks.push({ name: 'addon', ok: existsSync(addon), detail: existsSync(addon) ? 'native addon built' : 'the native addon is not built', fix: 'run `npm run build:native`' });
  return { electronVersion, electronDist: dist, checks, ok: checks.every((c) => c.ok) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const p = await preflight();
  if (args.includes('--preflight')) {
    console.log(JSON.stringify(p, null, 2));
    process.exit(p.ok ? 0 : 1);
  }
  if (!p.ok) {
    console.error('dist: cannot package the desktop app on this machine:');
    for (const c of p.checks.filter((x) => !x.ok)) console.error(`  - ${c.detail}.\n    Fix: ${c.fix}.`);
    console.error('Nothing was built. The configuration itself is checked by tests/desktop/builder-config.test.ts.');
    process.exit(1);
  }
  const run = (cmd, a) => spawnSync(cmd, a, { cwd: root, stdio: 'inherit' }).status === 0;
  if (!run(npmBin, ['run', 'build'])) process.exit(1);
  const builder = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-builder.cmd' : 'electron-builder');
  const extra = p.electronDist ? [`-c.electronDist=${p.electronDist}`] : [];
  process.exit(run(builder, ['--config', 'electron-builder.yml', ...extra, ...args]) ? 0 : 1);
}
