// Shared bits of the structured-pruning tests: the PyTorch-exported fixtures, a small in-memory
// dataset of image-shaped inputs, ORT runs and the cosine between two outputs.
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import ort from 'onnxruntime-node';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import type { Dataset } from '../../../../main/core/data/dataset';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../../../../main/core/model/onnx/build';

export const TORCH = path.resolve(__dirname, '../../../fixtures/torch');
export const torchFixture = (file: string): string => path.join(TORCH, file);

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-structured-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Deterministic normal draws. */
export function normal(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** `count` samples of one float input with per-sample dims `dims` (batch dim added). */
export function floatDataset(input: string, dims: number[], count: number, seed: number): Dataset {
  const per = dims.reduce((a, b) => a * b, 1);
  const r = normal(seed);
  const all = Float32Array.from({ length: per * count }, r);
  return {
    source: 'test',
    synthetic: true,
    count,
    sampleDims: { [input]: dims },
    maxBatch: 64,
    warnings: [],
    batch: (start, n) => ({ start, count: n, feeds: { [input]: { type: 'float32', dims: [n, ...dims], data: all.slice(start * per, (start + n) * per) } } }),
  };
}

export async function runOrt(file: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(file);
  try {
    const out = await s.run(feeds);
    return out[s.outputNames[0]].data as Float32Array;
  } finally {
    await s.release();
  }
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * A hand-made graph for what the PyTorch fixtures do not show: two convs concatenated, a conv
 * bias shared by two convs, and a Reshape that blocks its group.
 *   x[1,4,8,8] -> convA(6) -> relu -+-> concat(12) -> convC(8) -> GAP -> flatten -> gemm(3) -> y
 *              -> convB(6) ---------+
 *   convA and convB read the same bias initializer 'shared_b'.
 *   x -> convD(5) -> Reshape -> z (second output)
 */
export function handmadeModel(dir: string): string {
  const r = normal(7);
  const t = (name: string, dims: number[]) => tensorProto(name, 'float32', dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * 0.3));
  const g = graphProto({
    name: 'handmade',
    inputs: [valueInfo('x', 'float32', [1, 4, 8, 8])],
    outputs: [valueInfo('y', 'float32', [1, 3]), valueInfo('z', 'float32', null)],
    initializers: [t('wA', [6, 4, 3, 3]), t('wB', [6, 4, 1, 1]), t('shared_b', [6]), t('wC', [8, 12, 3, 3]), t('bC', [8]), t('wG', [3, 8]), t('bG', [3]), t('wD', [5, 4, 1, 1]), tensorProto('shape', 'int64', [2], [1, -1])],
    nodes: [
      node('Conv', ['x', 'wA', 'shared_b'], ['a'], { pads: [1, 1, 1, 1] }, { name: 'convA' }),
      node('Relu', ['a'], ['ar'], {}, { name: 'reluA' }),
      node('Conv', ['x', 'wB', 'shared_b'], ['b'], {}, { name: 'convB' }),
      node('Concat', ['ar', 'b'], ['cat'], { axis: 1 }, { name: 'cat' }),
      node('Conv', ['cat', 'wC', 'bC'], ['c'], { pads: [1, 1, 1, 1] }, { name: 'convC' }),
      node('GlobalAveragePool', ['c'], ['p'], {}, { name: 'gap' }),
      node('Flatten', ['p'], ['f'], { axis: 1 }, { name: 'flat' }),
      node('Gemm', ['f', 'wG', 'bG'], ['y'], { transB: 1 }, { name: 'gemm' }),
      node('Conv', ['x', 'wD'], ['d'], {}, { name: 'convD' }),
      node('Reshape', ['d', 'shape'], ['z'], {}, { name: 'reshapeD' }),
    ],
  });
  const file = path.join(dir, 'handmade.onnx');
  writeFileSync(file, toBinary(ModelProtoSchema, modelProto({ graph: g, opsets: { '': 13 } })));
  return file;
}
