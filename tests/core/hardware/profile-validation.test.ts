// Bad profiles are rejected with BAD_INPUT naming the field: wrong units, missing fields,
// negative or zero figures, unknown fields, contradictions the schema cannot express.
import { describe, expect, it } from 'vitest';
import { builtinProfiles, validateProfile } from '../../../main/core/hardware/profile';
import { parseQuantity, formatQuantity } from '../../../main/core/hardware/units';
import { TwinforgeError } from '../../../main/core/errors';

function base(): any {
  return JSON.parse(JSON.stringify(builtinProfiles().find((p) => p.name === 'x86-avx512-vnni')!.document));
}

function rejects(doc: unknown, ...patterns: RegExp[]): TwinforgeError {
  try {
    validateProfile(doc, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(TwinforgeError);
    const err = e as TwinforgeError;
    expect(err.code).toBe('BAD_INPUT');
    for (const p of patterns) expect(err.message).toMatch(p);
    expect(err.hint).toMatch(/profile\.schema\.json/);
    return err;
  }
  throw new Error('profile was accepted');
}

describe('profile validation', () => {
  it('accepts the base document', () => {
    expect(validateProfile(base()).name).toBe('x86-avx512-vnni');
  });

  it('rejects a bandwidth written in compute units, naming the field and the unit kind', () => {
    const d = base();
    d.hardware.memory.bandwidth = '31.5 GFLOP/s';
    rejects(d, /hardware\.memory\.bandwidth/, /unit of compute, not of bandwidth/, /test\.json/);
  });

  it('rejects a time written as a bandwidth and a figure without unit', () => {
    const d = base();
    d.runtimes[0].overhead.perCall = '14 GB/s';
    d.hardware.peak.fp32 = 384;
    const e = rejects(d, /runtimes\[0\]\.overhead\.perCall/, /hardware\.peak\.fp32/);
    expect(e.message).toMatch(/has no unit/);
    expect((e.details as { problems: unknown[] }).problems.length).toBe(2);
  });

  it('rejects missing fields', () => {
    const d = base();
    delete d.hardware.peak;
    delete d.runtimes[0].speedups[0].source;
    rejects(d, /hardware\.peak: is missing/, /runtimes\[0\]\.speedups\[0\]\.source: is missing/);
  });

  it('rejects negative and zero figures', () => {
    const d = base();
    d.hardware.memory.bandwidth = '-31.5 GB/s';
    d.runtimes[0].speedups[3].points[0].memory = -2;
    d.runtimes[0].efficiency.compute = 0;
    rejects(d, /bandwidth.*negative/, /points\[0\]\.memory: -2 is negative/, /efficiency\.compute: 0 must be greater than 0/);
    const z = base();
    z.hardware.caches[0].size = '0 KiB';
    rejects(z, /caches\[0\]\.size.*zero/);
  });

  it('rejects unknown fields and wrong enums', () => {
    const d = base();
    d.hardware.bandwith = '1 GB/s';
    d.kind = 'tpu';
    rejects(d, /hardware\.bandwith: is not a known field/, /kind: must be one of "cpu", "gpu"/);
  });

  it('rejects contradictions: duplicate runtimes, a base precision without peak, claimed speed while not accelerated, decreasing levels', () => {
    const d = base();
    d.runtimes.push(JSON.parse(JSON.stringify(d.runtimes[0])));
    d.runtimes[1].default = false;
    rejects(d, /'onnxruntime-cpu' appears twice/);
    const p = base();
    p.runtimes[0].basePrecision = 'fp16';
    rejects(p, /basePrecision: 'fp16' has no figure in hardware\.peak/);
    const a = base();
    a.runtimes[0].speedups[0].points[0].memory = 3;
    rejects(a, /accelerated: false but claims a speedup/);
    const l = base();
    l.runtimes[1].speedups[0].points[1].level = 0.3;
    rejects(l, /levels must increase/);
  });

  it('rejects a document that is not an object at all', () => {
    rejects(null, /must be an object/);
    rejects([], /must be an object/);
  });
});

describe('units', () => {
  it('parses figures with units to SI numbers', () => {
    expect(parseQuantity('31.5 GB/s', 'bandwidth')).toEqual({ ok: true, value: 31.5e9 });
    expect(parseQuantity('48 KiB', 'size')).toEqual({ ok: true, value: 48 * 1024 });
    expect(parseQuantity('14 us', 'time')).toEqual({ ok: true, value: 14e-6 });
    expect(parseQuantity('1979 TOP/s', 'compute')).toEqual({ ok: true, value: 1979e12 });
    expect(parseQuantity('0 us', 'time', true)).toEqual({ ok: true, value: 0 });
  });

  it('explains what is wrong', () => {
    expect(parseQuantity('5 ms', 'bandwidth')).toMatchObject({ ok: false, problem: expect.stringMatching(/'ms' is a unit of time/) });
    expect(parseQuantity('5 parsecs', 'size')).toMatchObject({ ok: false, problem: expect.stringMatching(/not a known unit/) });
    expect(parseQuantity('fast', 'time')).toMatchObject({ ok: false, problem: expect.stringMatching(/not a number followed by a unit/) });
  });

  it('formats back into parseable text', () => {
    for (const [v, k] of [[31.5e9, 'bandwidth'], [48 * 1024, 'size'], [14e-6, 'time'], [3.84e11, 'compute']] as const) {
      const r = parseQuantity(formatQuantity(v, k), k);
      expect(r.ok && Math.abs(r.value - v) / v).toBeLessThan(1e-3);
    }
  });
});
