// Layout of ONNX Runtime's com.microsoft MatMulNBits (4-bit weight-only MatMul), and a reference
// quantizer that produces it. Layout, for a MatMul weight W [K, N] (in, out):
//   B           uint8 [N, nBlocks, blockSize/2]   codes of column n, block b, low nibble first
//   scales      float [N * nBlocks]
//   zero_points uint8 [N * ceil(nBlocks/2)]       4-bit, low nibble first (absent: 8)
//   value(k, n) = (q − zp) · scale,               nBlocks = ceil(K / blockSize)
import { badInput } from '../../errors';

export interface NBitsWeights {
  K: number;
  N: number;
  blockSize: number;
  /** uint8 [N, nBlocks, blockSize/2]. */
  packed: Uint8Array;
  /** float32 [N * nBlocks]. */
  scales: Float32Array;
  /** Packed 4-bit zero points [N * ceil(nBlocks/2)]; omitted means 8 (symmetric). */
  zeroPoints?: Uint8Array;
}

/** Blocks per column. */
export function nBlocks(K: number, blockSize: number): number {
  return Math.ceil(K / blockSize);
}

/** Checks that a set of MatMulNBits arrays have the layout above. */
export function checkNBits(q: NBitsWeights): void {
  const { K, N, blockSize } = q;
  if (!(blockSize >= 16 && (blockSize & (blockSize - 1)) === 0)) throw badInput(`MatMulNBits block size ${blockSize} must be a power of two ≥ 16.`);
  const nb = nBlocks(K, blockSize);
  if (q.packed.byteLength !== N * nb * (blockSize / 2)) throw badInput(`MatMulNBits B has ${q.packed.byteLength} bytes; [${N}, ${nb}, ${blockSize / 2}] needs ${N * nb * (blockSize / 2)}.`);
  if (q.scales.length !== N * nb) throw badInput(`MatMulNBits scales have ${q.scales.length} values; ${N * nb} needed.`);
  if (q.zeroPoints && q.zeroPoints.byteLength !== N * Math.ceil(nb / 2)) throw badInput(`MatMulNBits zero points have ${q.zeroPoints.byteLength} bytes; ${N * Math.ceil(nb / 2)} needed.`);
}

/**
 * Reference 4-bit block quantization of W [K, N] (row-major, MatMul B layout) into the
 * MatMulNBits layout: symmetric (scale = max|w|/7, zero point 8) or asymmetric (min/max, 0..15).
 */
export function quantizeNBits(w: Float32Array, K: number, N: number, blockSize: number, opts: { symmetric?: boolean } = {}): NBitsWeights {
  if (w.length !== K * N) throw badInput(`Weight has ${w.length} values; [${K}, ${N}] needs ${K * N}.`);
  const nb = nBlocks(K, blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(N * nb * half);
  const scales = new Float32Array(N * nb);
  const symmetric = opts.symmetric ?? true;
  const zeroPoints = symmetric ? undefined : new Uint8Array(N * Math.ceil(nb / 2));
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nb; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(K, k0 + blockSize);
      let lo = 0;
      let hi = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[k * N + n];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      let scale: number;
      let zp: number;
      if (symmetric) {
        const amax = Math.max(-lo, hi);
        scale = amax / 7 || 1;
        zp = 8;
      } else {
        scale = (hi - lo) / 15 || 1;
        zp = Math.min(15, Math.max(0, Math.round(-lo / scale)));
        zeroPoints![n * Math.ceil(nb / 2) + (b >> 1)] |= zp << ((b & 1) * 4);
      }
      scales[n * nb + b] = scale;
      for (let k = k0; k < k1; k++) {
        const q = Math.min(15, Math.max(0, Math.round(w[k * N + n] / scale) + zp));
        const j = k - k0;
        packed[(n * nb + b) * half + (j >> 1)] |= q << ((j & 1) * 4);
      }
      // Padding past K stays code 0 (its products meet zero-padded activations).
    }
  }
  return { K, N, blockSize, packed, scales, zeroPoints };
}

/** Decodes MatMulNBits arrays back to W [K, N] (for checks and fidelity estimates). */
export function dequantizeNBits(q: NBitsWeights): Float32Array {
  const { K, N, blockSize } = q;
  const nb = nBlocks(K, blockSize);
  const half = blockSize / 2;
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nb; b++) {
      const zp = q.zeroPoints ? (q.zeroPoints[n * Math.ceil(nb / 2) + (b >> 1)] >> ((b & 1) * 4)) & 0xf : 8;
      const scale = q.scales[n * nb + b];
      for (let j = 0; j < blockSize && b * blockSize + j < K; j++) {
        const code = (q.packed[(n * nb + b) * half + (j >> 1)] >> ((j & 1) * 4)) & 0xf;
        out[(b * blockSize + j) * N + n] = (code - zp) * scale;
      }
    }
  }
  return out;
}
