// Causal grouped-query attention for prefill-sized inputs (calibration, perplexity, `infer`)
// as two matrix products per (sequence, kv head) on the addon's GEMM: S = Q·Kᵀ for the query
// heads that share a kv head, a causal softmax in place, then O = P·V. The addon's own
// attention kernel walks one query row at a time with scalar dot products; at 512-token
// sequences these products run about 5× faster on the same cores (calibrating a 1B model spends
// minutes in attention otherwise). Single-token decoding keeps the kernel.
import type { AttentionShape } from '../native/transformer';
import { attention as attentionKernel, linear } from '../native/transformer';

/** out [batch*seq, heads*headDim] = softmax(QKᵀ/√d + causal mask)·V, K/V shared by groups of heads. */
export function causalAttention(q: Float32Array, k: Float32Array, v: Float32Array, s: AttentionShape): Float32Array {
  const { batch, seq: T, heads: H, kvHeads: KV, headDim: D } = s;
  const window = s.window ?? 0;
  // Short sequences: the products' setup outweighs their speed.
  if (T < 64) return attentionKernel(q, k, v, s);
  const group = H / KV;
  const qStride = H * D;
  const kStride = KV * D;
  const scale = 1 / Math.sqrt(D);
  const out = new Float32Array(q.length);
  // Query blocks: block b only sees keys [0, end of b), so the masked upper triangle is mostly
  // never computed (about 5/8 of the full products at 4 blocks).
  const qBlock = Math.min(T, 128);
  const qg = new Float32Array(group * qBlock * D); // [group*rows, D]: the block's query rows, head-major
  const kh = new Float32Array(T * D); // [T, D]
  const vt = new Float32Array(D * T); // [D, keys]: V transposed, so O = P·(Vᵀ)ᵀ is one linear
  const scores = new Float32Array(group * qBlock * T);
  const o = new Float32Array(group * qBlock * D);
  for (let n = 0; n < batch; n++) {
    const base = n * T;
    for (let g = 0; g < KV; g++) {
      for (let t = 0; t < T; t++) {
        const src = (base + t) * kStride + g * D;
        kh.set(k.subarray(src, src + D), t * D);
      }
      for (let i0 = 0; i0 < T; i0 += qBlock) {
        const i1 = Math.min(T, i0 + qBlock);
        const nb = i1 - i0;
        const k0 = window && i0 + 1 > window ? i0 + 1 - window : 0; // first key any row of the block sees
        const keys = i1 - k0;
        for (let t = k0; t < i1; t++) {
          const src = (base + t) * kStride + g * D;
          for (let d = 0; d < D; d++) vt[d * keys + (t - k0)] = v[src + d];
        }
        for (let j = 0; j < group; j++) {
          const h = g * group + j;
          for (let t = i0; t < i1; t++) {
            const src = (base + t) * qStride + h * D;
            qg.set(q.subarray(src, src + D), (j * nb + t - i0) * D);
          }
        }
        const rows = group * nb;
        linear(qg.subarray(0, rows * D), rows, D, kh.subarray(k0 * D, i1 * D), keys, undefined, scores.subarray(0, rows * keys));
        // Causal (and sliding-window) softmax of each row; masked entries become exact zeros.
        for (let row = 0; row < rows; row++) {
          const i = i0 + (row % nb);
          const off = row * keys - k0;
          const j0 = window && i + 1 > window ? i + 1 - window : 0;
          let mx = -Infinity;
          for (let j = j0; j <= i; j++) if (scores[off + j] > mx) mx = scores[off + j];
          let sum = 0;
          for (let j = j0; j <= i; j++) {
            const e = Math.exp((scores[off + j] - mx) * scale);
            scores[off + j] = e;
            sum += e;
          }
          const inv = 1 / sum;
          for (let j = j0; j <= i; j++) scores[off + j] *= inv;
          for (let j = k0; j < j0; j++) scores[off + j] = 0;
          for (let j = i + 1; j < i1; j++) scores[off + j] = 0;
        }
        linear(scores.subarray(0, rows * keys), rows, keys, vt.subarray(0, D * keys), D, undefined, o.subarray(0, rows * D));
        for (let j = 0; j < group; j++) {
          const h = g * group + j;
          for (let t = i0; t < i1; t++) out.set(o.subarray((j * nb + t - i0) * D, (j * nb + t - i0 + 1) * D), (base + t) * qStride + h * D);
        }
      }
    }
  }
  return out;
}
