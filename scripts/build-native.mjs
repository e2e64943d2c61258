#!/usr/bin/env node
// Builds the native addon: cmake-js compile -d native -O build/native (Ninja when available,
// CUDA kernels when nvcc is on PATH). The npm `postinstall` and `build:native` hook.
//
//   node scripts/build-native.mjs            skip when build/native/Release/twinforge_native.node is newer than native/
//   node scripts/build-native.mjs --force    clean rebuild
//   extra arguments after `--` go to cmake-js (e.g. -- --CDTWINFORGE_ENABLE_CUDA=OFF)
//
// env TWINFORGE_SKIP_NATIVE=1: print why and exit 0 even if the build is missing or fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = path.join(root, 'native');
const outDir = path.join(root, 'build', 'native');
const addon = path.join(outDir, 'Release', 'twinforge_native.node');
const args = process.argv.slice(2);
const force = args.includes('--force');
const dashDash = args.indexOf('--');
const extra = dashDash >= 0 ? args.slice(dashDash + 1) : [];
const skipAllowed = process.env.TWINFORGE_SKIP_NATIVE === '1';

if (skipAllowed && !force) {
  console.log('native: skipped (TWINFORGE_SKIP_NATIVE=1)');
  process.exit(0);
}

// Newest modification time of anything under native/ (sources, CMake, toolchain, tests, bench).
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.isFile()) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

if (!force && existsSync(addon) && statSync(addon).mtimeMs >= newestMtime(nativeDir)) {
  console.log(`native: up to date (${path.relative(root, addon)}); --force rebuilds`);
  process.exit(0);
}

function onPath(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  return r.status === 0;
}

if (!onPath('cmake')) fail('cmake is not on PATH (install cmake >= 3.18 and a C++17 compiler)');
const cmakeJs = path.join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
if (!existsSync(cmakeJs)) fail('node_modules/cmake-js is missing (run npm install first)');

if (force) rmSync(outDir, { recursive: true, force: true });
const cuda = onPath('nvcc');
console.log(`native: building ${path.relative(root, addon)} (${cuda ? 'with CUDA kernels' : 'CPU only: nvcc not on PATH'}${onPath('ninja') ? ', ninja' : ''})`);
const started = Date.now();
const cmakeArgs = ['compile', '-d', 'native', '-O', 'build/native', '--log-level', 'warn'];
if (!cuda) cmakeArgs.push('--CDTWINFORGE_ENABLE_CUDA=OFF');
const r = spawnSync(process.execPath, [cmakeJs, ...cmakeArgs, ...extra], { cwd: root, stdio: 'inherit' });
if (r.status !== 0 || !existsSync(addon)) {
  fail(`cmake-js exited with ${r.status ?? r.signal}; see the compiler output above`);
}
console.log(`native: built in ${((Date.now() - started) / 1000).toFixed(1)} s`);

function fail(why) {
  if (skipAllowed) {
    console.log(`native: not built (${why}); continuing because TWINFORGE_SKIP_NATIVE=1`);
    process.exit(0);
  }
  console.error(`native: build failed: ${why}`);
  console.error('native: the engine needs the addon for compression kernels; fix the error, then run `npm run build:native`');
  console.error('native: (set TWINFORGE_SKIP_NATIVE=1 to install without it)');
  process.exit(1);
}
