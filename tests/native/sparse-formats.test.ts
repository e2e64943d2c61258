import { describe, expect, it } from 'vitest';
import { nmMask, applyMask, pack24, packBitmap, packBsr, packCsr, unpack24, unpackBitmap, unpackBsr, unpackCsr } from '../../main/core/native';
import { expectCode, randomF32, rng, skipNative } from './helpers';

function sparse(n: number, density: number, seed: number): Float32Array {
  const r = rng(seed);
  const w = randomF32(n, seed + 100);
  for (let i = 0; i < n; i++) if (r() > density) w[i] = 0;
  return w;
}

describe.skipIf(skipNative)('sparse formats', () => {
  it('2:4 round trip after a 2:4 mask', () => {
    const rows = 16;
    const cols = 64;
    const w = randomF32(rows * cols, 9);
    applyMask(w, nmMask(w, { rows, cols, n: 2, m: 4 }));
    const p = pack24(w, { rows, cols });
    expect(p.values.length).toBe((rows * cols) / 2);
    expect(p.meta.length).toBe(rows * (cols / 8));
    expect(unpack24(p, { rows, cols })).toEqual(w);
    w[0] = w[1] = w[2] = 1;
    expectCode(() => pack24(w, { rows, cols }), 'BAD_INPUT', 'weights');
  });

  it('bitmap, CSR and BSR round trips with a JS check of CSR', () => {
    const rows = 24;
    const cols = 40;
    const w = sparse(rows * cols, 0.2, 5);
    const bm = packBitmap(w);
    expect(unpackBitmap(bm, w.length)).toEqual(w);
    const csr = packCsr(w, { rows, cols });
    let k = 0;
    for (let r = 0; r < rows; r++) {
      expect(csr.rowPtr[r]).toBe(k);
      for (let c = 0; c < cols; c++)
        if (w[r * cols + c] !== 0) {
          expect(csr.colIdx[k]).toBe(c);
          expect(csr.values[k++]).toBe(w[r * cols + c]);
        }
    }
    expect(unpackCsr(csr, { rows, cols })).toEqual(w);
    const bsr = packBsr(w, { rows, cols, blockRows: 4, blockCols: 8 });
    expect(unpackBsr(bsr, { rows, cols, blockRows: 4, blockCols: 8 })).toEqual(w);
  });

  it('validates packed input', () => {
    const w = sparse(64, 0.5, 1);
    const csr = packCsr(w, { rows: 8, cols: 8 });
    if (csr.colIdx.length) {
      csr.colIdx[0] = 99;
      expectCode(() => unpackCsr(csr, { rows: 8, cols: 8 }), 'BAD_INPUT', 'colIdx');
    }
    expectCode(() => packBsr(w, { rows: 8, cols: 8, blockRows: 3, blockCols: 4 }), 'BAD_INPUT', 'blockRows');
    const bm = packBitmap(w);
    expectCode(() => unpackBitmap({ bitmap: bm.bitmap, values: new Float32Array(bm.values.length + 1) }, 64), 'BAD_INPUT', 'values');
  });
});
