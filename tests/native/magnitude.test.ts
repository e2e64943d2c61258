import { describe, expect, it } from 'vitest';
import {
  applyMask,
  buildMaskByThreshold,
  countNonzero,
  globalMagnitudePrune,
  globalMagnitudeThreshold,
  kthLargestAbs,
  pruneByThreshold,
} from '../../main/core/native';
import { countFailures, expectCode, forEachIsa, randomF32, skipNative } from './helpers';

function tensors(): Float32Array[] {
  const a = randomF32(70_001, 1, 0.05);
  const b = randomF32(300_000, 2, 2); // > the small-size cut-off: the sampled band path
  const c = new Float32Array(513); // ties at zero
  for (let i = 0; i < c.length; i += 3) c[i] = 0.25;
  return [a, b, c];
}

function sortedAbs(ts: Float32Array[]): Float64Array {
  const all = new Float64Array(ts.reduce((s, t) => s + t.length, 0));
  let k = 0;
  for (const t of ts) for (const x of t) all[k++] = Math.abs(x);
  return all.sort();
}

describe.skipIf(skipNative)('magnitude kernels', () => {
  const ts = tensors();
  const sorted = sortedAbs(ts);
  const n = sorted.length;

  it('k-th largest |w| matches a sort on every ISA', () => {
    forEachIsa(() => {
      for (const k of [1, 2, 1000, Math.floor(n / 2), n - 7, n]) {
        expect(kthLargestAbs(ts, k).value).toBe(sorted[n - k]);
      }
    });
  });

  it('global threshold + masks prune exactly floor(sparsity * total)', () => {
    forEachIsa(() => {
      for (const s of [0, 0.3, 0.5, 0.9]) {
        const g = globalMagnitudeThreshold(ts, s);
        expect(g.pruneCount).toBe(Math.floor(s * n));
        expect(g.threshold).toBe(sorted[g.pruneCount]);
        let ties = g.tiesToPrune;
        let pruned = 0;
        for (const t of ts) {
          const { mask, tiesPruned } = buildMaskByThreshold(t, g.threshold, { tiesToPrune: ties });
          ties -= tiesPruned;
          pruned += t.length - countNonzero(mask);
          expect(countFailures(t.length, (i) => !(Math.abs(t[i]) > g.threshold) || mask[i] === 1)).toBe(0);
        }
        expect(pruned).toBe(g.pruneCount);
      }
    });
  });

  it('prune in place and apply mask agree with the mask', () => {
    forEachIsa(() => {
      const copies = ts.map((t) => t.slice());
      const g = globalMagnitudePrune(copies, 0.6);
      const zeros = copies.reduce((s, t) => s + t.length - countNonzero(t), 0);
      const zerosBefore = ts.reduce((s, t) => s + t.length - countNonzero(t), 0);
      expect(zeros).toBeGreaterThanOrEqual(Math.max(g.pruneCount, zerosBefore));
      const w = ts[1].slice();
      const { mask } = buildMaskByThreshold(w, g.threshold);
      const v = w.slice();
      applyMask(v, mask);
      pruneByThreshold(w, g.threshold);
      expect(Buffer.from(v.buffer).equals(Buffer.from(w.buffer))).toBe(true);
    });
  });

  it('counts nonzeros (-0 is zero, NaN is not)', () => {
    const x = new Float32Array([0, -0, 1, NaN, -2, 0]);
    forEachIsa(() => expect(countNonzero(x)).toBe(3));
    expect(countNonzero(new Uint8Array([0, 1, 200, 0]))).toBe(2);
  });

  it('rejects bad input with BAD_INPUT naming the argument', () => {
    expectCode(() => globalMagnitudeThreshold([new Float64Array(4) as unknown as Float32Array], 0.5), 'BAD_INPUT', 'tensors[0]');
    expectCode(() => globalMagnitudeThreshold(ts, -0.1), 'BAD_INPUT', 'sparsity');
    expectCode(() => globalMagnitudeThreshold(ts, 1), 'BAD_INPUT', 'sparsity');
    expectCode(() => globalMagnitudeThreshold(ts, NaN), 'BAD_INPUT', 'sparsity');
    expectCode(() => applyMask(new Float32Array(4), new Uint8Array(3)), 'BAD_INPUT', 'mask');
    expectCode(() => kthLargestAbs(ts, 0), 'BAD_INPUT', 'k');
    const bad = randomF32(1000, 5);
    bad[999] = NaN;
    forEachIsa(() => {
      expectCode(() => globalMagnitudeThreshold([bad], 0.5), 'BAD_INPUT', 'tensors');
      expectCode(() => buildMaskByThreshold(bad, 0.1), 'BAD_INPUT', 'weights');
    });
  });
});
