// An opset-9 CNN (Clip as ReLU6, Pad, Softmax, BatchNormalization: the ops whose form changed)
// goes through int8 compression: the pipeline raises it to opset 13 when the model is opened,
// the twin loads and runs in ORT and agrees with its parent. A model that cannot be raised is
// refused at load, before calibration or any other work, with the node named; the recipe check
// (recipe.validate) reports the same refusal before a job starts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinforgeError } from '../../../main/core/errors';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../../../main/core/model/onnx/build';
import { defaultOpset } from '../../../main/core/model/onnx/opset';
import { compressModel } from '../../../main/core/pipeline/runner';
import { recipeValidate } from '../../../main/core/api/compress';
import type { Recipe } from '../../../main/core/recipe/schema';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-upgrade-compress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function values(n: number, seed: number, scale: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

function cnn9(file: string, extraNode?: ReturnType<typeof node>): string {
  const nodes = [
    node('Conv', ['image', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    node('BatchNormalization', ['c1', 'g', 'beta', 'mean', 'var'], ['n1'], { epsilon: 1e-5 }),
    node('Clip', ['n1'], ['r1'], { min: { f: 0 }, max: { f: 6 } }),
    node('Pad', ['r1'], ['p1'], { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'constant' }),
    node('MaxPool', ['p1'], ['m1'], { kernel_shape: [2, 2], strides: [2, 2] }),
    node('Conv', ['m1', 'w2'], ['c2'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    node('Clip', ['c2'], ['r2'], { min: { f: 0 }, max: { f: 6 } }),
    node('Flatten', ['r2'], ['f'], { axis: 1 }),
    node('Gemm', ['f', 'wf', 'bf'], ['logits'], { transB: 1 }),
    node('Softmax', ['logits'], ['probs'], { axis: 1 }),
  ];
  if (extraNode) nodes.unshift(extraNode);
  const m = modelProto({
    opsets: { '': 9 },
    producer: { name: 'twinforge-test', version: '1' },
    graph: graphProto({
      name: 'cnn9',
      nodes,
      inputs: [valueInfo(extraNode ? 'raw' : 'image', 'float32', [1, 3, 16, 16])],
      outputs: [valueInfo('probs', 'float32', [1, 10])],
      initializers: [
        tensorProto('w1', 'float32', [16, 3, 3, 3], values(16 * 27, 1, 0.3)),
        tensorProto('b1', 'float32', [16], values(16, 2, 0.1)),
        tensorProto('g', 'float32', [16], values(16, 3, 0.2).map((v) => 1 + v)),
        tensorProto('beta', 'float32', [16], values(16, 4, 0.1)),
        tensorProto('mean', 'float32', [16], values(16, 5, 0.1)),
        tensorProto('var', 'float32', [16], values(16, 6, 0.2).map((v) => 1 + v)),
        tensorProto('w2', 'float32', [32, 16, 3, 3], values(32 * 144, 7, 0.1)),
        tensorProto('wf', 'float32', [10, 32 * 9 * 9], values(10 * 32 * 81, 8, 0.05)),
        tensorProto('bf', 'float32', [10], values(10, 9, 0.1)),
      ],
    }),
  });
  writeFileSync(file, toBinary(ModelProtoSchema, m));
  return file;
}

function recipe(model: string, out: string, stages: unknown[]): Recipe {
  return {
    version: 1,
    model,
    seed: 2,
    stages,
    calibration: { source: 'synthetic', samples: 8 },
    evaluation: { source: 'synthetic', samples: 8, latency: false },
    export: { dir: out },
  } as unknown as Recipe;
}

describe('compressing an opset-9 model', () => {
  const model = cnn9(path.join(dir, 'cnn9.onnx'));

  // int8 alone must stay faithful; half the (random) weights pruned moves the outputs more.
  for (const [name, stages, minCosine] of [
    ['int8', [{ type: 'quantize', method: 'int8' }], 0.99],
    ['magnitude 50% + int8', [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }, { type: 'quantize', method: 'int8' }], 0.8],
  ] as const) {
    it(`${name}: raised to opset 13 at load, the twin runs in ORT and agrees with its parent`, async () => {
      const r = await compressModel(recipe(model, path.join(dir, name.replace(/\W+/g, '-')), [...stages]));
      const twin = fromBinary(ModelProtoSchema, readFileSync(r.twin));
      expect(defaultOpset(twin)).toBeGreaterThanOrEqual(13);
      expect(twin.graph!.node.some((n) => n.opType === 'Clip' && n.attribute.some((a) => a.name === 'min'))).toBe(false);
      const s = await ort.InferenceSession.create(r.twin, { logSeverityLevel: 3 });
      const out = await s.run({ image: new ort.Tensor('float32', Float32Array.from(values(768, 11, 1)), [1, 3, 16, 16]) });
      await s.release();
      expect(out.probs.dims).toEqual([1, 10]);
      expect(r.metrics.cosine).toBeGreaterThanOrEqual(minCosine);
    });
  }

  it('a model that cannot be raised is refused at load, naming the op, before any other stage', async () => {
    const bad = cnn9(path.join(dir, 'bad9.onnx'), node('ImageScaler', ['raw'], ['image'], { scale: 0.5 }));
    const stagesSeen = new Set<string>();
    const err = await compressModel(recipe(bad, path.join(dir, 'bad'), [{ type: 'quantize', method: 'int8' }]), { onProgress: (p) => stagesSeen.add(p.stage) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TwinforgeError);
    expect((err as TwinforgeError).code).toBe('UNSUPPORTED');
    expect((err as TwinforgeError).message).toMatch(/opset 9.*ImageScaler/);
    expect([...stagesSeen]).toEqual(['load']);
  });

  it('the recipe check (recipe.validate) names the refusal, and passes a model it can raise', () => {
    const bad = cnn9(path.join(dir, 'bad9b.onnx'), node('ImageScaler', ['raw'], ['image'], { scale: 0.5 }));
    const stages = [{ type: 'quantize', method: 'int8' }];
    const refused = recipeValidate({ recipe: { version: 1, model: bad, stages } });
    expect(refused.ok).toBe(false);
    expect(refused.issues).toEqual([{ field: 'model', message: expect.stringMatching(/opset 9.*ImageScaler.*Export the model at opset 13/) }]);
    expect(recipeValidate({ recipe: { version: 1, model, stages } }).ok).toBe(true);
    // Pruning keeps the model's opset: nothing to raise, nothing to refuse.
    expect(recipeValidate({ recipe: { version: 1, model: bad, stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }] } }).ok).toBe(true);
  });
});
