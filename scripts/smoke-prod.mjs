#!/usr/bin/env node
// `npm run smoke:prod`: the production smoke test. In a temporary copy of the repository it
// installs, builds, removes every devDependency (`npm prune --omit=dev`), then runs what a user
// runs from the built output alone: the CLI (compress, run --zoo over a tiny grid, hw explain),
// the web host (start, GET / with the token, a job in a worker process, stop). No TypeScript
// loader, no development tool may be needed. Ends with `N passed, N failed` (scripts/test.mjs
// counts it).
//
// The copy: the working tree's files that git tracks or would track (--head: `git archive HEAD`).
// Its dependencies, by default: node_modules of this checkout, hard-linked (fast, no disk), and
// the native addon it built. That checks exactly what the smoke test is for — the built app runs
// on production dependencies only — without a second install that recompiles better-sqlite3 and
// the addon (minutes on two cores). `--npm-ci` runs a real `npm ci --prefer-offline` in the copy
// instead (checks that the lockfile installs; needs the npm cache or the registry).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const useNpmCi = argv.includes('--npm-ci');
const fromHead = argv.includes('--head');
const keep = argv.includes('--keep');
const npmBin = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'twinforge-smoke-'));
const repo = path.join(tmp, 'repo');
const data = path.join(tmp, 'data');
const results = { passed: 0, failed: 0 };
const t0 = Date.now();
// Never download Electron's binary or ONNX Runtime's GPU extras (as .ci/run does).
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', ELECTRON_SKIP_BINARY_DOWNLOAD: '1', TWINFORGE_HOME: data, NO_COLOR: '1' };
delete env.TWINFORGE_USE_BUILD;
delete env.TWINFORGE_ADDON;
delete env.TWINFORGE_SQLITE_BINDING;

const log = (s) => console.log(`[smoke ${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}`);

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? repo, env: { ...env, ...opts.env }, encoding: 'utf8', maxBuffer: 64 << 20, timeout: opts.timeout ?? 240_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** A setup step: the rest cannot run without it. */
function must(what, r) {
  if (r.status === 0) return log(`${what}: ok`);
  console.error(`${what} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${(r.stderr || r.stdout).slice(-3000)}`);
  results.failed++;
  finish();
}

/** A counted check. */
async function check(name, fn) {
  const s = Date.now();
  try {
    const note = await fn();
    results.passed++;
    log(`ok   ${name}${note ? ` — ${note}` : ''} (${((Date.now() - s) / 1000).toFixed(1)}s)`);
  } catch (e) {
    results.failed++;
    log(`FAIL ${name}: ${e.message}`);
  }
}

function expectOk(r, what) {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-4).join(' | ')}`);
  return r;
}

const cli = (...args) => sh(process.execPath, [path.join(repo, 'bin', 'twinforge.mjs'), ...args, '--data-dir', data]);

function finish() {
  if (!keep) rmSync(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed > 0 ? 1 : 0);
}

// ---- the copy -------------------------------------------------------------------------------
mkdirSync(repo, { recursive: true });
if (fromHead) {
  must('git archive HEAD', sh('bash', ['-c', `git -C "${root}" archive --format=tar HEAD | tar -x -C "${repo}"`], { cwd: root }));
} else {
  const list = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
  // Not a git checkout (an unpacked source archive): every file but installs and build outputs.
  const walk = (dir, out = []) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory() && !['node_modules', 'out', 'build', 'dist', '.git'].includes(rel)) walk(rel, out);
      else if (e.isFile()) out.push(rel);
    }
    return out;
  };
  const rels = list.status === 0 ? list.stdout.split('\0').filter(Boolean) : walk('');
  let n = 0;
  for (const rel of rels) {
    const src = path.join(root, rel);
    if (!existsSync(src) || !statSync(src).isFile()) continue; // deleted in the tree, or a submodule
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    copyFileSync(src, path.join(repo, rel));
    n++;
  }
  log(`copied ${n} files of the working tree`);
}

if (useNpmCi) {
  must('npm ci --prefer-offline', sh(npmBin, ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { timeout: 900_000 }));
} else {
  // Hard links: instant and free. The copy's own writes make new files (out/, the data folder);
  // npm prune unlinks, never edits in place. npm's hidden lockfile is rewritten by prune, so it
  // is dropped from the copy rather than shared.
  const linked = sh('cp', ['-al', path.join(root, 'node_modules'), path.join(repo, 'node_modules')]);
  if (linked.status === 0) log('link node_modules: ok');
  else {
    // hard links cannot cross file systems (the temporary folder may be on another one): copy
    log(`cannot hard-link node_modules (${linked.stderr.trim().split('\n')[0]}); copying it`);
    rmSync(path.join(repo, 'node_modules'), { recursive: true, force: true });
    must('copy node_modules', sh('cp', ['-a', path.join(root, 'node_modules'), path.join(repo, 'node_modules')], { timeout: 600_000 }));
  }
  for (const dot of readdirSync(path.join(repo, 'node_modules')).filter((d) => d.startsWith('.') && d !== '.bin')) rmSync(path.join(repo, 'node_modules', dot), { recursive: true, force: true });
  const addon = path.join('build', 'native', 'Release', 'twinforge_native.node');
  if (existsSync(path.join(root, addon))) {
    mkdirSync(path.dirname(path.join(repo, addon)), { recursive: true });
    copyFileSync(path.join(root, addon), path.join(repo, addon));
  }
}
must('npm run build', sh(npmBin, ['run', 'build'], { timeout: 600_000 }));

// ---- packaging: electron-builder --dir with a stand-in for Electron's binary ----------------
// Electron's binary cannot be downloaded everywhere; the configuration is still packed for real
// (file selection, ASAR, unpacked native code, production dependencies only) around a stand-in
// executable. Fuses are left out of this run only: they patch the real binary.
await check('electron-builder --dir packs the app (stand-in Electron binary)', async () => {
  if (process.platform !== 'linux') return 'skipped: the stand-in is a Linux layout';
  const require = createRequire(path.join(repo, 'package.json'));
  const { parse } = require('yaml');
  const standIn = path.join(tmp, 'electron-stand-in');
  mkdirSync(standIn, { recursive: true });
  writeFileSync(path.join(standIn, 'electron'), '#!/bin/sh\necho stand-in\n', { mode: 0o755 });
  writeFileSync(path.join(standIn, 'version'), JSON.parse(readFileSync(path.join(repo, 'node_modules', 'electron', 'package.json'), 'utf8')).version);
  const config = parse(readFileSync(path.join(repo, 'electron-builder.yml'), 'utf8'));
  delete config.electronFuses;
  config.electronDist = standIn;
  config.directories = { ...config.directories, output: path.join(tmp, 'dist') };
  writeFileSync(path.join(tmp, 'builder.json'), JSON.stringify(config));
  expectOk(sh(path.join(repo, 'node_modules', '.bin', 'electron-builder'), ['--config', path.join(tmp, 'builder.json'), '--dir', '--linux'], { timeout: 300_000 }), 'electron-builder --dir');
  const app = path.join(tmp, 'dist', 'linux-unpacked', 'resources');
  const { listPackage } = require('@electron/asar');
  const inAsar = new Set(listPackage(path.join(app, 'app.asar'), {}).map((f) => f.split(path.sep).join('/')));
  const want = ['/package.json', '/out/main/index.js', '/out/main/cli.js', '/out/main/core/jobs/worker-entry.js', '/out/main/core/batch/worker.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/out/web/index.html', '/resources/samples/hello_deepa.onnx', '/resources/hardware/x86-avx512-vnni.json', '/node_modules/better-sqlite3/lib/index.js', '/node_modules/onnxruntime-node/package.json'];
  const missing = want.filter((f) => !inAsar.has(f));
  if (missing.length) throw new Error(`app.asar lacks ${missing.join(', ')}`);
  const dev = ['tsx', 'vitest', 'electron', 'electron-vite', 'typescript', 'vue', 'openwakeword-js'].filter((d) => inAsar.has(`/node_modules/${d}`));
  if (dev.length) throw new Error(`app.asar holds devDependencies: ${dev.join(', ')}`);
  const stray = [...inAsar].filter((f) => /^\/(tests|main|native|scripts|renderer\/src)\//.test(f));
  if (stray.length) throw new Error(`app.asar holds sources: ${stray.slice(0, 5).join(', ')}`);
  const unpacked = ['build/native/Release/twinforge_native.node', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node', `node_modules/onnxruntime-node/bin/napi-v6/linux/${process.arch}/onnxruntime_binding.node`].filter((f) => !existsSync(path.join(app, 'app.asar.unpacked', f)));
  if (unpacked.length) throw new Error(`not unpacked from ASAR: ${unpacked.join(', ')}`);
  const sqlite = existsSync(path.join(app, 'app.asar.unpacked', 'build', 'electron-sqlite', 'better_sqlite3.node')) ? 'Electron-ABI SQLite packed' : 'no Electron-ABI SQLite (npm run desktop:setup not run here)';
  return `${inAsar.size} entries in app.asar, native code unpacked, no devDependencies; ${sqlite}`;
});

must('npm prune --omit=dev', sh(npmBin, ['prune', '--omit=dev', '--no-audit', '--no-fund'], { timeout: 300_000 }));

// ---- the checks -----------------------------------------------------------------------------
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));

await check('no devDependency is installed', () => {
  const left = ['tsx', 'vitest', 'vite', 'electron', 'electron-vite', 'electron-builder', 'typescript', 'openwakeword-js', 'playwright-core', 'cmake-js'].filter((d) => pkg.devDependencies[d] && existsSync(path.join(repo, 'node_modules', d)));
  if (left.length) throw new Error(`still installed: ${left.join(', ')}`);
  return `${Object.keys(pkg.dependencies).length} dependencies, no tsx, vitest, electron`;
});

await check('the built output names no TypeScript loader', () => {
  const hits = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(m?js|cjs|html)$/.test(e.name) && /\btsx\b/.test(readFileSync(p, 'utf8'))) hits.push(path.relative(repo, p));
    }
  };
  walk(path.join(repo, 'out'));
  if (hits.length) throw new Error(`tsx in ${hits.join(', ')}`);
  const entries = ['out/main/cli.js', 'out/main/core/jobs/worker-entry.js', 'out/main/core/batch/worker.js', 'out/main/core/batch/twin-job.js'].filter((f) => !existsSync(path.join(repo, f)));
  if (entries.length) throw new Error(`missing built entries: ${entries.join(', ')}`);
  return 'CLI and worker entries built';
});

await check('CLI runs from out/main', () => {
  const r = expectOk(cli('info', '--json'), 'twinforge info');
  JSON.parse(r.stdout);
  const v = expectOk(sh(process.execPath, [path.join(repo, 'bin', 'twinforge.mjs'), '--version']), 'twinforge --version');
  return v.stdout.trim();
});

const sample = path.join(repo, 'resources', 'samples', 'hello_deepa.onnx');
await check('compress a small model', () => {
  const out = path.join(tmp, 'compress-out');
  expectOk(cli('compress', sample, '--sparsity', '0.5', '--samples', '8', '--out', out, '--json'), 'twinforge compress');
  const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
  return `report.json written (${Object.keys(report).length} fields)`;
});

await check('run --zoo over a tiny grid (batch workers)', () => {
  expectOk(cli('zoo', 'import', 'smoke', path.join(repo, 'resources', 'demo-zoo', 'models', 'mlp-w16-s1.onnx'), '--create', '--json'), 'zoo import');
  const recipe = path.join(tmp, 'tiny-grid.yaml');
  writeFileSync(recipe, 'version: 1\nmodel: placeholder.onnx\nstages:\n  - type: prune\n    method: magnitude\n    sparsity: 0.5\ngrid:\n  stages[0].sparsity: [0.5, 0.7]\n');
  const r = expectOk(cli('run', recipe, '--zoo', 'smoke', '--json'), 'run --zoo');
  const done = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const show = JSON.parse(expectOk(cli('zoo', 'show', 'smoke', '--json'), 'zoo show').stdout);
  const twins = JSON.stringify(show).match(/"twins":\s*(\d+)/);
  if (!twins || Number(twins[1]) !== 2) throw new Error(`expected 2 twins in the zoo, zoo show says ${JSON.stringify(show).slice(0, 300)}`);
  return `${done.length} events, 2 twins registered`;
});

await check('hw explain', () => {
  const r = expectOk(cli('hw', 'explain', sample, '--target', 'x86-avx2', '--json'), 'hw explain');
  JSON.parse(r.stdout);
  return 'verdicts printed';
});

await check('web host: start, GET / with the token, a job in a worker process, stop', async () => {
  const child = spawn(process.execPath, [path.join(repo, 'bin', 'twinforge.mjs'), 'serve', '--port', '0', '--json', '--data-dir', data], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  try {
    const url = await new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`no 'listening' line in 60 s: ${stderr.slice(-500)}`)), 60_000);
      child.stdout.on('data', (d) => {
        buf += d;
        const line = buf.split('\n').find((l) => l.includes('"listening"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line).url);
        }
      });
      child.on('exit', (c) => reject(new Error(`serve exited ${c}: ${stderr.slice(-500)}`)));
    });
    const u = new URL(url);
    const token = u.searchParams.get('token');
    const page = await fetch(url);
    const html = await page.text();
    if (page.status !== 200 || !/<html/i.test(html)) throw new Error(`GET / answered ${page.status}: ${html.slice(0, 200)}`);
    const denied = await fetch(`${u.origin}/`);
    if (denied.status !== 401) throw new Error(`GET / without the token answered ${denied.status}, not 401`);
    const call = async (name, args) => {
      const r = await fetch(`${u.origin}/api/call/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twinforge-token': token }, body: JSON.stringify(args) });
      const j = await r.json();
      if (!j.ok) throw new Error(`${name}: ${JSON.stringify(j).slice(0, 300)}`);
      return j.value;
    };
    const job = await call('jobs.selftest', { steps: 5, stepMs: 20 });
    let snap = job;
    for (let i = 0; i < 300 && !['done', 'failed', 'cancelled'].includes(snap.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      snap = await call('jobs.get', { id: job.id });
    }
    if (snap.state !== 'done') throw new Error(`the self-test job ended '${snap.state}': ${JSON.stringify(snap.error ?? snap).slice(0, 300)}`);
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0) throw new Error(`serve exited ${code} on SIGTERM`);
    return 'UI served, self-test job done in a worker, clean stop';
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

finish();
