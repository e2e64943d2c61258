// Weight-level quality of a quantized layer without materialising the dequantized weights
// (a fresh 4-byte-per-weight buffer is the slowest thing on our machines): nonzeros and SQNR.
import type { QuantStats } from '../method';

/** Stats of int8 codes with one scale per row (axis 0) or per column (axis 1) of [rows, cols]. */
export function int8Stats(w: Float32Array, q: Int8Array, scales: Float32Array, rows: number, cols: number, axis: 0 | 1): QuantStats {
  // One pass over 100M weights is seconds of JavaScript if written plainly: a pruned weight's
  // zeros make `code !== 0` an unpredictable branch, so nonzeros are counted without one
  // ((c | -c) >>> 31 is 1 for any nonzero int8), and four lanes with their own sums break the
  // dependency chains. The row's scale is passed as a stride-0 view of one value for axis 0, so
  // both layouts share one loop with no per-element choice.
  const acc = { nz: 0, s: 0, n: 0 };
  for (let r = 0; r < rows; r++) {
    if (axis === 0) rowStats(w, q, scales, r * cols, cols, r, 0, acc);
    else rowStats(w, q, scales, r * cols, cols, 0, 1, acc);
  }
  return { nonzeros: acc.nz, weightSqnrDb: sqnrDb(acc.s, acc.n) };
}

/** One row's nonzeros, Σw² and Σ(w − q·scale)²; the scale of column c is scales[s0 + c·step]. */
function rowStats(w: Float32Array, q: Int8Array, scales: Float32Array, base: number, cols: number, s0: number, step: 0 | 1, acc: { nz: number; s: number; n: number }): void {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  let e0 = 0, e1 = 0, e2 = 0, e3 = 0;
  let z = 0;
  const tail = cols - (cols % 4);
  for (let c = 0; c < tail; c += 4) {
    const i = base + c;
    const k = s0 + c * step;
    const q0 = q[i], q1 = q[i + 1], q2 = q[i + 2], q3 = q[i + 3];
    const v0 = w[i], v1 = w[i + 1], v2 = w[i + 2], v3 = w[i + 3];
    const d0 = v0 - q0 * scales[k];
    const d1 = v1 - q1 * scales[k + step];
    const d2 = v2 - q2 * scales[k + 2 * step];
    const d3 = v3 - q3 * scales[k + 3 * step];
    z += ((q0 | -q0) >>> 31) + ((q1 | -q1) >>> 31) + ((q2 | -q2) >>> 31) + ((q3 | -q3) >>> 31);
    a0 += v0 * v0;
    a1 += v1 * v1;
    a2 += v2 * v2;
    a3 += v3 * v3;
    e0 += d0 * d0;
    e1 += d1 * d1;
    e2 += d2 * d2;
    e3 += d3 * d3;
  }
  for (let c = tail; c < cols; c++) {
    const code = q[base + c];
    const v = w[base + c];
    const d = v - code * scales[s0 + c * step];
    z += (code | -code) >>> 31;
    a0 += v * v;
    e0 += d * d;
  }
  acc.nz += z;
  acc.s += a0 + a1 + a2 + a3;
  acc.n += e0 + e1 + e2 + e3;
}

/** Stats from the dequantized weights. */
export function denseStats(w: Float32Array, dq: Float32Array): QuantStats {
  let nz = 0;
  let s = 0;
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    if (dq[i] !== 0) nz++;
    s += w[i] * w[i];
    n += (w[i] - dq[i]) ** 2;
  }
  return { nonzeros: nz, weightSqnrDb: sqnrDb(s, n) };
}

export function sqnrDb(signal: number, noise: number): number {
  return noise === 0 ? 999 : Math.min(999, 10 * Math.log10(signal / noise));
}
