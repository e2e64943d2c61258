// `twinforge bench llm` end to end on a very small shape (the real benchmark is minutes long).
import { describe, expect, it } from 'vitest';
import { main } from '../../main/cli/main';

describe('bench llm', () => {
  it('compresses a random Llama-shaped model and prints the time split and peak RSS', async () => {
    let out = '';
    let err = '';
    const code = await main(['bench', 'llm', '--quick', '--layers', '1', '--hidden', '64', '--intermediate', '128', '--vocab', '100', '--tokens', '128', '--seq', '64', '--no-torch', '--json'], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
    expect(code, err).toBe(0);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.shape).toMatchObject({ layers: 1, hidden: 64, intermediate: 128 });
    expect(r.calibrationTokens).toBe(128);
    expect(r.sparsity).toBeCloseTo(0.5, 2);
    expect(r.peakRssMb).toBeGreaterThan(0);
    for (const k of ['forward', 'hessians', 'solves', 'io']) expect(r.seconds[k]).toBeGreaterThanOrEqual(0);
    // The block's seven linears: q/o, k/v (kv heads x head dim), gate/up, down.
    expect(r.shapes.map((s: { rows: number; cols: number; linears: string[] }) => [s.rows, s.cols, s.linears.length])).toEqual([[64, 64, 2], [16, 64, 2], [128, 64, 2], [64, 128, 1]]);
    expect(r.block.solveMs).toBeGreaterThan(0);
    // --layers 1 of the 4-block --quick shape: the full depth is extrapolated, times x 4.
    expect(r.extrapolated.blocks).toBe(4);
    expect(r.extrapolated.seconds.total).toBeCloseTo(r.seconds.total * 4, 6);
    expect(r.torch).toMatch(/skipped/);
  }, 120_000);
});
