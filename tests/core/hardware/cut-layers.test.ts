// Cutting layers out of a model (for timing what they cost inside it): the cut model runs in ONNX
// Runtime with the same output shape, only the named layers are gone, the rest computes as before,
// and a name that is not a MatMul/Gemm of the main graph is refused by name.
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { mlpProbe } from '../../../main/core/hardware/synth';
import { cutLayers } from '../../../main/core/planning/cut-layers';
import { readModelView } from '../../../main/core/hardware/onnx-view';
import { valueInfo } from '../../../main/core/model/onnx/build';
import { TwinforgeError } from '../../../main/core/errors';

async function run(bytes: Uint8Array, x: Float32Array, dims: number[]) {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, dims) });
    return out[s.outputNames[0]];
  } finally {
    await s.release();
  }
}

describe('cutLayers', () => {
  it('replaces the named layers by shape-keeping stand-ins; the model still runs', async () => {
    const bytes = mlpProbe(2, [64, 96, 32]);
    const view = await readModelView(bytes);
    const matmuls = view.nodes.filter((n) => n.op === 'MatMul' || n.op === 'Gemm').map((n) => n.name);
    expect(matmuls.length).toBe(2);
    const x = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i));
    const full = await run(bytes, x, [2, 64]);
    for (const cut of [[matmuls[0]], [matmuls[1]], matmuls]) {
      const model = cutLayers(bytes, cut);
      const left = fromBinary(ModelProtoSchema, model).graph!.node.map((n) => n.opType);
      expect(left.filter((op) => op === 'MatMul' || op === 'Gemm')).toHaveLength(2 - cut.length);
      expect(left.filter((op) => op === 'Expand')).toHaveLength(cut.length);
      const y = await run(model, x, [2, 64]);
      expect(y.dims).toEqual(full.dims);
    }
    expect(() => cutLayers(bytes, ['no-such-layer'])).toThrow(TwinforgeError);
    expect(() => cutLayers(bytes, ['no-such-layer'])).toThrow(/no-such-layer/);
  });

  it('writes Slice as attributes below opset 10, and drops a cut weight from an IR 3 input list', async () => {
    const model = fromBinary(ModelProtoSchema, mlpProbe(1, [16, 8]));
    for (const o of model.opsetImport) if (o.domain === '' || o.domain === 'ai.onnx') o.version = 9n;
    model.irVersion = 3n;
    const g = model.graph!;
    g.input.push(...g.initializer.map((t) => valueInfo(t.name, 'float32', t.dims.map(Number))));
    const bytes = toBinary(ModelProtoSchema, model);
    const view = await readModelView(bytes);
    const name = view.nodes.find((n) => n.op === 'MatMul' || n.op === 'Gemm')!.name;
    const cut = cutLayers(bytes, [name]);
    const slice = fromBinary(ModelProtoSchema, cut).graph!.node.find((n) => n.opType === 'Slice')!;
    expect(slice.input).toHaveLength(1);
    expect(slice.attribute.map((a) => a.name).sort()).toEqual(['axes', 'ends', 'starts']);
    const inputs = fromBinary(ModelProtoSchema, cut).graph!.input.map((i) => i.name);
    expect(inputs).not.toContain('W0');
    expect(inputs).toContain('x');
    const y = await run(cut, new Float32Array(16), [1, 16]);
    expect(y.dims).toEqual([1, 8]);
  });
});
