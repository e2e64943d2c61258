// The GEMM-based causal attention (llm/attention.ts) against the addon's row-by-row kernel, on
// sequences long enough to take the GEMM path and to span several query blocks: GQA, a
// sliding window, a sequence length that is not a multiple of the query block.
import { describe, expect, it } from 'vitest';
import { causalAttention } from '../../main/core/llm/attention';
import { attention } from '../../main/core/native/transformer';

function rand(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296 - 0.5) * scale;
  }
  return a;
}

describe('causalAttention', () => {
  for (const c of [
    { name: 'GQA, 2 sequences of 300 tokens', batch: 2, seq: 300, heads: 4, kvHeads: 2, headDim: 16, window: 0 },
    { name: 'multi-head, sliding window 70', batch: 1, seq: 257, heads: 2, kvHeads: 2, headDim: 8, window: 70 },
    { name: 'one kv head for all (MQA)', batch: 1, seq: 128, heads: 3, kvHeads: 1, headDim: 32, window: 0 },
  ]) {
    it(`matches the native kernel: ${c.name}`, () => {
      const tokens = c.batch * c.seq;
      const q = rand(tokens * c.heads * c.headDim, 1, 6);
      const k = rand(tokens * c.kvHeads * c.headDim, 2, 6);
      const v = rand(tokens * c.kvHeads * c.headDim, 3, 2);
      const want = attention(q, k, v, c);
      const got = causalAttention(q, k, v, c);
      let m = 0;
      for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(want[i] - got[i]));
      expect(m).toBeLessThan(1e-5);
      // The first token of each sequence attends only to itself: its output is its own value row.
      const d = c.headDim;
      for (let n = 0; n < c.batch; n++) for (let x = 0; x < d; x++) expect(got[n * c.seq * c.heads * d + x]).toBeCloseTo(v[n * c.seq * c.kvHeads * d + x], 5);
    });
  }
});
