#!/usr/bin/env node
// Builds and runs the native C++ tests (ctest) in three configurations:
//   host    build/native-tests        Release, every x86 variant the CPU has
//   asan    build/native-tests-asan   ASan + UBSan
//   arm64   build/native-tests-arm64  aarch64 cross build, run under qemu-user (NEON variants)
// CUDA kernels are left out of these builds (slow to compile; there is no GPU here): the npm
// build compiles them and the GPU machine runs their own test binary.
// Counts are test units, summed over the binaries and configurations: a case, or one variant of
// a case that loops over a family's variants (native/tests/test_util.h). A variant whose ISA the
// CPU lacks, a case that needs a GPU, or a configuration whose tools are missing counts as
// skipped, not passed. The last line printed is exactly `N passed, N failed, N skipped`.
//
//   node scripts/test-native.mjs [--only host,asan,arm64] [--clean] [--build-root DIR]
// --build-root puts the three build folders under DIR instead of build/ (a second checkout or a
// helper working beside others keeps its own builds).
// env CI=true: a missing cross compiler or qemu is a failure instead of a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const onlyArg = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
const clean = args.includes('--clean');
const buildRoot = args.includes('--build-root') ? args[args.indexOf('--build-root') + 1] : 'build';
const ci = process.env.CI === 'true' || process.env.CI === '1';
const jobs = String(Math.max(1, Math.min(os.cpus().length, 4)));

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  return { status: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

// Each test binary ends its output with `N passed, N failed, N skipped`; ctest keeps every
// binary's full output (also of passing ones) in LastTest.log, one section per test.
function unitTotals(dir) {
  const log = path.join(root, dir, 'Testing', 'Temporary', 'LastTest.log');
  const out = new Map();
  if (!existsSync(log)) return out;
  for (const section of readFileSync(log, 'utf8').split(/^\d+\/\d+ Testing: /m).slice(1)) {
    const name = section.slice(0, section.indexOf('\n')).trim();
    const m = [...section.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped\s*$/gm)].pop();
    if (m) out.set(name, { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) });
  }
  return out;
}

const generator = has('ninja') ? ['-G', 'Ninja'] : [];
const configs = [
  { name: 'host', dir: `${buildRoot}/native-tests`, defs: ['-DCMAKE_BUILD_TYPE=Release'], env: {} },
  {
    name: 'asan',
    dir: `${buildRoot}/native-tests-asan`,
    defs: ['-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DTWINFORGE_SANITIZE=ON'],
    env: { ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:halt_on_error=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' },
  },
  {
    name: 'arm64',
    dir: `${buildRoot}/native-tests-arm64`,
    defs: ['-DCMAKE_BUILD_TYPE=Release', `-DCMAKE_TOOLCHAIN_FILE=${path.join(root, 'native/cmake/aarch64-toolchain.cmake')}`],
    env: {},
    needs: ['aarch64-linux-gnu-g++', 'qemu-aarch64'],
  },
];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const c of configs) {
  if (only && !only.has(c.name)) continue;
  const missing = (c.needs ?? []).filter((t) => !has(t));
  if (missing.length) {
    const why = `${c.name}: skipped, ${missing.join(' and ')} not installed (apt-get install g++-aarch64-linux-gnu qemu-user)`;
    if (ci) {
      console.log(`${why}; CI=true makes this a failure`);
      failed += 1;
    } else {
      console.log(why);
      skipped += 1;
    }
    continue;
  }
  const dir = path.join(root, c.dir);
  if (clean) rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  const conf = run('cmake', ['-S', 'native', '-B', c.dir, ...generator, '-DTWINFORGE_ADDON=OFF', '-DTWINFORGE_ENABLE_CUDA=OFF', '-DTWINFORGE_BUILD_TESTS=ON', ...c.defs]);
  const build = conf.status === 0 ? run('cmake', ['--build', c.dir, '-j', jobs]) : conf;
  if (build.status !== 0) {
    console.log(build.out.split('\n').slice(-40).join('\n'));
    console.log(`${c.name}: build failed`);
    failed += 1;
    continue;
  }
  const test = run('ctest', ['--test-dir', c.dir, '-j', jobs, '--output-on-failure', '--timeout', '300'], { env: { ...process.env, ...c.env } });
  const summary = /(\d+)% tests passed, (\d+) tests failed out of (\d+)/.exec(test.out);
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (!summary) {
    console.log(test.out.split('\n').slice(-40).join('\n'));
    console.log(`${c.name}: ctest gave no summary (${seconds} s)`);
    failed += 1;
    continue;
  }
  // Per binary: its own unit counts; a binary that crashed before its summary, or exited non-zero
  // with no failed unit (a sanitizer report at exit), is one failure more.
  const units = unitTotals(c.dir);
  const perTest = [...test.out.matchAll(/Test\s+#\d+: (\S+) \.+\s*(.*?)\s+([\d.]+) sec/g)].map((m) => ({ name: m[1], status: m[2], sec: m[3] }));
  const cfg = { passed: 0, failed: 0, skipped: 0 };
  for (const t of perTest) {
    const u = units.get(t.name);
    const ctestFailed = !/^(Passed|\*+Skipped)$/.test(t.status);
    if (u) {
      cfg.passed += u.passed;
      cfg.failed += u.failed;
      cfg.skipped += u.skipped;
    }
    if (!u || (ctestFailed && u.failed === 0)) cfg.failed += 1;
  }
  if (perTest.length !== Number(summary[3])) cfg.failed += 1;  // a test ctest counted but did not list
  passed += cfg.passed;
  failed += cfg.failed;
  skipped += cfg.skipped;
  if (cfg.failed) console.log(test.out.split('\n').filter((l) => /FAIL|Failed|\*\*\*|ERROR|runtime error/.test(l)).slice(0, 60).join('\n'));
  console.log(
    `${c.name}: ${cfg.passed} passed, ${cfg.failed} failed, ${cfg.skipped} skipped in ${perTest.length} binaries, ${seconds} s ` +
      `(${perTest.map((t) => `${t.name} ${t.status} ${t.sec}s`).join(', ')})`,
  );
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
