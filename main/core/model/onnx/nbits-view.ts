// A MatMulNBits weight as the layer it stands for. Its stored tensor is uint8 [N, nBlocks,
// blockSize/2] (two 4-bit codes a byte, nbits.ts), so read as stored it would count half the
// parameters and "nonzero bytes" instead of nonzero weights. The view gives the K x N weights
// it encodes: the parameter count, the nonzeros (a weight is zero where its code equals the
// block's zero point or the block's scale is 0) and the chunks as code - zero point, in the stored
// order with the last block's padding left out. Codes, not dequantized values, as for the other
// quantized layers (their codes are what the zoo's statistics and masks describe).
import type { NodeInfo, Weight, WeightChunk } from '../ir';
import { nBlocks } from './nbits';

type Logical = Pick<Weight, 'logicalNumel' | 'nonzeros' | 'chunks'>;

/**
 * The logical view of `w` (the B input of `node`, a MatMulNBits), or undefined when the node's
 * attributes and the stored tensors disagree (the weight is then counted as stored).
 */
export function nbitsLogical(w: Weight, node: NodeInfo, scales?: Weight, zeroPoints?: Weight): Logical | undefined {
  const a = node.attributes;
  const K = typeof a.K === 'number' ? a.K : NaN;
  const N = typeof a.N === 'number' ? a.N : NaN;
  const bits = typeof a.bits === 'number' ? a.bits : 4;
  const blockSize = typeof a.block_size === 'number' ? a.block_size : NaN;
  if (bits !== 4 || !(K > 0 && N > 0 && blockSize >= 16) || w.dtype !== 'uint8') return undefined;
  const nb = nBlocks(K, blockSize);
  const half = blockSize / 2;
  if (w.numel !== N * nb * half) return undefined;
  if (scales && scales.numel !== N * nb) return undefined;
  // Zero points: 4-bit codes packed like B (absent: 8); float zero points are not decoded.
  if (zeroPoints && (zeroPoints.dtype !== 'uint8' || zeroPoints.numel !== N * Math.ceil(nb / 2))) return undefined;
  let zp: Uint8Array | undefined;
  let sc: Float32Array | undefined;
  const blockZero = (blk: number): number => {
    zp ??= zeroPoints ? zeroPoints.bytes() : new Uint8Array(0);
    if (!zeroPoints) return 8;
    const n = Math.floor(blk / nb);
    const b = blk % nb;
    const byte = zp[n * Math.ceil(nb / 2) + (b >> 1)];
    return b & 1 ? byte >> 4 : byte & 15;
  };
  const blockScaleZero = (blk: number): boolean => {
    if (!scales) return false;
    sc ??= scales.float32();
    return sc[blk] === 0;
  };
  // Streams the codes block by block (N * nb blocks of `half` bytes), minus their zero point.
  function* blocks(maxElements: number): Iterable<WeightChunk> {
    const blocksPerChunk = Math.max(1, Math.floor(maxElements / blockSize));
    let first = 0;
    for (let blk0 = 0; blk0 < N * nb; blk0 += blocksPerChunk) {
      const blk1 = Math.min(N * nb, blk0 + blocksPerChunk);
      const raw = w.byteRange(blk0 * half, (blk1 - blk0) * half);
      const out: number[] = [];
      for (let blk = blk0; blk < blk1; blk++) {
        const z = blockZero(blk);
        const zeroBlock = blockScaleZero(blk);
        const valid = Math.min(blockSize, K - (blk % nb) * blockSize);
        for (let i = 0; i < valid; i++) {
          const byte = raw[(blk - blk0) * half + (i >> 1)];
          const code = i & 1 ? byte >> 4 : byte & 15;
          out.push(zeroBlock ? 0 : code - z);
        }
      }
      yield { first, values: Float32Array.from(out) };
      first += out.length;
    }
  }
  return {
    logicalNumel: K * N,
    chunks: (max = 1 << 22) => blocks(max),
    nonzeros: () => {
      let n = 0;
      for (const c of blocks(1 << 22)) for (const v of c.values) if (v !== 0) n++;
      return n;
    },
  };
}
