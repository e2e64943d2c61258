// `twinforge bench runtime`: registered, flags checked, and one small run produces every figure
// (measured twin, parent, synthesized estimate and its error). No assertion on speed: the
// benchmark prints ratios, the machine decides them.
import { describe, expect, it } from 'vitest';
import { main } from '../../../main/cli/main';
import { getBench } from '../../../main/core/bench/registry';
import { benchRuntime, formatBenchRuntime } from '../../../main/core/bench/runtime';

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

describe('twinforge bench runtime', () => {
  it('is registered and refuses a model too small to be GEMV-bound', async () => {
    expect(getBench('runtime')?.options).toHaveProperty('hidden');
    const r = await run(['bench', 'runtime', '--hidden', '512']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--hidden must be an integer >= 1024/);
  });

  it('measures every case end to end and prints them beside the estimate', async () => {
    const r = await benchRuntime({ hidden: 128, depth: 2, budgetMs: 300 });
    expect(r.rows.map((x) => x.case)).toEqual(['CSR 90% unstructured', 'BSR 4x4 90% blocks', '2:4 packed (fp32)']);
    expect(r.rows.map((x) => x.format)).toEqual(['csr', 'bsr', '2:4']);
    for (const x of r.rows) {
      expect(x.layers).toBe(2);
      expect(x.sparsity).toBeGreaterThan(x.format === '2:4' ? 0.49 : 0.85);
      for (const v of [x.parentMs, x.twinMs, x.estimateMs, x.twinOrtMs]) expect(v).toBeGreaterThan(0);
      expect(x.speedup).toBeCloseTo(x.parentMs / x.twinMs, 9);
      expect(x.estimateError).toBeCloseTo((x.estimateMs - x.twinMs) / x.twinMs, 9);
      expect(x.packedBytes).toBeLessThan(x.denseBytes);
    }
    const text = formatBenchRuntime(r);
    expect(text).toMatch(/CSR 90% unstructured/);
    expect(text).toMatch(/2:4 packed \(fp32\)\s+2:4/);
    expect(r.copyGBps).toBeGreaterThan(0);
    expect(text).toMatch(/copy bandwidth \d+\.\d GB\/s/);
    expect(text).toMatch(/estimate = synthesized/);
  }, 120_000);
});
