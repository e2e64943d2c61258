// The writer's external-data rule on a graph built here (runs without the ONNX suite): with every
// movable tensor sent to the data file, the tensors whose values shape inference reads at load
// (a Reshape shape initializer, a Constant feeding Tile's repeats) stay inline, the weight goes
// out, and ORT loads the copy and gives the same bits.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../../main/core/model/onnx/build';
import { OnnxModel } from '../../main/core/model/onnx/reader';
import { saveOnnx } from '../../main/core/model/onnx/writer';
import { outputBytes, sameBytes } from './suite';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-ext-inline-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('external data keeps shape tensors inline', () => {
  it('Reshape shape and a Constant feeding Tile stay in the .onnx; ORT loads it, same bits', async () => {
    const file = path.join(dir, 'model.onnx');
    const m = modelProto({
      opsets: { '': 13 },
      graph: graphProto({
        name: 'g',
        nodes: [
          node('MatMul', ['x', 'w'], ['h']),
          node('Reshape', ['h', 'shape'], ['r']),
          node('Constant', [], ['reps'], { value: tensorProto('reps', 'int64', [3], [1, 2, 1]) }),
          node('Tile', ['r', 'reps'], ['y']),
        ],
        inputs: [valueInfo('x', 'float32', [2, 8])],
        outputs: [valueInfo('y', 'float32', null)],
        initializers: [tensorProto('w', 'float32', [8, 6], Array.from({ length: 48 }, (_, i) => Math.sin(i))), tensorProto('shape', 'int64', [3], [2, 3, 2])],
      }),
    });
    fs.writeFileSync(file, toBinary(ModelProtoSchema, m));
    const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => i / 7 - 1), [2, 8]) };
    const run = async (f: string) => {
      const s = await ort.InferenceSession.create(f, { logSeverityLevel: 3 });
      try {
        return outputBytes(await s.run(feeds));
      } finally {
        await s.release();
      }
    };
    const want = await run(file);
    const model = OnnxModel.open(file);
    const out = path.join(dir, 'ext.onnx');
    try {
      const r = saveOnnx(model, out, { externalData: 'always', externalMinBytes: 0 });
      expect(r.dataPath).toBeDefined();
    } finally {
      model.close();
    }
    const written = fromBinary(ModelProtoSchema, fs.readFileSync(out));
    const byName = new Map(written.graph!.initializer.map((t) => [t.name, t]));
    expect(byName.get('w')!.dataLocation).toBe(1);
    expect(byName.get('shape')!.dataLocation).toBe(0);
    expect(written.graph!.node.find((n) => n.opType === 'Constant')!.attribute[0].t!.dataLocation).toBe(0);
    expect(sameBytes(want, await run(out))).toBe(true);
  });
});
