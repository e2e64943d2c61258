// Scores + pattern + level -> mask (canonical [rows, cols], 1 = keep). Every pruning criterion
// goes through here, so a pattern means the same thing for magnitude, random and Wanda.
import type { Pattern } from './pattern';
import { unstructuredMask } from './unstructured';
import { nmMask, nmUnfit } from './nm';
import { blockMask, blockUnfit } from './block';
import { channelMask } from './channel';

export * from './pattern';
export { nmUnfit } from './nm';
export { blockUnfit, blockLevel } from './block';

/** Why a layer of this shape cannot take the pattern (undefined when it can). */
export function patternUnfit(p: Pattern, rows: number, cols: number): string | undefined {
  if (p.kind === 'nm') return nmUnfit(cols, p.m);
  if (p.kind === 'block') return blockUnfit(rows, cols, p.rows, p.cols);
  if (p.kind === 'channel' && rows < 2) return 'a single output channel cannot be pruned';
  return undefined;
}

export function maskForPattern(scores: Float32Array, rows: number, cols: number, p: Pattern, sparsity: number, opts: { scope: 'layer' | 'row' }): Uint8Array {
  switch (p.kind) {
    case 'unstructured':
      return unstructuredMask(scores, rows, cols, sparsity, opts.scope);
    case 'nm':
      return nmMask(scores, rows, cols, p.n, p.m);
    case 'block':
      return blockMask(scores, rows, cols, p.rows, p.cols, sparsity);
    case 'channel':
      return channelMask(scores, rows, cols, sparsity);
  }
}
