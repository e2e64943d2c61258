// The explainer's verdict rules and reasons, on synthetic layers for several targets.
import { describe, expect, it } from 'vitest';
import { explainCost, FASTER_AT, verdictOf } from '../../../main/core/hardware/explain';
import { resolveTarget } from '../../../main/core/hardware/profile';
import type { LayerOption } from '../../../main/core/hardware/options';
import { mlpCost } from './helpers';

const opt = (pattern: string, level: number, precision: LayerOption['precision'] = 'fp32'): LayerOption => ({ pattern, level, precision });

function option(e: ReturnType<typeof explainCost>, layer: number, label: string) {
  const o = e.layers[layer].options.find((x) => x.label === label);
  if (!o) throw new Error(`no option ${label}: ${e.layers[layer].options.map((x) => x.label).join(', ')}`);
  return o;
}

describe('verdict rule', () => {
  it('needs 10% on the layer and a saving that matters for the model', () => {
    expect(verdictOf(1.5, 1e-3, 2e-3).verdict).toBe('faster');
    expect(verdictOf(1.05, 1e-3, 2e-3).verdict).toBe('no-gain');
    expect(verdictOf(0.5, 1e-3, 2e-3).verdict).toBe('slower');
    expect(verdictOf(FASTER_AT, 1e-3, 2e-3).verdict).toBe('faster');
    // 2x on a layer that is 0.1% of the model: too small to matter
    const tiny = verdictOf(2, 1e-6, 1e-3);
    expect(tiny).toEqual({ verdict: 'no-gain', tooSmall: true });
  });
});

describe('explainer', () => {
  it('ONNX Runtime CPU: 2:4 and unstructured are not accelerated; int8 pays for a memory-bound GEMV', () => {
    const e = explainCost(mlpCost(1, [4096, 4096]), resolveTarget('x86-avx512-vnni'), {
      options: [opt('2:4', 0.5), opt('unstructured', 0.9), opt('dense', 0, 'int8'), opt('channels', 0.5)],
    });
    expect(e.target).toBe('x86-avx512-vnni:onnxruntime-cpu');
    expect(e.runtime).toMatch(/ONNX Runtime/);
    expect(e.layers).toHaveLength(1);
    expect(option(e, 0, '2:4 fp32')).toMatchObject({ verdict: 'no-gain', reason: expect.stringMatching(/2:4 not accelerated on this target/) });
    expect(option(e, 0, 'unstructured 90% fp32').verdict).toBe('no-gain');
    const int8 = option(e, 0, 'dense int8');
    expect(int8.verdict).toBe('faster');
    expect(int8.reason).toMatch(/GEMV memory-bound: int8 pays/);
    expect(int8.sources.join(' ')).toMatch(/MEASURED-FACTS\.md/);
    expect(option(e, 0, 'channels 50% fp32').reason).toMatch(/removed channels pay everywhere/);
  });

  it("Twinforge's kernels: sparsity pays for a memory-bound GEMV, not at 50% in a compute-bound GEMM", () => {
    const t = resolveTarget('x86-avx512-vnni:twinforge-cpu');
    const gemv = explainCost(mlpCost(1, [4096, 4096]), t, { options: [opt('unstructured', 0.9)] });
    expect(option(gemv, 0, 'unstructured 90% fp32')).toMatchObject({ verdict: 'faster', reason: expect.stringMatching(/GEMV memory-bound: sparsity pays/) });
    const gemm = explainCost(mlpCost(512, [2048, 2048]), t, { options: [opt('unstructured', 0.5)] });
    expect(option(gemm, 0, 'unstructured 50% fp32')).toMatchObject({ verdict: 'slower', reason: expect.stringMatching(/compute-bound/) });
  });

  it('calls a tiny layer too small to matter', () => {
    const e = explainCost(mlpCost(1, [4096, 4096, 4]), resolveTarget('x86-avx512-vnni:twinforge-cpu'), { options: [opt('unstructured', 0.95)] });
    const small = e.layers.find((l) => l.weightShape[1] === 4)!;
    expect(small.options[0]).toMatchObject({ verdict: 'no-gain', reason: expect.stringMatching(/too small to matter/) });
  });

  it('int8 without VNNI: the reason says so', () => {
    const e = explainCost(mlpCost(256, [2048, 2048]), resolveTarget('x86-avx2'), { options: [opt('dense', 0, 'int8')] });
    expect(option(e, 0, 'dense int8').reason).toMatch(/int8 needs VNNI/);
  });

  it('Hopper through torch (measured on the H200): fp8 pays for a big GEMM, 2:4 loses on GEMV, int8 gains little', () => {
    const t = resolveTarget('nvidia-hopper:torch-cuda');
    const big = explainCost(mlpCost(8192, [8192, 8192]), t, { options: [opt('dense', 0, 'int8'), opt('dense', 0, 'fp8'), opt('2:4', 0.5, 'bf16')] });
    expect(option(big, 0, 'dense fp8').verdict).toBe('faster');
    expect(option(big, 0, 'dense int8').estimatedSpeedup).toBeLessThan(1.3);
    const gemv = explainCost(mlpCost(1, [8192, 8192]), t, { options: [opt('2:4', 0.5, 'bf16'), opt('dense', 0, 'int8')] });
    expect(option(gemv, 0, '2:4 bf16').verdict).toBe('slower');
    expect(option(gemv, 0, '2:4 bf16').reason).toMatch(/re-plans every eager call/);
    // TensorRT on the same chip picks dense where sparse loses: 2:4 never slower
    const trt = explainCost(mlpCost(1, [8192, 8192]), resolveTarget('nvidia-hopper'), { options: [opt('2:4', 0.5, 'fp16')] });
    expect(option(trt, 0, '2:4 fp16').verdict).not.toBe('slower');
  });

  it('judges the default options of every shipped target without failing', () => {
    for (const spec of ['x86-avx2', 'x86-avx512-vnni:twinforge-cpu', 'arm-cortex-a76:xnnpack', 'apple-m2', 'nvidia-ampere', 'nvidia-hopper', 'jetson-orin']) {
      const e = explainCost(mlpCost(8, [512, 1024, 256]), resolveTarget(spec));
      expect(e.layers.length).toBe(2);
      for (const l of e.layers) {
        expect(l.options.length).toBeGreaterThan(3);
        for (const o of l.options) {
          expect(Number.isFinite(o.estimatedSpeedup) && o.estimatedSpeedup > 0).toBe(true);
          expect(['faster', 'no-gain', 'slower']).toContain(o.verdict);
          expect(o.reason.length).toBeGreaterThan(10);
        }
      }
    }
  });
});
