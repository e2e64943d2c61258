// DSnoT (Zhang et al. 2023, "Dynamic Sparse No Training"): a training-free prune-and-grow
// refinement of a pruning mask. Per output row, one pruned weight is grown back and one kept
// weight is pruned per cycle, so the row's sparsity never changes and no weight is retrained.
// The paper scores swaps with a surrogate of the row's reconstruction error built from input
// means and variances; here the swap is scored by the exact change of that error,
// ‖(w − ŵ)·X‖² = δᵀHδ with H = XᵀX from the calibration inputs (the Hessian SparseGPT and
// GPTQ use), which the surrogate approximates. Grow: the pruned weight whose return lowers
// the error most; prune: the kept weight whose removal (after that growth) raises it least;
// swap only while the pair lowers the error.
import { linear } from '../native/transformer';

export interface DsnotOptions {
  rows: number;
  cols: number;
  /** Swap cycles per row at most (default 50, as in the paper). */
  maxCycles?: number;
}

/**
 * Refines `mask` (1 = kept, [rows, cols]) and the current weights `cur` in place, given the
 * dense weights `dense` and H [cols, cols]. Grown weights come back at their dense value.
 * Returns the number of swaps made.
 */
export function dsnotRefine(dense: Float32Array, cur: Float32Array, mask: Uint8Array, h: Float32Array, opts: DsnotOptions): number {
  const { rows, cols } = opts;
  const maxCycles = opts.maxCycles ?? 50;
  // G[r] = H·δ_r for every row at once (δ = dense − current), on the native sgemm.
  const delta = new Float32Array(rows * cols);
  for (let i = 0; i < delta.length; i++) delta[i] = dense[i] - cur[i];
  const G = linear(delta, rows, cols, h, cols);
  const diag = new Float64Array(cols);
  for (let j = 0; j < cols; j++) diag[j] = h[j * cols + j];
  let swaps = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let cycle = 0; cycle < maxCycles; cycle++) {
      // Grow j: δ_j goes to 0, a change a = −δ_j; the error changes by 2a·g_j + a²·H_jj.
      let grow = -1;
      let growGain = 0;
      for (let j = 0; j < cols; j++) {
        if (mask[o + j]) continue;
        const a = -(dense[o + j] - cur[o + j]);
        const d = 2 * a * G[o + j] + a * a * diag[j];
        if (d < growGain) {
          growGain = d;
          grow = j;
        }
      }
      if (grow < 0) break;
      const ag = -(dense[o + grow] - cur[o + grow]);
      const hg = grow * cols;
      // Prune j (after the growth): a = ŵ_j; g' = g + a_g·H[:, grow].
      let prune = -1;
      let pruneCost = Infinity;
      for (let j = 0; j < cols; j++) {
        if (!mask[o + j] || j === grow) continue;
        const a = cur[o + j];
        const d = 2 * a * (G[o + j] + ag * h[hg + j]) + a * a * diag[j];
        if (d < pruneCost) {
          pruneCost = d;
          prune = j;
        }
      }
      if (prune < 0 || growGain + pruneCost >= 0) break;
      const ap = cur[o + prune];
      const hp = prune * cols;
      for (let j = 0; j < cols; j++) G[o + j] += ag * h[hg + j] + ap * h[hp + j];
      cur[o + grow] = dense[o + grow];
      cur[o + prune] = 0;
      mask[o + grow] = 1;
      mask[o + prune] = 0;
      swaps++;
    }
  }
  return swaps;
}
