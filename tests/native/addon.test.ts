import { describe, expect, it } from 'vitest';
import { loadAddon, nativeInfo, setIsa, setThreads } from '../../main/core/native';
import { expectCode, skipNative } from './helpers';

describe.skipIf(skipNative)('native addon', () => {
  it('reports ISA, threads and CUDA build without throwing', () => {
    const info = nativeInfo();
    expect(info.available[0]).toBe('scalar');
    expect(info.available).toContain(info.isa);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    expect(typeof info.cuda.built).toBe('boolean');
    expect(info.bindings).toEqual(expect.arrayContaining(['magnitude', 'nm', 'quant', 'structured', 'sparse_formats', 'system']));
  });

  it('forces every available ISA and refuses a missing one', () => {
    for (const isa of nativeInfo().available) expect(setIsa(isa)).toBe(isa);
    setIsa(null);
    const missing = ['avx2', 'avx512', 'neon'].find((i) => !nativeInfo().available.includes(i));
    if (missing) expectCode(() => setIsa(missing), 'UNSUPPORTED');
    expectCode(() => setThreads(-1), 'BAD_INPUT');
    expect(setThreads(1)).toBe(1);
    setThreads(0);
  });

  it('native argument errors carry code and argument (defence behind the facade)', () => {
    const a = loadAddon() as unknown as { applyMask(w: unknown, m: unknown): void };
    let err: { code?: string; argument?: string } | undefined;
    try {
      a.applyMask(new Float64Array(4), new Uint8Array(4));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect(err?.code).toBe('BAD_INPUT');
    expect(err?.argument).toBe('weights');
  });
});
