// Block: whole R x C tiles of the canonical matrix are kept or pruned by the sum of their scores;
// exactly floor(s · blocks) tiles are pruned. Layers whose shape is not a multiple of the block
// are left alone (with the reason): a partial tile would make the level inexact.
import { blockMaskKernel } from '../kernels';

export function blockUnfit(rows: number, cols: number, br: number, bc: number): string | undefined {
  if (rows % br !== 0) return `${rows} outputs is not a multiple of the block height ${br}`;
  if (cols % bc !== 0) return `${cols} inputs per output is not a multiple of the block width ${bc}`;
  return undefined;
}

export function blockMask(scores: Float32Array, rows: number, cols: number, br: number, bc: number, sparsity: number): Uint8Array {
  return blockMaskKernel(scores, rows, cols, br, bc, sparsity);
}

/** The level a block mask reaches: floor(s · blocks) / blocks. */
export function blockLevel(rows: number, cols: number, br: number, bc: number, sparsity: number): number {
  const blocks = (rows / br) * (cols / bc);
  return Math.floor(sparsity * blocks + 1e-9) / blocks;
}
