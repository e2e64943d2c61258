// Finding 10: detaching a typed array (ArrayBuffer.prototype.transfer) while an async native job
// reads or writes it used to free the memory under the C++ worker thread (a segfault). The
// facade now gives each job private buffers; the caller's detach cannot reach them.
import { describe, expect, it } from 'vitest';
import { globalMagnitudeThreshold, globalMagnitudeThresholdAsync, hessianAccumulate, hessianAccumulateAsync, nmMask, nmMaskAsync, quantizeInt8PerChannel, quantizeInt8PerChannelAsync } from '../../main/core/native';
import { randomF32, skipNative } from './helpers';

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

v8.setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** Detaches `a`'s buffer and lets the memory go: the clone that received it is dropped and collected. */
function detach(a: ArrayBufferView): void {
  structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
  gc();
  gc();
}

describe.skipIf(skipNative)('async native jobs and detached buffers', () => {
  it('reads inputs the caller detaches mid-job without crashing, with the result of the original data', async () => {
    const w = randomF32(1 << 22, 3);
    const want = globalMagnitudeThreshold([w], 0.5);
    const job = globalMagnitudeThresholdAsync([w, w, w, w, w, w, w, w], 0.5);
    detach(w);
    expect(w.byteLength).toBe(0);
    const got = await job;
    expect(got.threshold).toBe(want.threshold);
  });

  it('writes outputs into private buffers when the caller detaches its own out array', async () => {
    const rows = 512;
    const cols = 2048;
    const s = randomF32(rows * cols, 5);
    const want = nmMask(s, { rows, cols, n: 2, m: 4 });
    const out = new Uint8Array(rows * cols);
    const job = nmMaskAsync(s, { rows, cols, n: 2, m: 4, out });
    detach(out);
    detach(s);
    await job; // resolves; the caller's detached array simply receives nothing
    expect(out.byteLength).toBe(0);
    // A job whose arrays stay attached writes into them as before.
    const s2 = randomF32(rows * cols, 5);
    const out2 = new Uint8Array(rows * cols);
    const got = await nmMaskAsync(s2, { rows, cols, n: 2, m: 4, out: out2 });
    expect(got).toBe(out2);
    expect(Buffer.from(out2).equals(Buffer.from(want))).toBe(true);
  });

  it('in-place accumulation still lands in the caller array, and survives a detach of the input', async () => {
    const dim = 256;
    const n = 512;
    const x = randomF32(n * dim, 9);
    const h1 = new Float32Array(dim * dim);
    hessianAccumulate(h1, x, { nSamples: n, dim });
    const h2 = new Float32Array(dim * dim);
    const got = await hessianAccumulateAsync(h2, x, { nSamples: n, dim });
    expect(got).toBe(h2);
    expect(Buffer.from(h2.buffer).equals(Buffer.from(h1.buffer))).toBe(true);
    const h3 = new Float32Array(dim * dim);
    const job = hessianAccumulateAsync(h3, x, { nSamples: n, dim });
    detach(x);
    detach(h3);
    await job;
  });

  it('quantization outputs match the sync call when nothing is detached', async () => {
    const w = randomF32(256 * 512, 4);
    const a = quantizeInt8PerChannel(w, { rows: 256, cols: 512, axis: 0 });
    const b = await quantizeInt8PerChannelAsync(w, { rows: 256, cols: 512, axis: 0 });
    expect(Buffer.from(b.q.buffer).equals(Buffer.from(a.q.buffer))).toBe(true);
    expect(Array.from(b.scales)).toEqual(Array.from(a.scales));
  });
});
