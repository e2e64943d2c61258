// N:M: keep the n highest scores of every m consecutive inputs of each output row (canonical
// columns, so along input channels for convolutions). Exactly 1 - n/m sparsity per layer.
import { nmMaskKernel } from '../kernels';

/** Why a layer cannot take n:m (undefined when it can). */
export function nmUnfit(cols: number, m: number): string | undefined {
  return cols % m === 0 ? undefined : `${cols} inputs per output is not a multiple of M=${m}`;
}

export function nmMask(scores: Float32Array, rows: number, cols: number, n: number, m: number): Uint8Array {
  return nmMaskKernel(scores, rows, cols, n, m);
}
