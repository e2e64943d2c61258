import { describe, expect, it } from 'vitest';
import {
  dequantizeInt4Groups,
  dequantizeInt8PerChannel,
  int4ToSigned,
  packInt4ZeroPoints,
  quantizeInt4Groups,
  quantizeInt8PerChannel,
} from '../../main/core/native';
import { countFailures, expectCode, forEachIsa, randomF32, rne, sameBytes, skipNative } from './helpers';

const f = Math.fround;

function int8Ref(w: Float32Array, rows: number, cols: number, axis: 0 | 1) {
  const nCh = axis === 0 ? rows : cols;
  const amax = new Float64Array(nCh);
  for (let i = 0; i < w.length; i++) {
    const c = axis === 0 ? Math.floor(i / cols) : i % cols;
    amax[c] = Math.max(amax[c], Math.abs(w[i]));
  }
  const scales = Float32Array.from(amax, (a) => (a > 0 ? f(a / 127) : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const s = scales[axis === 0 ? Math.floor(i / cols) : i % cols];
    q[i] = Math.min(127, Math.max(-127, rne(f(w[i] / s))));
  }
  return { q, scales };
}

function int4Ref(w: Float32Array, g: number, symmetric: boolean) {
  const groups = w.length / g;
  const packed = new Uint8Array(w.length / 2);
  const scales = new Float32Array(groups);
  const zps = new Uint8Array(groups);
  for (let gi = 0; gi < groups; gi++) {
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = gi * g; i < (gi + 1) * g; i++) {
      mn = Math.min(mn, w[i]);
      mx = Math.max(mx, w[i]);
    }
    let scale: number;
    let zp: number;
    if (symmetric) {
      const amax = Math.max(-mn, mx);
      scale = amax > 0 ? f(amax / 7) : 1;
      zp = 8;
    } else {
      const lo = Math.min(mn, 0);
      const range = f(Math.max(mx, 0) - lo);
      scale = range > 0 ? f(range / 15) : 1;
      zp = Math.min(15, Math.max(0, rne(f(-lo / scale))));
    }
    scales[gi] = scale;
    zps[gi] = zp;
    for (let i = gi * g; i < (gi + 1) * g; i += 2) {
      const a = Math.min(15, Math.max(0, rne(f(w[i] / scale)) + zp));
      const b = Math.min(15, Math.max(0, rne(f(w[i + 1] / scale)) + zp));
      packed[i / 2] = a | (b << 4);
    }
  }
  return { packed, scales, zps };
}

describe.skipIf(skipNative)('quantization kernels', () => {
  it('int8 per-channel matches the JS reference on both axes and every ISA', () => {
    for (const [rows, cols] of [[7, 33], [64, 100], [1, 1000], [300, 17]] as const) {
      const w = randomF32(rows * cols, rows + cols, 0.1);
      w[5] = 0;
      for (const axis of [0, 1] as const) {
        const ref = int8Ref(w, rows, cols, axis);
        forEachIsa(() => {
          const r = quantizeInt8PerChannel(w, { rows, cols, axis });
          expect(sameBytes(r.q, ref.q)).toBe(true);
          expect(sameBytes(r.scales, ref.scales)).toBe(true);
          const d = dequantizeInt8PerChannel(r.q, r.scales, { rows, cols, axis });
          for (let i = 0; i < w.length; i += 97) expect(d[i]).toBe(f(r.q[i] * r.scales[axis === 0 ? Math.floor(i / cols) : i % cols]));
        });
      }
    }
  });

  it('int8 rounds half to even and reuses output buffers', () => {
    const w = new Float32Array([127, 0.5, 1.5, 2.5, -2.5, 126.5]);
    const q = new Int8Array(6);
    const scales = new Float32Array(1);
    forEachIsa(() => {
      const r = quantizeInt8PerChannel(w, { rows: 1, cols: 6, axis: 0, out: { q, scales } });
      expect(r.q).toBe(q);
      expect(Array.from(q)).toEqual([127, 0, 2, 2, -2, 126]);
    });
  });

  it('int4 groups (sym/asym, 32/64/128) match the JS reference and round-trip', () => {
    for (const g of [32, 64, 128] as const)
      for (const symmetric of [true, false]) {
        const rows = 9;
        const cols = g * 3;
        const w = randomF32(rows * cols, g + (symmetric ? 1 : 2), 0.2);
        const ref = int4Ref(w, g, symmetric);
        forEachIsa(() => {
          const r = quantizeInt4Groups(w, { rows, cols, groupSize: g, symmetric });
          expect(sameBytes(r.packed, ref.packed)).toBe(true);
          expect(sameBytes(r.scales, ref.scales)).toBe(true);
          if (!symmetric) expect(sameBytes(r.zeroPoints!, ref.zps)).toBe(true);
          const d = dequantizeInt4Groups(r, { rows, cols });
          expect(countFailures(w.length, (i) => Math.abs(d[i] - w[i]) <= r.scales[Math.floor(i / g)] * 0.5001)).toBe(0);
        });
      }
  });

  it('int4 helpers: signed nibbles and packed zero points', () => {
    expect(Array.from(int4ToSigned(new Uint8Array([0x88, 0x9f])))).toEqual([0x00, 0x17]);
    expect(Array.from(packInt4ZeroPoints(new Uint8Array([1, 2, 3, 4, 5, 6]), 2, 3))).toEqual([0x21, 0x03, 0x54, 0x06]);
  });

  it('rejects bad group sizes, shapes and non-finite weights', () => {
    const w = randomF32(256, 1);
    expectCode(() => quantizeInt4Groups(w, { rows: 2, cols: 128, groupSize: 48 as 32 }), 'BAD_INPUT', 'groupSize');
    expectCode(() => quantizeInt4Groups(w, { rows: 4, cols: 64, groupSize: 128 }), 'BAD_INPUT', 'cols');
    expectCode(() => quantizeInt8PerChannel(w, { rows: 3, cols: 64, axis: 0 }), 'BAD_INPUT', 'weights');
    expectCode(() => quantizeInt8PerChannel(w, { rows: 2, cols: 128, axis: 3 as 0 }), 'BAD_INPUT', 'axis');
    w[10] = Infinity;
    forEachIsa(() => {
      expectCode(() => quantizeInt8PerChannel(w, { rows: 2, cols: 128, axis: 1 }), 'BAD_INPUT', 'weights');
      expectCode(() => quantizeInt4Groups(w, { rows: 2, cols: 128, groupSize: 32 }), 'BAD_INPUT', 'weights');
    });
  });
});
