import { describe, expect, it } from 'vitest';
import { nmMask, parseNm } from '../../main/core/native';
import { expectCode, forEachIsa, rng, sameBytes, skipNative } from './helpers';

/** JS reference: per group keep the n best (|score| desc, lower index first); tail keeps ceil(n*t/m). */
function reference(x: Float32Array, rows: number, cols: number, n: number, m: number, axis: 0 | 1, magnitude: boolean): Uint8Array {
  const out = new Uint8Array(x.length);
  const len = axis === 1 ? cols : rows;
  const other = axis === 1 ? rows : cols;
  const key = (v: number) => (magnitude ? Math.abs(v) : v);
  for (let o = 0; o < other; o++) {
    for (let g = 0; g < len; g += m) {
      const t = Math.min(m, len - g);
      const keep = t === m ? n : Math.ceil((n * t) / m);
      const idx = Array.from({ length: t }, (_, j) => (axis === 1 ? o * cols + g + j : (g + j) * cols + o));
      const order = idx.slice().sort((a, b) => key(x[b]) - key(x[a]) || a - b);
      order.slice(0, keep).forEach((i) => (out[i] = 1));
    }
  }
  return out;
}

function data(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (Math.floor(r() * 12) - 6) * 0.5; // many ties
  return x;
}

describe.skipIf(skipNative)('N:M masks', () => {
  it('match the JS reference for many N:M, shapes, axes on every ISA', () => {
    let seed = 1;
    const cases: Array<[number, number]> = [[2, 4], [1, 4], [4, 8], [3, 5], [8, 16], [1, 2], [7, 9]];
    const shapes: Array<[number, number]> = [[1, 16], [5, 17], [17, 5], [16, 64], [3, 130]];
    forEachIsa(() => {
      for (const [n, m] of cases)
        for (const [rows, cols] of shapes)
          for (const axis of [0, 1] as const)
            for (const magnitude of [true, false]) {
              const x = data(rows * cols, ++seed);
              const got = nmMask(x, { rows, cols, n, m, axis, magnitude });
              expect(sameBytes(got, reference(x, rows, cols, n, m, axis, magnitude))).toBe(true);
            }
    });
  });

  it('reuses an output buffer and parses "2:4"', () => {
    const x = data(64, 3);
    const out = new Uint8Array(64);
    expect(nmMask(x, { rows: 4, cols: 16, n: 2, m: 4, out })).toBe(out);
    expect(parseNm('2:4')).toEqual({ n: 2, m: 4 });
    expectCode(() => parseNm('4:4'), 'BAD_INPUT', 'pattern');
  });

  it('rejects N >= M, M > 16, bad shapes, wrong dtype and NaN', () => {
    const x = data(16, 1);
    expectCode(() => nmMask(x, { rows: 4, cols: 4, n: 4, m: 4 }), 'BAD_INPUT', 'n');
    expectCode(() => nmMask(x, { rows: 4, cols: 4, n: 2, m: 17 }), 'BAD_INPUT', 'm');
    expectCode(() => nmMask(x, { rows: 4, cols: 5, n: 2, m: 4 }), 'BAD_INPUT', 'scores');
    expectCode(() => nmMask(x, { rows: 4, cols: 4, n: 2, m: 4, axis: 2 as 0 }), 'BAD_INPUT', 'axis');
    expectCode(() => nmMask(Array.from(x) as unknown as Float32Array, { rows: 4, cols: 4, n: 2, m: 4 }), 'BAD_INPUT', 'scores');
    x[3] = NaN;
    forEachIsa(() => expectCode(() => nmMask(x, { rows: 4, cols: 4, n: 2, m: 4 }), 'BAD_INPUT', 'scores'));
  });
});
