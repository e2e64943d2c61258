import { describe, expect, it } from 'vitest';
import {
  cudaInfo,
  featureNormsAccumulate,
  gptq,
  gptqAsync,
  hessianAccumulate,
  hessianAccumulateAsync,
  quantizeInt4Groups,
  sparsegpt,
  sparsegptAsync,
  type NativeProgress,
} from '../../main/core/native';
import { countFailures, expectCode, forEachIsa, randomF32, rng, skipNative } from './helpers';

// Correlated layer inputs (a few shared factors), as real activations are: X [samples, cols].
function correlated(samples: number, cols: number, seed: number): Float32Array {
  const r = rng(seed);
  const g = () => {
    const u = Math.max(r(), 1e-9);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  };
  const x = new Float32Array(samples * cols);
  for (let s = 0; s < samples; s++) {
    const f = [g(), g(), g(), g()];
    for (let j = 0; j < cols; j++) x[s * cols + j] = 0.3 * g() + f[j % 4] * (0.5 + (0.5 * (j % 7)) / 7);
  }
  return x;
}

function layer(rows: number, cols: number, samples: number, seed: number) {
  const w = randomF32(rows * cols, seed, 1);
  const x = correlated(samples, cols, seed + 1);
  const h = hessianAccumulate(new Float32Array(cols * cols), x, { nSamples: samples, dim: cols, alpha: 2 / samples });
  return { rows, cols, samples, w, x, h };
}

// ‖(W − Ŵ) Xᵀ‖² in double.
function reconError(L: ReturnType<typeof layer>, what: Float32Array): number {
  let e = 0;
  for (let r = 0; r < L.rows; r++) {
    for (let s = 0; s < L.samples; s++) {
      let acc = 0;
      for (let j = 0; j < L.cols; j++) acc += (L.w[r * L.cols + j] - what[r * L.cols + j]) * L.x[s * L.cols + j];
      e += acc * acc;
    }
  }
  return e;
}

describe.skipIf(skipNative)('native solvers', () => {
  it('hessianAccumulate matches XᵀX in double on every ISA, accumulates, and stays symmetric', () => {
    const n = 37, d = 29;
    const x = randomF32(n * d, 5);
    forEachIsa(() => {
      const h = new Float32Array(d * d);
      hessianAccumulate(h, x, { nSamples: n, dim: d });
      hessianAccumulate(h, x, { nSamples: n, dim: d, alpha: 0.5 });
      const bad = countFailures(d * d, (e) => {
        const i = Math.floor(e / d), j = e % d;
        let s = 0;
        for (let k = 0; k < n; k++) s += x[k * d + i] * x[k * d + j];
        return Math.abs(h[e] - 1.5 * s) <= 1e-4 * (1 + Math.abs(s)) && h[i * d + j] === h[j * d + i];
      });
      expect(bad).toBe(0);
    });
  });

  it('featureNormsAccumulate sums squared columns', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    const norms = featureNormsAccumulate(new Float32Array([1, 0, 0]), x, { nSamples: 2, dim: 3 });
    expect(Array.from(norms)).toEqual([1 + 1 + 16, 4 + 25, 9 + 36]);
  });

  it('SparseGPT beats magnitude pruning on reconstruction error for correlated activations', () => {
    const L = layer(32, 96, 400, 7);
    for (const sp of [0.5, 0.7]) {
      const w = L.w.slice();
      const r = sparsegpt(w, L.h, { rows: L.rows, cols: L.cols, sparsity: sp });
      expect(r.loss).toBeGreaterThan(0);
      expect(r.deadInputs).toBe(0);
      // Exactly llround(sp * rows * block) zeros per 128-column block (here one block).
      let zeros = 0;
      for (let i = 0; i < w.length; i++) {
        if (!r.mask[i]) {
          zeros++;
          expect(w[i]).toBe(0);
        }
      }
      expect(zeros).toBe(Math.round(sp * w.length));
      const mag = L.w.slice();
      const sorted = Array.from(mag, Math.abs).sort((a, b) => a - b);
      const t = sorted[Math.round(sp * mag.length)];
      for (let i = 0; i < mag.length; i++) if (Math.abs(mag[i]) < t) mag[i] = 0;
      expect(reconError(L, w)).toBeLessThan(0.7 * reconError(L, mag));
    }
  });

  it('SparseGPT N:M keeps exactly n of every m inputs, on every ISA', () => {
    const L = layer(16, 64, 200, 9);
    forEachIsa(() => {
      const w = L.w.slice();
      const { mask } = sparsegpt(w, L.h, { rows: 16, cols: 64, n: 2, m: 4 });
      const bad = countFailures(16 * 16, (g) => mask[g * 4] + mask[g * 4 + 1] + mask[g * 4 + 2] + mask[g * 4 + 3] === 2);
      expect(bad).toBe(0);
    });
  });

  it('GPTQ codes dequantize to the returned weights and match the int4 packing layout', () => {
    const L = layer(16, 128, 300, 11);
    const w = L.w.slice();
    const q = gptq(w, L.h, { rows: 16, cols: 128, bits: 4, groupSize: 32, symmetric: false });
    expect(q.codes).toBeInstanceOf(Uint8Array);
    expect(q.codes.length).toBe(16 * 64);
    expect(q.scales.length).toBe(16 * 4);
    expect(q.zeroPoints?.length).toBe(16 * 4);
    const bad = countFailures(w.length, (i) => {
      const nib = i % 2 ? q.codes[i >> 1] >> 4 : q.codes[i >> 1] & 15;
      const g = Math.floor(i / 32);
      return w[i] === Math.fround((nib - q.zeroPoints![g]) * q.scales[g]);
    });
    expect(bad).toBe(0);
    // GPTQ's error is below plain round-to-nearest on the same grid.
    const rtn = quantizeInt4Groups(L.w, { rows: 16, cols: 128, groupSize: 32, symmetric: false });
    const deq = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const nib = i % 2 ? rtn.packed[i >> 1] >> 4 : rtn.packed[i >> 1] & 15;
      deq[i] = (nib - rtn.zeroPoints![Math.floor(i / 32)]) * rtn.scales[Math.floor(i / 32)];
    }
    expect(reconError(L, w)).toBeLessThan(reconError(L, deq));
  });

  it('GPTQ int8 symmetric returns Int8Array codes; a mask keeps pruned weights at exactly 0', () => {
    const L = layer(8, 64, 200, 13);
    const pruned = L.w.slice();
    const { mask } = sparsegpt(pruned, L.h, { rows: 8, cols: 64, n: 2, m: 4 });
    const w = pruned.slice();
    const q = gptq(w, L.h, { rows: 8, cols: 64, bits: 8, mask });
    expect(q.codes).toBeInstanceOf(Int8Array);
    expect(q.scales.length).toBe(8);
    expect(countFailures(w.length, (i) => mask[i] === 1 || (w[i] === 0 && q.codes[i] === 0))).toBe(0);
    expect(countFailures(w.length, (i) => w[i] === Math.fround(q.codes[i] * q.scales[Math.floor(i / 64)]))).toBe(0);
  });

  it('async variants equal the sync ones and report progress in stage order', async () => {
    const L = layer(64, 512, 700, 15);
    const a = L.w.slice(), b = L.w.slice();
    const events: NativeProgress[] = [];
    const ra = await sparsegptAsync(a, L.h, { rows: 64, cols: 512, sparsity: 0.6 }, { onProgress: (p) => events.push(p) });
    const rb = sparsegpt(b, L.h, { rows: 64, cols: 512, sparsity: 0.6 });
    expect(ra.loss).toBe(rb.loss);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const stages = [...new Set(events.map((e) => e.stage))];
    expect(stages[stages.length - 1]).toBe('sweep');
    for (let i = 1; i < events.length; i++) if (events[i].stage === events[i - 1].stage) expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
    const h2 = await hessianAccumulateAsync(new Float32Array(512 * 512), L.x, { nSamples: 700, dim: 512, alpha: 2 / 700 });
    expect(countFailures(h2.length, (i) => Math.abs(h2[i] - L.h[i]) <= 1e-5 * (1 + Math.abs(L.h[i])))).toBe(0);
    const g = await gptqAsync(L.w.slice(), L.h, { rows: 64, cols: 512, bits: 8, groupSize: 128 });
    expect(g.scales.length).toBe(64 * 4);
  });

  it('cancel stops a long solve within 100 ms with CANCELLED', async () => {
    const cols = 2048;
    const L = { w: randomF32(1024 * cols, 3), h: new Float32Array(cols * cols) };
    for (let i = 0; i < cols; i++) L.h[i * cols + i] = 1 + (i % 5);
    const ac = new AbortController();
    const job = sparsegptAsync(L.w, L.h, { rows: 1024, cols, sparsity: 0.5 }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    ac.abort();
    const err = await job.then(() => undefined, (e: unknown) => e as { code?: string });
    expect(err?.code).toBe('CANCELLED');
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('bad input is a BAD_INPUT naming the argument; no GPU is NO_DEVICE', () => {
    const L = layer(4, 8, 20, 17);
    expectCode(() => sparsegpt(L.w as unknown as Float32Array, new Float64Array(64) as unknown as Float32Array, { rows: 4, cols: 8 }), 'BAD_INPUT', 'h');
    expectCode(() => sparsegpt(L.w, L.h, { rows: 4, cols: 9 }), 'BAD_INPUT', 'w');
    expectCode(() => sparsegpt(L.w, L.h.subarray(1), { rows: 4, cols: 8 }), 'BAD_INPUT', 'h');
    expectCode(() => sparsegpt(L.w, L.h, { rows: 4, cols: 8, sparsity: -0.1 }), 'BAD_INPUT', 'sparsity');
    expectCode(() => sparsegpt(L.w, L.h, { rows: 4, cols: 8, n: 4, m: 4 }), 'BAD_INPUT', 'n');
    expectCode(() => sparsegpt(L.w, L.h, { rows: 4, cols: 8, n: 2, m: 3 }), 'BAD_INPUT', 'cols');
    const nan = L.w.slice();
    nan[3] = NaN;
    expectCode(() => sparsegpt(nan, L.h, { rows: 4, cols: 8 }), 'BAD_INPUT', 'w');
    const hnan = L.h.slice();
    hnan[9] = Infinity;
    expectCode(() => sparsegpt(L.w.slice(), hnan, { rows: 4, cols: 8 }), 'BAD_INPUT', 'h');
    const neg = new Float32Array(64);
    for (let i = 0; i < 8; i++) neg[i * 8 + i] = -1;
    expectCode(() => sparsegpt(L.w.slice(), neg, { rows: 4, cols: 8 }), 'BAD_INPUT', 'h');
    expectCode(() => gptq(L.w.slice(), L.h, { rows: 4, cols: 8, bits: 3 as 4 }), 'BAD_INPUT', 'bits');
    expectCode(() => gptq(L.w.slice(), L.h, { rows: 4, cols: 8, bits: 4, groupSize: 3 }), 'BAD_INPUT', 'groupSize');
    expectCode(() => hessianAccumulate(new Float32Array(9), L.x, { nSamples: 20, dim: 8 }), 'BAD_INPUT', 'h');
    expectCode(() => sparsegpt(L.w, L.h, { rows: 4, cols: 8, device: 'tpu' as 'cpu' }), 'BAD_INPUT', 'device');
    if (cudaInfo().devices === 0) expectCode(() => sparsegpt(L.w.slice(), L.h, { rows: 4, cols: 8, device: 'cuda' }), 'NO_DEVICE');
  });
});
