#!/usr/bin/env node
// `npm test`: typecheck, lint (architecture rules), native kernel tests (host, sanitizers, aarch64 under qemu), unit /
// contract / integration tests, the desktop and web builds, the end-to-end tests in Chromium,
// and the production smoke test. Ends with one plain line `N passed, N failed` that CI reads (skips on the line before).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const resultsDir = path.join(root, 'build', 'test-results');
mkdirSync(resultsDir, { recursive: true });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const only = process.env.TWINFORGE_TEST_ONLY?.split(',');
const totals = { passed: 0, failed: 0, skipped: 0 };
const failures = [];
const timings = [];

function step(name, fn) {
  if (only && !only.includes(name)) return;
  const t0 = Date.now();
  console.log(`\n=== ${name} ===`);
  try {
    fn();
  } catch (err) {
    totals.failed++;
    failures.push(`${name}: ${err.message}`);
  }
  timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8', env: { ...process.env, ...opts.env } });
  if (opts.capture) process.stdout.write(r.stdout ?? '');
  return r;
}

// A step that is one check: passes when the command exits 0.
function checkStep(name, cmd, args) {
  step(name, () => {
    const r = sh(cmd, args);
    if (r.status === 0) totals.passed++;
    else {
      totals.failed++;
      failures.push(`${name} (exit ${r.status})`);
    }
  });
}

// A vitest run counted test by test from its JSON report.
function vitestStep(name, config) {
  step(name, () => {
    const out = path.join(resultsDir, `${name}.json`);
    rmSync(out, { force: true });
    const r = sh(bin('vitest'), ['run', '--config', config, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
    if (!existsSync(out)) {
      totals.failed++;
      failures.push(`${name}: vitest produced no report (exit ${r.status})`);
      return;
    }
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += rep.numPassedTests;
    totals.failed += rep.numFailedTests;
    totals.skipped += rep.numPendingTests + (rep.numTodoTests ?? 0);
    for (const file of rep.testResults ?? []) {
      for (const t of file.assertionResults ?? []) if (t.status === 'failed') failures.push(`${name}: ${t.fullName}`);
      // A file that failed to load has no assertions but is a failure all the same.
      if (file.status === 'failed' && !(file.assertionResults ?? []).length) {
        totals.failed++;
        failures.push(`${name}: ${path.relative(root, file.name)} did not load: ${(file.message ?? '').split('\n')[0]}`);
      }
    }
  });
}

// A script that reports its own `N passed, N failed[, N skipped]` line (native tests, smoke test).
function countedScriptStep(name, file) {
  step(name, () => {
    const script = path.join(root, 'scripts', file);
    if (!existsSync(script)) {
      totals.skipped++;
      return;
    }
    const r = sh(process.execPath, [script], { capture: true });
    const m = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/m.exec([...(r.stdout ?? '').matchAll(/^\d+ passed, \d+ failed.*$/gm)].pop()?.[0] ?? '');
    if (!m) {
      totals.failed++;
      failures.push(`${name}: no result line (exit ${r.status})`);
      return;
    }
    totals.passed += Number(m[1]);
    totals.failed += Number(m[2]);
    totals.skipped += Number(m[3] ?? 0);
    if (Number(m[2]) > 0) failures.push(`${name}: ${m[2]} failed`);
    if (r.status !== 0 && Number(m[2]) === 0) {
      totals.failed++;
      failures.push(`${name}: exit ${r.status}`);
    }
  });
}

countedScriptStep('native', 'test-native.mjs');
checkStep('typecheck-node', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']);
checkStep('typecheck-web', bin('vue-tsc'), ['-p', 'tsconfig.web.json', '--noEmit']);
// The architecture rules (eslint.config.mjs): no import cycles in the engine, layer boundaries.
// Only the folders those rules cover, so it stays well under a minute.
checkStep('lint', bin('eslint'), ['--max-warnings=0', 'main/core', 'preload/contract.ts', 'preload/contract', 'renderer/src']);
vitestStep('unit', 'vitest.config.ts');
checkStep('build-desktop', bin('electron-vite'), ['build']);
checkStep('build-web', bin('vite'), ['build', '--config', 'vite.web.config.ts', '--logLevel', 'warn']);
vitestStep('e2e', 'vitest.e2e.config.ts');
// The production install: built output, no devDependencies (about a minute; docs/DESKTOP.md).
countedScriptStep('smoke-prod', 'smoke-prod.mjs');

console.log(`\nsteps: ${timings.join(', ')}`);
if (failures.length) console.log(`failures:\n  ${failures.join('\n  ')}`);
// skipped cases (a GPU or an ISA this machine lacks) on their own line: the last line stays the plain one CI reads
if (totals.skipped) console.log(`${totals.skipped} skipped (could not run here)`);
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed > 0 ? 1 : 0);
