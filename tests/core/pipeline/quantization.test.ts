// Acceptance: int8 (weights per channel, activations per tensor, QDQ) keeps top-1 agreement
// >= 99% and SQNR >= 30 dB on the CNN fixture. Also: int4 (RTN and GPTQ) twins export as
// MatMulNBits / blocked DequantizeLinear and run in ORT, prune-then-quantize keeps the zeros,
// and the calibration methods (min-max, percentile, MSE) all produce working QDQ twins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openModel } from '../../../main/core/model';
import type { CompressReport } from '../../../main/core/pipeline/report';
import { baseRecipe, compress, fixture, SHAPES, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
const m: Record<string, string> = {};
beforeAll(() => {
  tmp = tempDir('quant');
  for (const f of ['cnn', 'transformer', 'mlp_gemm'] as const) m[f] = fixture(f, tmp.dir);
});
afterAll(() => tmp.cleanup());

function ops(file: string): string[] {
  const ir = openModel(file);
  try {
    return ir.nodes.map((n) => n.op);
  } finally {
    ir.close();
  }
}

describe('int8 per-channel (QDQ)', () => {
  it('CNN: top-1 agreement >= 99% and SQNR >= 30 dB', async () => {
    const r = await compress(
      baseRecipe(m.cnn, path.join(tmp.dir, 'cnn-int8'), {
        calibration: { source: 'synthetic', samples: 64, seed: 11 },
        evaluation: { source: 'synthetic', samples: 256, seed: 12, latency: false },
        stages: [{ type: 'quantize', method: 'int8' }],
        gates: { minTop1Agreement: 0.99, minSqnrDb: 30 },
      }),
    );
    expect(r.metrics.top1Agreement).toBeGreaterThanOrEqual(0.99);
    expect(r.metrics.sqnrDb).toBeGreaterThanOrEqual(30);
    expect(r.passed).toBe(true);
    const o = ops(r.twin);
    expect(o.filter((x) => x === 'QuantizeLinear').length).toBeGreaterThanOrEqual(3);
    expect(o.filter((x) => x === 'DequantizeLinear').length).toBeGreaterThanOrEqual(7);
  });
  for (const activations of ['percentile', 'mse', 'none'] as const) {
    it(`activations: ${activations}`, async () => {
      const r = await compress(baseRecipe(m.cnn, path.join(tmp.dir, `cnn-int8-${activations}`), { stages: [{ type: 'quantize', method: 'int8', args: { activations } }] }));
      expect(r.metrics.sqnrDb).toBeGreaterThan(20);
      if (activations === 'none') expect(ops(r.twin)).not.toContain('QuantizeLinear');
    });
  }
  it('prune then quantize keeps the zeros (magnitude 50% + int8 on the MLP)', async () => {
    const r = await compress(baseRecipe(m.mlp_gemm, path.join(tmp.dir, 'mlp-p-q'), { stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }, { type: 'quantize', method: 'int8' }] }));
    const rep = JSON.parse(readFileSync(r.report, 'utf8')) as CompressReport;
    for (const l of rep.layers) {
      expect(l.quant?.method).toBe('int8');
      expect(l.nonzeros).toBeLessThanOrEqual(Math.ceil(l.params * 0.5));
    }
    // The int8 codes in the file keep exactly the pruned zeros.
    const ir = openModel(r.twin);
    try {
      const codes = ir.weights.find((w) => w.name.startsWith('fc1.weight') && w.dtype === 'int8')!;
      const zeros = Array.from(codes.float32()).filter((v) => v === 0).length;
      expect(zeros).toBeGreaterThanOrEqual(Math.floor(0.5 * codes.numel));
    } finally {
      ir.close();
    }
  });
});

describe('int4 weight-only', () => {
  for (const algorithm of ['rtn', 'gptq'] as const) {
    it(`${algorithm}: MatMul layers become MatMulNBits and the twin runs`, async () => {
      const r = await compress(
        baseRecipe(m.transformer, path.join(tmp.dir, `tr-int4-${algorithm}`), {
          inputShapes: SHAPES.transformer,
          stages: [{ type: 'quantize', method: 'int4', args: { algorithm, group: 32 } }],
        }),
      );
      expect(ops(r.twin).filter((o) => o === 'MatMulNBits')).toHaveLength(6);
      expect(r.metrics.cosine).toBeGreaterThan(0.95);
    });
  }
  it('Gemm layers take the blocked int4 DequantizeLinear form', async () => {
    const r = await compress(baseRecipe(m.mlp_gemm, path.join(tmp.dir, 'mlp-int4'), { stages: [{ type: 'quantize', method: 'int4', args: { group: 32 } }] }));
    const ir = openModel(r.twin);
    try {
      // fc2 (32 inputs) takes groups of 32; fc1 (16 inputs) has no whole group and stays float.
      expect(ir.weights.filter((w) => w.dtype === 'uint4').map((w) => w.name).sort()).toEqual(['fc2.weight_quantized', 'fc2.weight_zero_point']);
      expect(ir.weight('fc1.weight')!.dtype).toBe('float32');
      expect(ir.opsets['']).toBeGreaterThanOrEqual(21);
    } finally {
      ir.close();
    }
    expect(r.metrics.cosine).toBeGreaterThan(0.95);
    const rep = JSON.parse(readFileSync(r.report, 'utf8')) as CompressReport;
    expect(rep.layers.find((l) => l.name === 'fc1.weight')!.left![0].reason).toMatch(/16 inputs is not a multiple of the group size 32/);
  });
});
