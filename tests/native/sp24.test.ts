import { describe, expect, it } from 'vitest';
import { applyMask, measure, nmMask, pack24, sp24Matmul, sp24Weights } from '../../main/core/native';
import { expectCode, forEachIsa, randomF32, skipNative } from './helpers';

/** A [rows, cols] matrix pruned 2:4 along its rows by the native N:M mask. */
function weights24(rows: number, cols: number, seed: number): Float32Array {
  const w = randomF32(rows * cols, seed);
  applyMask(w, nmMask(w, { rows, cols, n: 2, m: 4 }));
  return w;
}

/** Y = X·Wᵀ in float64 (the dense reference). */
function dense(w: Float32Array, rows: number, cols: number, x: Float32Array, batch: number): Float64Array {
  const y = new Float64Array(batch * rows);
  for (let b = 0; b < batch; b++) for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[b * cols + c];
    y[b * rows + r] = s;
  }
  return y;
}

describe.skipIf(skipNative)('2:4 packed products (sp24)', () => {
  it('runs pack24 output as stored, fp32 and fp16 values, every ISA giving the same bits', () => {
    for (const [rows, cols, batch] of [[7, 36, 1], [33, 256, 1], [9, 100, 5], [16, 64, 40]]) {
      const w = weights24(rows, cols, rows + cols);
      const x = randomF32(batch * cols, 3);
      const want = dense(w, rows, cols, x, batch);
      for (const fp16 of [false, true]) {
        const sw = sp24Weights(pack24(w, { rows, cols }), { rows, cols, fp16 });
        expect(sw.values).toBeInstanceOf(fp16 ? Uint16Array : Float32Array);
        let first: Float32Array | undefined;
        forEachIsa(() => {
          const bias = new Float32Array(rows).fill(0.5);
          const y = sp24Matmul(sw, x, batch, { bias });
          for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - 0.5 - want[i])).toBeLessThan(fp16 ? 2e-2 : 1e-4);
          if (first) expect(y).toEqual(first);
          first = y;
        });
      }
    }
  });

  it('bad weights and shapes are BAD_INPUT naming the argument', () => {
    const rows = 4;
    const cols = 16;
    const p = pack24(weights24(rows, cols, 1), { rows, cols });
    const w = sp24Weights(p, { rows, cols });
    const badMeta = p.meta.slice();
    badMeta[0] = 0x05; // first position 1, second 1
    expectCode(() => sp24Weights({ values: p.values, meta: badMeta }, { rows, cols }), 'BAD_INPUT', 'meta');
    expectCode(() => sp24Weights(p, { rows, cols: 18 }), 'BAD_INPUT', 'cols');
    expectCode(() => sp24Weights({ values: p.values.subarray(1), meta: p.meta }, { rows, cols }), 'BAD_INPUT', 'values');
    const big = p.values.slice();
    big[0] = 1e6;
    expectCode(() => sp24Weights({ values: big, meta: p.meta }, { rows, cols, fp16: true }), 'BAD_INPUT', 'values');
    expectCode(() => sp24Matmul(w, new Float32Array(15), 1), 'BAD_INPUT', 'x');
    expectCode(() => sp24Matmul(w, new Float32Array(16), 1, { bias: new Float32Array(3) }), 'BAD_INPUT', 'bias');
  });

  it('measures as sp24 / sp24_f16 with verified outputs', () => {
    for (const kernel of ['sp24', 'sp24_f16'] as const)
      for (const m of [1, 20]) {
        const r = measure(kernel, { m, n: 40, k: 132, repeats: 2, verify: true });
        expect(r.maxRelError).toBeLessThan(1e-4);
        expect(r.flops).toBe(2 * m * 40 * 66);
      }
    expectCode(() => measure('sp24', { k: 130 }), 'BAD_INPUT', 'k');
  });
});
