// `twinforge hw ...` and `twinforge plan`: JSON shapes and exit codes.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../main/cli/main';
import { openwakewordModels } from '../fixtures';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

const model = openwakewordModels.hello_deepa;

describe('twinforge hw', () => {
  it('targets --json lists every shipped profile with its runtimes', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-hw-cli-'));
    try {
      const r = await run(['hw', 'targets', '--json', '--data-dir', dataDir]);
      expect(r.code).toBe(0);
      const ids = JSON.parse(r.out).targets.map((t: { id: string }) => t.id);
      expect(ids).toContain('x86-avx512-vnni:onnxruntime-cpu');
      expect(ids).toContain('nvidia-hopper:tensorrt');
      expect(ids).toContain('jetson-orin:tensorrt');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('explain --json has the contract shape', async () => {
    const r = await run(['hw', 'explain', model, '--target', 'x86-avx512-vnni', '--json']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    expect(e.target).toBe('x86-avx512-vnni:onnxruntime-cpu');
    expect(typeof e.runtime).toBe('string');
    expect(e.layers.length).toBe(3);
    for (const l of e.layers) {
      expect(typeof l.name).toBe('string');
      expect(l.op).toBe('Gemm');
      for (const o of l.options) {
        expect(typeof o.pattern).toBe('string');
        expect(typeof o.precision).toBe('string');
        expect(typeof o.estimatedSpeedup).toBe('number');
        expect(['faster', 'no-gain', 'slower']).toContain(o.verdict);
        expect(o.reason.length).toBeGreaterThan(5);
      }
    }
    const twoFour = e.layers[0].options.find((o: { pattern: string }) => o.pattern === '2:4');
    expect(twoFour.reason).toMatch(/not accelerated on this target/);
  });

  it('explain text shows verdicts; --option restricts the options', async () => {
    const r = await run(['hw', 'explain', model, '--target', 'x86-avx2', '--option', 'int8', '--option', 'unstructured@0.7']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dense int8/);
    expect(r.out).toMatch(/unstructured 70% fp32/);
    expect(r.out).not.toMatch(/2:4/);
  });

  it('exits 2 with a hint for a missing or unknown target and a bad profile', async () => {
    const a = await run(['hw', 'explain', model]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/needs --target/);
    const b = await run(['hw', 'explain', model, '--target', 'tpu-v9']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/Unknown target 'tpu-v9'/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-hw-cli-'));
    try {
      const bad = path.join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ schemaVersion: 1, name: 'bad', title: 'x', kind: 'cpu', hardware: { examples: ['x'], features: [], peak: { fp32: '1 GB/s' }, memory: { bandwidth: '10 GB/s' }, caches: [{ level: 'L2', size: '1 MiB' }], source: { kind: 'derived', citation: 'test profile only' } }, runtimes: [] }));
      const c = await run(['hw', 'explain', model, '--target', bad]);
      expect(c.code).toBe(2);
      expect(c.err).toMatch(/hardware\.peak\.fp32/);
      expect(c.err).toMatch(/unit of bandwidth, not of compute/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const d = await run(['hw', 'explain', model, '--target', 'this-machine', '--data-dir', path.join(os.tmpdir(), 'tf-hw-empty-' + process.pid)]);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/hw detect/);
  });

  it('estimate --json gives the whole-model latency and per-node times', async () => {
    const r = await run(['hw', 'estimate', model, '--target', 'x86-avx512-vnni', '--json']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    expect(e.latencyMs).toBeGreaterThan(0);
    expect(e.layers.length).toBe(8);
  });
});

describe('twinforge plan', () => {
  it('writes a recipe and prints {recipe, estimated, pareto}', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-plan-cli-'));
    try {
      const out = path.join(dir, 'p.yaml');
      const r = await run(['plan', model, '--target', 'x86-avx512-vnni', '--budget', 'sparsity=0.5', '--levels', '0.5,0.9', '--pattern', 'unstructured', '--precision', 'int8', '--samples', '8', '--out', out, '--json', '--data-dir', dir]);
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.recipe).toBe(out);
      expect(existsSync(out)).toBe(true);
      expect(j.estimated.latencyMs).toBeGreaterThan(0);
      expect(j.estimated.sizeBytes).toBeGreaterThan(0);
      expect(j.estimated.fidelityLoss).toBeGreaterThanOrEqual(0);
      expect(Array.isArray(j.pareto)).toBe(true);
      // the second run reuses the stored sensitivity (zoo) and gives the same plan
      const again = await run(['plan', model, '--target', 'x86-avx512-vnni', '--budget', 'sparsity=0.5', '--levels', '0.5,0.9', '--pattern', 'unstructured', '--precision', 'int8', '--samples', '8', '--out', out, '--json', '--data-dir', dir]);
      expect(JSON.parse(again.out).estimated).toEqual(j.estimated);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('rejects a bad budget with exit 2', async () => {
    const r = await run(['plan', model, '--target', 'x86-avx512-vnni', '--budget', 'speed=fast']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/KIND=VALUE/);
  });
});
