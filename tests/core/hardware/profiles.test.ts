// The shipped target profiles: every one validates, covers the required hardware classes, and
// every speedup figure names its source; targets resolve by NAME and NAME:RUNTIME.
import { describe, expect, it } from 'vitest';
import { builtinProfiles, resolveTarget, targetOf, validateProfile } from '../../../main/core/hardware/profile';
import { TwinforgeError } from '../../../main/core/errors';

describe('shipped hardware profiles', () => {
  const profiles = builtinProfiles();

  it('cover the required hardware classes', () => {
    const names = profiles.map((p) => p.name);
    for (const n of ['x86-avx2', 'x86-avx512-vnni', 'arm-cortex-a76', 'apple-m2', 'nvidia-ampere', 'nvidia-hopper', 'jetson-orin']) expect(names).toContain(n);
  });

  it('hold peak compute, bandwidth and caches in SI numbers', () => {
    for (const p of profiles) {
      expect(Object.keys(p.hardware.peak).length).toBeGreaterThan(0);
      for (const v of Object.values(p.hardware.peak)) expect(v).toBeGreaterThan(1e9);
      expect(p.hardware.bandwidth).toBeGreaterThan(1e9);
      expect(p.hardware.caches.length).toBeGreaterThan(0);
      for (const c of p.hardware.caches) expect(c.size).toBeGreaterThanOrEqual(1024);
      for (const r of p.runtimes) {
        expect(p.hardware.peak[r.basePrecision]).toBeGreaterThan(0);
        expect(r.perCall).toBeLessThan(1e-3);
      }
    }
  });

  it('give every speedup factor a source with a citation', () => {
    for (const p of profiles) {
      for (const r of p.runtimes) {
        for (const s of r.speedups) {
          expect(['published', 'measured', 'derived']).toContain(s.source.kind);
          expect(s.source.citation.length).toBeGreaterThan(10);
          expect(s.note.length).toBeGreaterThan(4);
        }
      }
    }
  });

  it('say what the runtimes exploit: ORT CPU runs zeros dense, TensorRT accelerates only 2:4, VNNI/dot-product int8 pays', () => {
    const ort = targetOf(profiles.find((p) => p.name === 'x86-avx512-vnni')!, 'onnxruntime-cpu').runtime;
    expect(ort.speedups.find((s) => s.pattern === 'unstructured')!.accelerated).toBe(false);
    expect(ort.speedups.find((s) => s.pattern === 'n:m')!.accelerated).toBe(false);
    const int8 = ort.speedups.find((s) => s.pattern === 'dense' && s.precision === 'int8')!;
    expect(int8.accelerated).toBe(true);
    expect(int8.requires).toContain('avx512_vnni');
    const trt = targetOf(profiles.find((p) => p.name === 'nvidia-ampere')!).runtime;
    expect(trt.speedups.find((s) => s.pattern === '2:4')!.accelerated).toBe(true);
    expect(trt.speedups.find((s) => s.pattern === 'unstructured')!.accelerated).toBe(false);
    const hopperTorch = targetOf(profiles.find((p) => p.name === 'nvidia-hopper')!, 'torch-cuda').runtime;
    expect(hopperTorch.speedups.find((s) => s.precision === 'int8')!.source.kind).toBe('measured');
  });

  it('resolve targets by name, name:runtime, and refuse unknown ones clearly', () => {
    expect(resolveTarget('x86-avx2').id).toBe('x86-avx2:onnxruntime-cpu');
    expect(resolveTarget('nvidia-hopper:torch-cuda').runtime.engine).toBe('torch');
    expect(() => resolveTarget('nope')).toThrowError(/Unknown target 'nope'/);
    try {
      resolveTarget('this-machine');
      expect.unreachable();
    } catch (e) {
      expect((e as TwinforgeError).code).toBe('NOT_FOUND');
      expect((e as TwinforgeError).hint).toMatch(/hw detect/);
    }
    expect(() => resolveTarget('x86-avx2:tensorrt')).toThrowError(/has no runtime 'tensorrt'/);
  });

  it('round-trip: a profile document validates again to the same numbers', () => {
    for (const p of profiles) {
      const again = validateProfile(JSON.parse(JSON.stringify(p.document)), 'copy');
      expect(again.hardware.bandwidth).toBe(p.hardware.bandwidth);
      expect(again.runtimes.length).toBe(p.runtimes.length);
    }
  });
});
