// `hw validate` on a Twinforge target as the command runs it (validateTarget): the cost model's
// per-layer judgements plus whole twins exported and run end to end through the twin runtime.
// No assertion on speed: only that each twin check measured (or says why) and that the estimate's
// error is computed from the two figures it reports.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../main/core/hardware/profile';
import { mlpProbe } from '../../../main/core/hardware/synth';
import { validateModel } from '../../../main/core/hardware/validate';
import { validateTarget } from '../../../main/core/twin-runtime/validate';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-validate-twin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hw validate with whole twins', () => {
  const model = path.join(dir, 'mlp.onnx');
  writeFileSync(model, mlpProbe(1, [256, 512, 256]));

  it('adds the end-to-end twin checks on a Twinforge target, after the per-layer ones', async () => {
    const target = resolveTarget('x86-avx512-vnni:twinforge-cpu');
    const r = await validateTarget({ model, target, options: ['unstructured@0.9'], effort: 0.05, maxLayers: 1 });
    expect(r.engine).toBe('twinforge');
    expect(r.judgements.length).toBeGreaterThan(0);
    expect(r.twinRuntime?.map((t) => t.option)).toEqual(['unstructured 90% (CSR)', 'block4x4 90% (BSR)']);
    for (const t of r.twinRuntime!) {
      if (t.measuredMs === undefined) {
        expect(t.why).toBeTruthy();
        continue;
      }
      expect(t.layers).toBeGreaterThan(0);
      expect(t.error).toBeCloseTo((t.estimatedMs! - t.measuredMs) / t.measuredMs, 9);
      expect(t.speedup).toBeCloseTo(t.parentMs! / t.measuredMs, 9);
    }
    expect(r.twinRuntime!.some((t) => t.measuredMs !== undefined)).toBe(true);
    expect(Object.keys(r).slice(-2)).toEqual(['twinRuntime', 'load']);
  });

  it('leaves ONNX Runtime targets to the per-layer validation alone', async () => {
    const target = resolveTarget('x86-avx512-vnni');
    const r = await validateTarget({ model, target, options: ['int8'], effort: 0.05, maxLayers: 1 });
    expect(r.engine).toBe('onnxruntime');
    expect(r.twinRuntime).toBeUndefined();
    const plain = await validateModel({ model, target, options: ['int8'], effort: 0.05, maxLayers: 1 });
    expect(Object.keys(plain).sort()).toEqual(Object.keys(r).sort());
  });
});
