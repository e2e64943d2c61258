// Per-layer statistics of a model's weights, read by streaming (bounded memory): parameters,
// nonzeros, sparsity, mean / std / |mean| / |max| / L2, and a mask hash per layer and overall, so
// twins with identical connectivity (same zero pattern) can be found by one index lookup.
import { createHash } from 'node:crypto';
import { parameterCount, type ModelIR, type Weight } from '../model/ir';
import { modelLayers } from '../model/layers';
import type { LayerStat } from './types';

const CHUNK = 1 << 20;

export interface WeightSummary {
  /** Elements of every parameter weight (shapes, scales and scalars excluded). */
  parameters: number;
  /** The compressible layers (MatMul / Gemm / Conv weights), in file order. */
  layers: LayerStat[];
  /** Hash over every layer's name and mask: equal iff the connectivity is equal. */
  maskHash: string | null;
  /** Overall sparsity of the compressible layers. */
  sparsity: number | null;
}

/** Reads one weight's statistics and the hash of its zero pattern. */
export function weightStats(w: Weight): LayerStat {
  const mask = createHash('sha256');
  mask.update(`${w.dims.join('x')}:`);
  let n = 0;
  let nz = 0;
  let sum = 0;
  let sumSq = 0;
  let absSum = 0;
  let absMax = 0;
  // The zero pattern as packed bits, hashed as it streams.
  let bitByte = 0;
  let bitPos = 0;
  const bits = new Uint8Array(CHUNK / 8 + 1);
  let bitLen = 0;
  for (const chunk of w.chunks(CHUNK)) {
    const v = chunk.values;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x !== 0) {
        nz++;
        bitByte |= 1 << bitPos;
      }
      sum += x;
      sumSq += x * x;
      const a = Math.abs(x);
      absSum += a;
      if (a > absMax) absMax = a;
      if (++bitPos === 8) {
        bits[bitLen++] = bitByte;
        bitByte = 0;
        bitPos = 0;
        if (bitLen === bits.length) {
          mask.update(bits);
          bitLen = 0;
        }
      }
    }
    n += v.length;
  }
  if (bitPos > 0) bits[bitLen++] = bitByte;
  mask.update(bits.subarray(0, bitLen));
  const mean = n ? sum / n : 0;
  return {
    layer: w.id,
    opType: w.consumers[0]?.op ?? null,
    shape: w.dims,
    params: n,
    nonzeros: nz,
    sparsity: n ? 1 - nz / n : 0,
    mean,
    std: n ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : 0,
    absMean: n ? absSum / n : 0,
    absMax,
    l2Norm: Math.sqrt(sumSq),
    maskHash: mask.digest('hex'),
  };
}

/** Statistics of every compressible layer of an opened model, plus its overall mask hash. */
export function summarizeWeights(ir: ModelIR): WeightSummary {
  let parameters = 0;
  for (const w of ir.weights) if (w.isParameter) parameters += parameterCount(w);
  // the model's layers as every screen counts them (model/layers.ts)
  const layers = modelLayers(ir).map(weightStats);
  return { parameters, layers, ...combinedStats(layers) };
}

/** The model-wide mask hash (of every layer's name and mask hash) and sparsity of its layers' stats. */
export function combinedStats(layers: LayerStat[]): { maskHash: string | null; sparsity: number | null } {
  if (!layers.length) return { maskHash: null, sparsity: null };
  const h = createHash('sha256');
  let total = 0;
  let zeros = 0;
  for (const l of layers) {
    h.update(`${l.layer}\0${l.maskHash}\n`);
    total += l.params;
    zeros += l.params - l.nonzeros;
  }
  return { maskHash: h.digest('hex'), sparsity: total ? zeros / total : null };
}
