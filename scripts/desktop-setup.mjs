#!/usr/bin/env node
// `npm run desktop:setup`: builds better-sqlite3 for Electron's ABI into build/electron-sqlite/,
// next to (not over) the Node-ABI build in node_modules that the CLI, the web host and the tests
// load. The desktop host loads this copy through better-sqlite3's `nativeBinding` option
// (main/core/zoo/sqlite-binding.ts), and `npm run dist` packs it into the app.
//
// It needs a C++ toolchain and Electron's headers, which @electron/rebuild downloads from
// electronjs.org (or ELECTRON_HEADERS_URL / npm_config_disturl when set to a mirror). Where that
// cannot be reached it stops and says so; nothing else changes.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.join(root, 'build', 'electron-sqlite');
const work = path.join(outDir, 'work');
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

function fail(message, fix) {
  console.error(`desktop:setup: ${message}\nFix: ${fix}`);
  process.exit(1);
}

const electronPkg = path.join(root, 'node_modules', 'electron', 'package.json');
const sqlitePkg = path.join(root, 'node_modules', 'better-sqlite3', 'package.json');
if (!existsSync(electronPkg) || !existsSync(sqlitePkg)) fail('electron or better-sqlite3 is not installed.', 'run `npm ci` first.');
const electronVersion = process.env.TWINFORGE_ELECTRON_VERSION ?? readJson(electronPkg).version;
const sqliteVersion = readJson(sqlitePkg).version;
const stampFile = path.join(outDir, 'binding.json');
const target = path.join(outDir, 'better_sqlite3.node');

if (existsSync(stampFile) && existsSync(target) && !process.argv.includes('--force')) {
  const s = readJson(stampFile);
  if (s.electron === electronVersion && s.betterSqlite3 === sqliteVersion && s.platform === process.platform && s.arch === process.arch) {
    console.log(`desktop:setup: ${path.relative(root, target)} is already built for Electron ${electronVersion} (--force rebuilds it).`);
    process.exit(0);
  }
}

let rebuild;
try {
  ({ rebuild } = await import('@electron/rebuild'));
} catch {
  fail('@electron/rebuild is not installed (a development dependency).', 'run `npm ci` (with development dependencies).');
}

// node-gyp keeps Electron's headers in ~/.electron-gyp/<version>; without them it must download
// them: say plainly when that cannot work instead of passing on node-gyp's long trace.
const headerURL = process.env.ELECTRON_HEADERS_URL ?? 'https://www.electronjs.org/headers';
const cached = path.join(os.homedir(), '.electron-gyp', electronVersion, 'include', 'node', 'node.h');
if (!existsSync(cached)) {
  const url = `${headerURL}/v${electronVersion}/node-v${electronVersion}-headers.tar.gz`;
  const reachable = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(15_000) }).then((r) => r.ok, () => false);
  if (!reachable) {
    fail(
      `Electron ${electronVersion}'s headers are not cached and ${url} cannot be reached from this machine.`,
      'run `npm run desktop:setup` on a machine that reaches electronjs.org (or set ELECTRON_HEADERS_URL to a mirror). The CLI and browser mode (`npm start` without Electron) need none of this.',
    );
  }
}

// A scratch project holding only a copy of better-sqlite3: the rebuild never touches node_modules.
rmSync(work, { recursive: true, force: true });
mkdirSync(path.join(work, 'node_modules'), { recursive: true });
cpSync(path.join(root, 'node_modules', 'better-sqlite3'), path.join(work, 'node_modules', 'better-sqlite3'), {
  recursive: true,
  filter: (src) => !src.includes(`${path.sep}build${path.sep}`) && !src.endsWith(`${path.sep}build`),
});
writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'twinforge-electron-sqlite', private: true, dependencies: { 'better-sqlite3': sqliteVersion } }));

console.log(`desktop:setup: building better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${process.platform}-${process.arch})...`);
try {
  await rebuild({
    buildPath: work,
    electronVersion,
    onlyModules: ['better-sqlite3'],
    force: true,
    buildFromSource: true,
    headerURL,
  });
} catch (e) {
  const msg = String(e?.message ?? e);
  const offline = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo|network|download|headers|\b40\d\b/i.test(msg);
  fail(
    `the Electron-ABI build of better-sqlite3 failed: ${msg.split('\n').slice(0, 3).join(' ')}`,
    offline
      ? "Electron's headers could not be downloaded from electronjs.org. Run `npm run desktop:setup` on a machine that reaches it (or set ELECTRON_HEADERS_URL to a mirror); the CLI and browser mode need none of this."
      : 'install a C++ toolchain and Python for node-gyp (build-essential, python3), then rerun `npm run desktop:setup`.',
  );
}

const built = path.join(work, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (!existsSync(built)) fail(`the rebuild ended without ${path.relative(root, built)}.`, 'rerun with --force and read the compiler output above.');
copyFileSync(built, target);
writeFileSync(stampFile, JSON.stringify({ electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch, builtAt: new Date().toISOString() }, null, 2) + '\n');
rmSync(work, { recursive: true, force: true });
console.log(`desktop:setup: wrote ${path.relative(root, target)}; the desktop app loads it (npm start, npm run dist).`);
