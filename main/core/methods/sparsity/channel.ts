// Channel / filter pruning: whole output channels (rows) go, ranked by the L2 norm of their
// scores; exactly floor(s · rows) rows are pruned (at least one kept). Physical removal of the
// pruned channels from the graph is planned by channel-removal.ts.
import { rowNorms } from '../kernels';

export function channelMask(scores: Float32Array, rows: number, cols: number, sparsity: number): Uint8Array {
  const norms = rowNorms(scores, rows, cols);
  const prune = Math.min(rows - 1, Math.floor(sparsity * rows + 1e-9));
  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => norms[a] - norms[b] || a - b);
  const mask = new Uint8Array(rows * cols).fill(1);
  for (let k = 0; k < prune; k++) mask.fill(0, order[k] * cols, (order[k] + 1) * cols);
  return mask;
}
