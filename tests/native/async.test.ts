import { describe, expect, it } from 'vitest';
import { globalMagnitudeThreshold, globalMagnitudeThresholdAsync, nmMaskAsync, nmMask, quantizeInt4GroupsAsync, quantizeInt8PerChannelAsync, quantizeInt8PerChannel, type NativeProgress } from '../../main/core/native';
import { randomF32, sameBytes, skipNative } from './helpers';

describe.skipIf(skipNative)('async native jobs', () => {
  // 4 M floats seen 64 times: a long pass (256 M weights) without allocating 1 GB.
  const big = randomF32(1 << 22, 11);
  const many = Array.from({ length: 64 }, () => big);

  it('resolves with the same result as the sync call, progress in order', async () => {
    const events: NativeProgress[] = [];
    const ts = [randomF32(3_000_000, 2)];
    const g = await globalMagnitudeThresholdAsync(ts, 0.5, { onProgress: (p) => events.push(p) });
    expect(g).toEqual(globalMagnitudeThreshold(ts, 0.5));
    expect(events.length).toBeGreaterThan(0);
    for (let i = 1; i < events.length; i++) {
      if (events[i].stage === events[i - 1].stage) expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
    }
    for (const e of events) expect(e.done).toBeLessThanOrEqual(e.total);
  });

  it('cancel stops the native loop within 100 ms and rejects with CANCELLED', async () => {
    const ac = new AbortController();
    let progressed = 0;
    const job = globalMagnitudeThresholdAsync(many, 0.5, { signal: ac.signal, onProgress: () => progressed++ });
    await new Promise((r) => setTimeout(r, 30));
    const t0 = performance.now();
    ac.abort();
    const err = await job.then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    const ms = performance.now() - t0;
    expect(err?.code).toBe('CANCELLED');
    expect(ms).toBeLessThan(100);
    expect(progressed).toBeGreaterThanOrEqual(0);
  });

  it('an already aborted signal rejects at once', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(globalMagnitudeThresholdAsync([big], 0.5, { signal: ac.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('async N:M and quantization equal their sync versions; bad input rejects BAD_INPUT', async () => {
    const w = randomF32(256 * 512, 3);
    const opts = { rows: 256, cols: 512, n: 2, m: 4 };
    expect(sameBytes(await nmMaskAsync(w, opts), nmMask(w, opts))).toBe(true);
    const q = await quantizeInt8PerChannelAsync(w, { rows: 256, cols: 512, axis: 1 });
    const qs = quantizeInt8PerChannel(w, { rows: 256, cols: 512, axis: 1 });
    expect(sameBytes(q.q, qs.q) && sameBytes(q.scales, qs.scales)).toBe(true);
    const q4 = await quantizeInt4GroupsAsync(w, { rows: 256, cols: 512, groupSize: 64 });
    expect(q4.packed.length).toBe(w.length / 2);
    const bad = w.slice();
    bad[7] = NaN;
    await expect(quantizeInt4GroupsAsync(bad, { rows: 256, cols: 512, groupSize: 64 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
