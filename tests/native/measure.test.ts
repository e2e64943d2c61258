import { describe, expect, it } from 'vitest';
import { cudaApplyMask, cudaGlobalThreshold, cudaInfo, cudaNmMask, cudaQuantizeInt4, cudaQuantizeInt8, measure, measureAsync, MEASURE_KERNELS, nativeInfo, type NativeProgress } from '../../main/core/native';
import { expectCode, forEachIsa, randomF32, skipNative } from './helpers';

// Small shapes: these tests check the binding and the numbers' shape, never the speed.
describe.skipIf(skipNative)('native measuring kernels', () => {
  it('every CPU kernel runs on every ISA, reports bytes/flops, and agrees with the reference', () => {
    forEachIsa((isa) => {
      const cases = [
        measure('gemm', { m: 5, n: 67, k: 130, repeats: 2, verify: true }),
        measure('gemm_packed', { m: 19, n: 67, k: 130, repeats: 2, verify: true }),
        measure('gemv', { n: 100, k: 300, repeats: 2, verify: true }),
        measure('csr', { m: 3, n: 64, k: 256, density: 0.1, repeats: 2, verify: true }),
        measure('csr', { m: 1, n: 64, k: 256, density: 0.1, repeats: 2, verify: true }),
        measure('nm', { m: 1, n: 40, k: 160, pattern: '1:8', repeats: 2, verify: true }),
        measure('nm', { m: 70, n: 40, k: 160, pattern: '2:4', repeats: 2, verify: true }),
        measure('bsr', { m: 9, n: 64, k: 128, block: [4, 4], density: 0.25, repeats: 2, verify: true }),
        measure('int8', { m: 3, n: 33, k: 100, repeats: 2, verify: true }),
        measure('copy', { bytes: 1 << 20, repeats: 2, verify: true }),
      ];
      for (const r of cases) {
        expect(r.isa).toBe(isa);
        expect(r.seconds).toBeGreaterThan(0);
        expect(r.minSeconds).toBeLessThanOrEqual(r.seconds);
        expect(r.bytes).toBeGreaterThan(0);
        expect(r.GBps).toBeGreaterThan(0);
        expect(r.maxRelError).toBeLessThan(1e-4);
        if (r.kernel !== 'copy') expect(r.gflops).toBeGreaterThan(0);
      }
      expect(cases[0].flops).toBe(2 * 5 * 67 * 130);
      expect(cases[1].flops).toBe(2 * 19 * 67 * 130);
      expect(cases[2].flops).toBe(2 * 100 * 300);
      expect(cases[3].flops).toBe(2 * 3 * 64 * Math.round(0.1 * 256));
      expect(cases[9].bytes).toBe(2 * (1 << 20));
    });
  });

  it('measureAsync reports one progress snapshot per repeat, in order', async () => {
    const events: NativeProgress[] = [];
    const r = await measureAsync('gemv', { n: 64, k: 64, repeats: 5 }, { onProgress: (p) => events.push(p) });
    expect(r.repeats).toBe(5);
    expect(events.length).toBeGreaterThan(0);
    for (let i = 1; i < events.length; i++) expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
    expect(events[events.length - 1]).toMatchObject({ stage: 'measure', total: 5 });
  });

  it('bad parameters are BAD_INPUT naming the parameter', () => {
    expectCode(() => measure('fft' as 'gemm'), 'BAD_INPUT', 'kernel');
    expectCode(() => measure('nm', { k: 64 }), 'BAD_INPUT', 'pattern');
    expectCode(() => measure('nm', { k: 66, pattern: '2:4' }), 'BAD_INPUT', 'k');
    expectCode(() => measure('nm', { pattern: '4:4' }), 'BAD_INPUT', 'pattern');
    expectCode(() => measure('csr', { density: 1.5 }), 'BAD_INPUT', 'density');
    expectCode(() => measure('gemm', { m: 0 }), 'BAD_INPUT', 'm');
    expectCode(() => measure('bsr', { n: 30, block: [4, 4] }), 'BAD_INPUT', 'block');
    expectCode(() => measure('copy', { repeats: 0 }), 'BAD_INPUT', 'repeats');
  });

  it('cudaInfo never throws; without a GPU the CUDA calls are NO_DEVICE', () => {
    const info = cudaInfo();
    expect(typeof info.built).toBe('boolean');
    expect(info.devices).toBe(info.deviceList.length);
    expect(nativeInfo().cuda.devices).toBe(info.devices);
    if (info.devices === 0) {
      expect(info.error).toBeTruthy();
      const w = randomF32(64, 1);
      expectCode(() => measure('cuda_copy', { bytes: 1 << 20 }), 'NO_DEVICE');
      expectCode(() => cudaGlobalThreshold(w, 0.5), 'NO_DEVICE');
      expectCode(() => cudaApplyMask(w, new Uint8Array(64)), 'NO_DEVICE');
      expectCode(() => cudaNmMask(w, { rows: 8, cols: 8, n: 2, m: 4 }), 'NO_DEVICE');
      expectCode(() => cudaQuantizeInt8(w, { rows: 8, cols: 8, axis: 0 }), 'NO_DEVICE');
      expectCode(() => cudaQuantizeInt4(randomF32(64, 2), { rows: 2, cols: 32, groupSize: 32 }), 'NO_DEVICE');
    }
    expect(MEASURE_KERNELS).toContain('cuda_copy');
  });
});
