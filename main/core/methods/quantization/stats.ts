// Weight-level quality of a quantized layer without materialising the dequantized weights
// (a fresh 4-byte-per-weight buffer is the slowest thing on our machines): nonzeros and SQNR.
import type { QuantStats } from '../method';

/** Stats of int8 codes with one scale per row (axis 0) or per column (axis 1) of [rows, cols]. */
export function int8Stats(w: Float32Array, q: Int8Array, scales: Float32Array, rows: number, cols: number, axis: 0 | 1): QuantStats {
  let nz = 0;
  let s = 0;
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      const code = q[base + c];
      if (code !== 0) nz++;
      const v = w[base + c];
      const d = v - code * scales[axis === 0 ? r : c];
      s += v * v;
      n += d * d;
    }
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
