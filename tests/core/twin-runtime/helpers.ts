// Shared by the twin runtime tests: prune an ONNX model's linear weights in place of a compress
// run (so the tests need no planner), run a model in plain ONNX Runtime, compare outputs.
import * as ort from 'onnxruntime-node';
import { pruneModelLinears, type Zeros } from '../../../main/core/twin-runtime/models';
import { makeFeeds } from '../../../main/core/hardware/ort-time';

/** The model with every float MatMul / Gemm / 1x1 Conv weight pruned (a compress run without the planner). */
export const pruneLinears = (bytes: Uint8Array, zeros: Zeros) => pruneModelLinears(bytes, zeros);

export async function runOrt(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(model);
  try {
    return (await s.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await s.release();
  }
}

export async function feedsFor(model: Uint8Array, shapes: Record<string, number[]>): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(model);
  try {
    return makeFeeds(s, shapes);
  } finally {
    await s.release();
  }
}

/** Largest |a - b| over every output, and the largest |b| (the scale fp32 tolerance is relative to). */
export function compare(a: Record<string, ort.Tensor>, b: Record<string, ort.Tensor>): { maxErr: number; scale: number } {
  let maxErr = 0;
  let scale = 0;
  for (const k of Object.keys(b)) {
    if (!a[k]) throw new Error(`output ${k} missing`);
    if (a[k].dims.join(',') !== b[k].dims.join(',')) throw new Error(`output ${k}: dims ${a[k].dims} vs ${b[k].dims}`);
    const x = a[k].data as Float32Array;
    const y = b[k].data as Float32Array;
    for (let i = 0; i < y.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(Number(x[i]) - Number(y[i])));
      scale = Math.max(scale, Math.abs(Number(y[i])));
    }
  }
  return { maxErr, scale };
}

/** fp32 tolerance for sums of a few thousand products in another order. */
export const FP32_TOL = 2e-5;
