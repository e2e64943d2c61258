// Shared by the twin runtime tests: prune an ONNX model's linear weights in place of a compress
// run (so the tests need no planner), run a model in plain ONNX Runtime, compare outputs.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { ModelProtoSchema } from 'onnx-buf';
import { pruneWeight, type Zeros } from '../../main/core/bench/runtime-models';
import { makeFeeds } from '../../main/core/hardware/ort-time';

/** The model with every float MatMul / Gemm / 1x1 Conv weight initializer pruned (stored 2-D view). */
export function pruneLinears(bytes: Uint8Array, zeros: Zeros): { twin: Uint8Array; pruned: string[] } {
  const m = fromBinary(ModelProtoSchema, bytes);
  const g = m.graph!;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const pruned: string[] = [];
  for (const n of g.node) {
    if (!['MatMul', 'Gemm', 'Conv'].includes(n.opType)) continue;
    const t = inits.get(n.input[1]);
    if (!t || t.dataType !== 1 || !t.rawData.byteLength || pruned.includes(t.name)) continue;
    const dims = t.dims.map(Number);
    if (!(dims.length === 2 || (n.opType === 'Conv' && dims.length === 4 && dims[2] === 1 && dims[3] === 1))) continue;
    const w = new Float32Array(Uint8Array.from(t.rawData).buffer);
    const p = pruneWeight(w, dims[0], w.length / dims[0], zeros);
    t.rawData = new Uint8Array(p.buffer as ArrayBuffer);
    pruned.push(t.name);
  }
  return { twin: toBinary(ModelProtoSchema, m), pruned };
}

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
