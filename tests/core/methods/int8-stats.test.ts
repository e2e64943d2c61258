// int8Stats (nonzeros and weight SQNR of per-channel int8 codes, no dequantized copy) against the
// plain definition (one loop, double precision), for both scale axes and row lengths that are and
// are not multiples of its four lanes, with pruned (zero) weights mixed in.
import { describe, expect, it } from 'vitest';
import { int8Stats, sqnrDb } from '../../../main/core/methods/quantization/stats';
import { quantizeInt8PerChannel } from '../../../main/core/native';
import { Rng } from '../../../main/core/data/rng';

describe('int8Stats', () => {
  for (const [rows, cols] of [[1, 1], [3, 4], [5, 7], [16, 33], [64, 256]]) {
    for (const axis of [0, 1] as const) {
      it(`${rows}x${cols}, scales along axis ${axis}: equals the plain definition`, () => {
        const rng = new Rng(rows * 100 + cols + axis);
        const w = new Float32Array(rows * cols);
        for (let i = 0; i < w.length; i++) w[i] = rng.u32() % 3 === 0 ? 0 : rng.normal();
        const r = quantizeInt8PerChannel(w, { rows, cols, axis });
        let nz = 0;
        let sig = 0;
        let noise = 0;
        for (let i = 0; i < w.length; i++) {
          const scale = r.scales[axis === 0 ? Math.floor(i / cols) : i % cols];
          if (r.q[i] !== 0) nz++;
          sig += w[i] * w[i];
          noise += (w[i] - r.q[i] * scale) ** 2;
        }
        const want = { nonzeros: nz, weightSqnrDb: sqnrDb(sig, noise) };
        const got = int8Stats(w, r.q, r.scales, rows, cols, axis);
        expect(got.nonzeros).toBe(want.nonzeros);
        expect(got.weightSqnrDb).toBeCloseTo(want.weightSqnrDb, 6);
      });
    }
  }
});
