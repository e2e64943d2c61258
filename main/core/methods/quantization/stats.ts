// Weight-level quality of a quantized layer without materialising the dequantized weights
// (a fresh 4-byte-per-weight buffer is the slowest thing on our machines): nonzeros and SQNR.
import type { QuantStats } from '../method';

/** Stats of int8 codes with one scale per row (axis 0) or per column (axis 1) of [rows, cols]. */
export function int8Stats(w: Float32Array, q: Int8Array, scales: Float32Array, rows: number, cols: number, axis: 0 | 1): QuantStats {
  // One pass over 100M weights takes seconds if the loop body branches on the axis or reads
  // the scale per element: the two layouts get their own loops, and the sums are kept per row
  // so that double additions stay few and exact enough.
  let nz = 0;
  let s = 0;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let rs = 0;
    let rn = 0;
    let rz = 0;
    if (axis === 0) {
      const sc = scales[r];
      for (let c = 0; c < cols; c++) {
        const code = q[base + c];
        const v = w[base + c];
        const d = v - code * sc;
        rz += code !== 0 ? 1 : 0;
        rs += v * v;
        rn += d * d;
      }
    } else {
      for (let c = 0; c < cols; c++) {
        const code = q[base + c];
        const v = w[base + c];
        const d = v - code * scales[c];
        rz += code !== 0 ? 1 : 0;
        rs += v * v;
        rn += d * d;
      }
    }
    nz += rz;
    s += rs;
    n += rn;
  }
  return { nonzeros: nz, weightSqnrDb: sqnrDb(s, n) };
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
