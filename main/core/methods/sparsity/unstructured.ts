// Unstructured: any weight may go. Exactly floor(s · n) scores are pruned per layer, also when
// they are compared within each output row (Wanda): every row prunes floor(s · cols) and the
// remainder goes one each to the first rows, so the layer level is exact either way. Ties at a
// threshold are split deterministically by index.
import { pruneCount, thresholdMask } from '../kernels';

export function unstructuredMask(scores: Float32Array, rows: number, cols: number, sparsity: number, scope: 'layer' | 'row'): Uint8Array {
  if (scope === 'layer' || rows === 1) return thresholdMask(scores, sparsity);
  const total = pruneCount(sparsity, rows * cols);
  const base = Math.floor(total / rows);
  const extra = total - base * rows;
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const k = base + (r < extra ? 1 : 0);
    mask.set(thresholdMask(scores.subarray(r * cols, (r + 1) * cols), k / cols), r * cols);
  }
  return mask;
}
