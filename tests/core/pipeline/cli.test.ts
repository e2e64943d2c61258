// Headless acceptance: `twinforge compress` and `twinforge run` exit 0 / 2 / 3 as documented,
// bad recipes name the field, --json prints one event per line ending in 'done', and a
// cancelled run leaves no file behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../main/cli/main';
import { fixture, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let mlp: string;
beforeAll(() => {
  tmp = tempDir('cli');
  mlp = fixture('mlp_gemm', tmp.dir);
});
afterAll(() => tmp.cleanup());

async function cli(argv: string[], signal?: AbortSignal): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, signal: signal ?? new AbortController().signal });
  return { code, out, err };
}

function recipe(name: string, body: string): string {
  const file = path.join(tmp.dir, name);
  writeFileSync(file, body);
  return file;
}

const good = (extra = '', stage = 'method: magnitude\n    sparsity: 0.5') => `version: 1
model: mlp_gemm.onnx
seed: 1
calibration: { source: synthetic, samples: 8 }
evaluation: { source: synthetic, samples: 8, latency: false }
stages:
  - type: prune
    ${stage}
export: { dir: out-${Math.random().toString(36).slice(2, 8)} }
${extra}`;

describe('twinforge run: bad recipes exit 2 naming the field', () => {
  const cases: [string, string, RegExp][] = [
    ['a typo in a key', good('', 'method: magnitude\n    sparsty: 0.5'), /stages\[0\]: unknown key 'sparsty'.*did you mean 'sparsity'/],
    ['sparsity 1.5', good('', 'method: magnitude\n    sparsity: 1.5'), /stages\[0\]\.sparsity/],
    ['an unknown method', good('', 'method: magnitud\n    sparsity: 0.5'), /stages\[0\]\.method: unknown method 'magnitud'/],
    ['a missing model file', good().replace('mlp_gemm.onnx', 'nope.onnx'), /model: '.*nope\.onnx' does not exist/],
    ['a missing calibration folder', good().replace('calibration: { source: synthetic', 'calibration: { source: ./no-such-dir'), /calibration\.source: '.*no-such-dir' does not exist/],
    ['a layer glob matching nothing', good('', 'method: magnitude\n    sparsity: 0.5\n    exclude: ["fc9*"]'), /stages\[0\]\.exclude\[0\]: 'fc9\*' matches no layer/],
    ['an include glob matching nothing', good('', 'method: magnitude\n    sparsity: 0.5\n    include: ["fc1.weight", "head*"]'), /stages\[0\]\.include\[1\]: 'head\*' matches no layer/],
    ['an override glob matching nothing', good('', 'method: magnitude\n    sparsity: 0.5\n    overrides: [{ layers: "conv*", sparsity: 0.2 }]'), /stages\[0\]\.overrides\[0\]\.layers: 'conv\*' matches no layer/],
    ['an unknown input shape name', good('inputShapes: { image: [1, 16] }'), /inputShapes\.image: the model has no input 'image'/],
  ];
  for (const [what, text, re] of cases) {
    it(what, async () => {
      const file = recipe(`bad-${what.replace(/\W+/g, '-')}.yaml`, text);
      const r = await cli(['run', file]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      const j = await cli(['run', file, '--json']);
      expect(j.code).toBe(2);
      const last = JSON.parse(j.out.trim().split('\n').pop()!);
      expect(last.event).toBe('error');
      expect(last.error.message).toMatch(re);
    });
  }
  it('a missing recipe file', async () => {
    const r = await cli(['run', path.join(tmp.dir, 'missing.yaml')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/recipe: .*missing\.yaml does not exist/);
  });
});

describe('twinforge compress', () => {
  it('runs, prints JSON lines ending in done, and writes the twin and reports', async () => {
    const out = path.join(tmp.dir, 'c1');
    const r = await cli(['compress', mlp, '--sparsity', '0.5', '--samples', '8', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.some((e) => e.event === 'progress' && e.stage === 'prune')).toBe(true);
    const done = events[events.length - 1];
    expect(done.event).toBe('done');
    expect(done.twin).toBe(path.join(out, 'twin.onnx'));
    expect(done.report).toBe(path.join(out, 'report.json'));
    expect(Object.keys(done.metrics)).toEqual(expect.arrayContaining(['top1Agreement', 'cosine', 'sqnrDb']));
    expect(done.sizes.twinNonzeros).toBeLessThan(done.sizes.parentNonzeros);
    expect(done.latencyMs.parent).toBeGreaterThan(0);
    expect(done.latencyMs.twin).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual(['report.json', 'report.md', 'twin.onnx', 'twin.twsp']);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/## Layers/);
  });
  it('names the flag in errors (exit 2)', async () => {
    const a = await cli(['compress', mlp, '--sparsity', '1.5', '--out', path.join(tmp.dir, 'c2')]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--sparsity/);
    const b = await cli(['compress', mlp, '--method', 'wandaa', '--sparsity', '0.5', '--out', path.join(tmp.dir, 'c2')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--method: unknown method 'wandaa'.*did you mean 'wanda'/);
    const c = await cli(['compress', mlp, '--sparsity', 'half', '--out', path.join(tmp.dir, 'c2')]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/--sparsity: 'half' is not a number/);
    const d = await cli(['compress', mlp, '--sparsity', '0.5']);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/--out DIR is required/);
    const e = await cli(['compress', path.join(tmp.dir, 'nope.onnx'), '--sparsity', '0.5', '--out', path.join(tmp.dir, 'c2')]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/MODEL: '.*nope\.onnx' does not exist|model: /);
    expect(existsSync(path.join(tmp.dir, 'c2', 'twin.onnx'))).toBe(false);
  });
  it('--target is checked against the hardware profiles (exit 2 naming the field) and recorded', async () => {
    const bad = await cli(['compress', mlp, '--sparsity', '0.5', '--target', 'pentium-ii', '--out', path.join(tmp.dir, 'c4')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/target: Unknown target 'pentium-ii'/);
    const ok = await cli(['compress', mlp, '--sparsity', '0.5', '--samples', '8', '--target', 'x86-avx2', '--out', path.join(tmp.dir, 'c4'), '--json']);
    expect(ok.code).toBe(0);
    const done = JSON.parse(ok.out.trim().split('\n').pop()!);
    expect(JSON.parse(readFileSync(done.report, 'utf8')).recipe.target).toBe('x86-avx2');
  });
  it('draws a progress bar per stage on a TTY and prints a summary', async () => {
    let out = '';
    let err = '';
    const code = await main(['compress', mlp, '--pattern', '2:4', '--samples', '8', '--out', path.join(tmp.dir, 'c5')], { out: (s) => (out += s), err: (s) => (err += s), isTTY: true, signal: new AbortController().signal });
    expect(code).toBe(0);
    expect(err).toMatch(/prune +█+ +2\/2/);
    expect(err).toMatch(/evaluate/);
    expect(out).toMatch(/^twin: .*twin\.onnx$/m);
    expect(out).toMatch(/fidelity: top-1 agreement [\d.]+%, cosine/);
  });
  it('--save-recipe writes a recipe that twinforge run accepts', async () => {
    const out = path.join(tmp.dir, 'c3');
    const rfile = path.join(tmp.dir, 'saved.yaml');
    const r = await cli(['compress', mlp, '--pattern', '2:4', '--method', 'magnitude', '--exclude', 'fc2*', '--samples', '8', '--out', out, '--save-recipe', rfile]);
    expect(r.code).toBe(0);
    expect(readFileSync(rfile, 'utf8')).toMatch(/pattern: "?2:4"?/);
    const again = await cli(['run', rfile, '--out', path.join(tmp.dir, 'c3b'), '--json']);
    expect(again.code).toBe(0);
  });
});

describe('gates and cancellation', () => {
  it('a failed fidelity gate exits 3 after writing the twin and report', async () => {
    const file = recipe('gate.yaml', good('gates: { minCosine: 0.9999, minSqnrDb: 60 }', 'method: magnitude\n    sparsity: 0.9'));
    const r = await cli(['run', file, '--json']);
    expect(r.code).toBe(3);
    const done = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(done.event).toBe('done');
    expect(done.passed).toBe(false);
    expect(done.gates.map((g: { gate: string; passed: boolean }) => [g.gate, g.passed])).toEqual([['minCosine', false], ['minSqnrDb', false]]);
    expect(existsSync(done.report)).toBe(true);
    const ok = await cli(['run', recipe('gate-ok.yaml', good('gates: { minCosine: 0.1 }', 'method: magnitude\n    sparsity: 0.2'))]);
    expect(ok.code).toBe(0);
  });
  it('Ctrl-C (the signal) cancels cleanly: exit 130, no file and no staging folder left', async () => {
    const dir = path.join(tmp.dir, 'cancelled');
    const ac = new AbortController();
    const file = recipe('cancel.yaml', good('', 'method: magnitude\n    sparsity: 0.5').replace(/export: \{ dir: [^}]+\}/, `export: { dir: ${dir} }`).replace('latency: false', 'latency: { warmup: 2, runs: 1000000 }'));
    const p = cli(['run', file], ac.signal);
    setTimeout(() => ac.abort(), 400);
    const r = await p;
    expect(r.code).toBe(130);
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});
