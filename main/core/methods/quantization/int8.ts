// int8: weights per-channel symmetric (one scale per output channel, zero point 0, so pruned
// zeros stay exactly zero), activations per-tensor from calibration (min-max, percentile or MSE),
// exported as ONNX QuantizeLinear/DequantizeLinear pairs (QDQ) that ORT and TensorRT fuse.
// 'none' quantizes weights only (DequantizeLinear on the weight, float activations).
import * as z from 'zod';
import { strictObject } from '../../strict';
import { defineMethod, QuantizationMethod, type Int8Result, type QuantJob } from '../method';
import { gptqQuantize, quantizeInt8PerChannel } from '../kernels';
import { clipRange, quantizerFor } from './ranges';
import type { LayerTarget } from '../layers';
import { denseStats, int8Stats } from './stats';

export const Int8Config = strictObject({
  activations: z.enum(['minmax', 'percentile', 'mse', 'none']).default('minmax').describe("activation range calibration; 'none' = weight-only int8"),
  percentile: z.number().min(90).max(100).default(99.99).describe("for activations: 'percentile'"),
  activationType: z.enum(['uint8', 'int8']).default('uint8').describe('uint8 (asymmetric, ORT CPU default) or int8 (symmetric, TensorRT)'),
  weights: z.enum(['rtn', 'gptq']).default('rtn').describe("'rtn' round-to-nearest, 'gptq' error-compensated with the layer Hessian"),
  dampening: z.number().min(0).max(1).default(0.01).describe('GPTQ: λ = dampening · mean(diag H)'),
  blockSize: z.number().int().min(8).max(1024).default(128).describe('GPTQ: columns per lazy batch'),
});
export type Int8Config = z.infer<typeof Int8Config>;

export class Int8Quantization extends QuantizationMethod<Int8Config> {
  /** Per-channel RTN of a 2-D weight runs on it as stored (the kernel takes the channel axis). */
  override storageOrder(layer: LayerTarget): boolean {
    return this.config.weights === 'rtn' && layer.weight.dims.length === 2;
  }

  async apply(job: QuantJob): Promise<Int8Result> {
    const { rows, cols } = job.layer;
    if (job.storage) {
      const axis = job.storage.outAxis === 0 ? 0 : 1;
      const [r0, c0] = job.layer.weight.dims;
      const r = quantizeInt8PerChannel(job.weights, r0, c0, axis);
      return this.withActivation(job, { kind: 'int8', q: r.q, scales: r.scales, stats: int8Stats(job.weights, r.q, r.scales, r0, c0, axis), storageOrder: true });
    }
    if (this.config.weights === 'gptq' && job.stats?.hessian) {
      const r = await gptqQuantize(job.weights, job.stats.hessian, rows, cols, { bits: 8, group: 0, symmetric: true, blockSize: this.config.blockSize, dampening: this.config.dampening }, job.signal);
      return this.withActivation(job, { kind: 'int8', q: r.codes as Int8Array, scales: r.scales, stats: denseStats(job.weights, r.dequantized) });
    }
    const r = quantizeInt8PerChannel(job.weights, rows, cols, 0);
    return this.withActivation(job, { kind: 'int8', q: r.q, scales: r.scales, stats: int8Stats(job.weights, r.q, r.scales, rows, cols, 0) });
  }

  private withActivation(job: QuantJob, out: Int8Result): Int8Result {
    if (this.config.activations === 'none') return out;
    const q = (r: NonNullable<QuantJob['inputRange']>) => {
      const [lo, hi] = clipRange(r, this.config.activations as 'minmax' | 'percentile' | 'mse', this.config.percentile);
      const aq = quantizerFor(lo, hi, this.config.activationType === 'int8');
      return { scale: aq.scale, zeroPoint: aq.zeroPoint, signed: aq.signed };
    };
    if (job.inputRange) out.activation = q(job.inputRange);
    if (job.outputRange) out.output = q(job.outputRange);
    return out;
  }
}

export const int8 = defineMethod<Int8Config>({
  name: 'int8',
  kind: 'quantize',
  summary: 'int8 weights per channel + calibrated per-tensor activations, exported as ONNX QDQ.',
  config: Int8Config,
  needs: (c) => ({
    calibration: c.activations !== 'none' || c.weights === 'gptq',
    hessian: c.weights === 'gptq',
    featureNorms: false,
    activationRanges: c.activations !== 'none',
  }),
  create: (c) => new Int8Quantization(c),
});
