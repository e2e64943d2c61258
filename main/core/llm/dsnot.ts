// DSnoT (Zhang et al. 2023, "Dynamic Sparse No Training"): a training-free refinement of a
// pruning mask. For each output row it tracks the expected reconstruction error
// e = Σ_{j pruned} w_j·E[x_j] (dense minus sparse output) and swaps weights one pair at a time:
// grow the pruned weight that brings e closest to 0, prune the kept weight with the smallest
// Wanda score |w_j|·‖x_j‖ whose removal does not push e back up, and keep the swap only when
// |e| falls. Sparsity per row stays the same; weights are not changed, only which are kept.

export interface DsnotOptions {
  rows: number;
  cols: number;
  /** Swap cycles per row at most (default 50). */
  maxCycles?: number;
  /** Stop a row when |e| is below this fraction of its starting value (default 0: run to the end). */
  tolerance?: number;
}

/**
 * Refines `mask` (1 = kept, [rows, cols]) in place for weights `w` (the dense values) from the
 * input means E[x_j] and squared norms Σ x_j². Returns how many swaps were made.
 */
export function dsnotRefine(w: Float32Array, mask: Uint8Array, mean: Float32Array, sqNorm: Float32Array, opts: DsnotOptions): number {
  const { rows, cols } = opts;
  const maxCycles = opts.maxCycles ?? 50;
  const tol = opts.tolerance ?? 0;
  const norm = new Float32Array(cols);
  for (let j = 0; j < cols; j++) norm[j] = Math.sqrt(Math.max(0, sqNorm[j]));
  let swaps = 0;
  for (let r = 0; r < rows; r++) {
    const wr = w.subarray(r * cols, (r + 1) * cols);
    const mr = mask.subarray(r * cols, (r + 1) * cols);
    let e = 0;
    for (let j = 0; j < cols; j++) if (!mr[j]) e += wr[j] * mean[j];
    const start = Math.abs(e);
    for (let cycle = 0; cycle < maxCycles; cycle++) {
      if (start === 0 || Math.abs(e) <= tol * start) break;
      // Grow: growing j moves e by -w_j·μ_j; take the move that lands closest to 0.
      let grow = -1;
      let best = Math.abs(e);
      for (let j = 0; j < cols; j++) {
        if (mr[j]) continue;
        const after = Math.abs(e - wr[j] * mean[j]);
        if (after < best) {
          best = after;
          grow = j;
        }
      }
      if (grow < 0) break;
      const eg = e - wr[grow] * mean[grow];
      // Prune: removing j moves e by +w_j·μ_j; among removals that keep |e| at most |eg| + the
      // gain still made, take the least important (Wanda score).
      let prune = -1;
      let score = Infinity;
      for (let j = 0; j < cols; j++) {
        if (!mr[j] || j === grow) continue;
        const after = Math.abs(eg + wr[j] * mean[j]);
        if (after >= Math.abs(e)) continue;
        const s = Math.abs(wr[j]) * norm[j];
        if (s < score) {
          score = s;
          prune = j;
        }
      }
      if (prune < 0) break;
      // Only a swap that does not cost more importance than it restores is worth making.
      if (score > Math.abs(wr[grow]) * norm[grow]) break;
      mr[grow] = 1;
      mr[prune] = 0;
      e = eg + wr[prune] * mean[prune];
      swaps++;
    }
  }
  return swaps;
}
