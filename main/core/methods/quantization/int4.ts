// int4 weight-only, group-wise (one scale, and a zero point when asymmetric, per `group` inputs
// of each output): round-to-nearest or GPTQ. Exported as com.microsoft MatMulNBits (MatMul
// layers; pays on CPU with accuracy_level 4) or as a blocked int4 DequantizeLinear (opset 21).
import * as z from 'zod';
import { strictObject } from '../../strict';
import { defineMethod, QuantizationMethod, type Int4Result, type QuantJob } from '../method';
import { gptqQuantize, quantizeInt4Groups } from '../kernels';
import type { LayerTarget } from '../layers';
import { denseStats } from './stats';

export const Int4Config = strictObject({
  algorithm: z.enum(['rtn', 'gptq']).default('rtn').describe("'rtn' round-to-nearest, 'gptq' error-compensated with the layer Hessian"),
  group: z.union([z.literal(32), z.literal(64), z.literal(128)]).default(128).describe('inputs per scale (32, 64 or 128)'),
  symmetric: z.boolean().default(false).describe('symmetric codes -7..7 (no zero points) or asymmetric 0..15 with zero points'),
  format: z.enum(['auto', 'matmulnbits', 'blocked']).default('auto').describe("'auto': MatMulNBits for MatMul layers, blocked DequantizeLinear otherwise"),
  accuracyLevel: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).default(4).describe('MatMulNBits accuracy_level (4 = int8 compute, the fast path on CPU)'),
  dampening: z.number().min(0).max(1).default(0.01).describe('GPTQ: λ = dampening · mean(diag H)'),
  blockSize: z.number().int().min(8).max(1024).default(128).describe('GPTQ: columns per lazy batch'),
});
export type Int4Config = z.infer<typeof Int4Config>;

export class Int4Quantization extends QuantizationMethod<Int4Config> {
  override supports(layer: LayerTarget): string | undefined {
    if (layer.op === 'Conv' || layer.op === 'ConvTranspose') return 'int4 is weight-only for MatMul/Gemm layers; convolutions stay in float';
    if (layer.cols % this.config.group !== 0) return `${layer.cols} inputs is not a multiple of the group size ${this.config.group}`;
    if (this.formatFor(layer) === 'matmulnbits' && !(layer.op === 'MatMul' && layer.direct && layer.weight.role === 'matmul_b' && layer.weight.dims.length === 2)) return 'MatMulNBits replaces MatMul(A, W) with a 2-D weight W read directly';
    return undefined;
  }

  formatFor(layer: LayerTarget): 'blocked' | 'matmulnbits' {
    if (this.config.format !== 'auto') return this.config.format;
    return layer.op === 'MatMul' && layer.weight.role === 'matmul_b' ? 'matmulnbits' : 'blocked';
  }

  async apply(job: QuantJob): Promise<Int4Result> {
    const { rows, cols } = job.layer;
    const { group, symmetric } = this.config;
    const format = this.formatFor(job.layer);
    if (this.config.algorithm === 'gptq' && job.stats?.hessian) {
      const r = await gptqQuantize(job.weights, job.stats.hessian, rows, cols, { bits: 4, group, symmetric, blockSize: this.config.blockSize, dampening: this.config.dampening }, job.signal);
      // 4-bit GPTQ codes come MatMulNBits-packed already (zero point 8 when symmetric).
      const packed = r.codes as Uint8Array;
      return { kind: 'int4', group, symmetric, packed, scales: r.scales, ...(r.zeroPoints ? { zeroPoints: r.zeroPoints } : {}), format, stats: denseStats(job.weights, r.dequantized) };
    }
    const r = quantizeInt4Groups(job.weights, rows, cols, group, symmetric);
    return { kind: 'int4', group, symmetric, packed: r.packed, scales: r.scales, ...(r.zeroPoints ? { zeroPoints: r.zeroPoints } : {}), format, stats: denseStats(job.weights, r.dequantized) };
  }
}

export const int4 = defineMethod<Int4Config>({
  name: 'int4',
  kind: 'quantize',
  summary: 'int4 weight-only group-wise (RTN or GPTQ), exported as MatMulNBits or blocked DequantizeLinear.',
  config: Int4Config,
  needs: (c) => ({ calibration: c.algorithm === 'gptq', hessian: c.algorithm === 'gptq', featureNorms: false, activationRanges: false }),
  create: (c) => new Int4Quantization(c),
});
