// Unstructured: any weight may go. Exactly floor(s · n) scores are pruned per layer (or per
// row, Wanda's comparison group); ties at the threshold are split deterministically by index.
import { thresholdMask } from '../kernels';

export function unstructuredMask(scores: Float32Array, rows: number, cols: number, sparsity: number, scope: 'layer' | 'row'): Uint8Array {
  if (scope === 'layer') return thresholdMask(scores, sparsity);
  const mask = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) mask.set(thresholdMask(scores.subarray(r * cols, (r + 1) * cols), sparsity), r * cols);
  return mask;
}

/** Packed format that pays for unstructured zeros: a bitmap up to ~70% sparsity, CSR beyond. */
export function unstructuredPacking(sparsity: number): 'bitmap' | 'csr' {
  return sparsity >= 0.7 ? 'csr' : 'bitmap';
}
