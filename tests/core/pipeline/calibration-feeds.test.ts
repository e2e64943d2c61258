// Calibration feeds the weights an earlier stage left in memory to ONNX Runtime instead of writing
// them to a scratch model: only weights that are safe to feed move, the editor's model is as
// before afterwards, and the statistics are exactly those of the written model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import { ModelEditor } from '../../../main/core/model/onnx/editor';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../../../main/core/model/onnx/build';
import { findLayers } from '../../../main/core/methods/layers';
import { calibrate } from '../../../main/core/pipeline/calibration';
import { FEED_MIN_BYTES, moveWeightsToFeeds } from '../../../main/core/pipeline/calibration-feeds';
import { syntheticDataset } from '../../../main/core/data/dataset';
import { generateMlp } from '../../../main/core/bench/compress';
import { Rng } from '../../../main/core/data/rng';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('calib-feeds');
});
afterAll(() => tmp.cleanup());

const WIDTH = 512; // 512 x 512 float32 = 1 MiB: just big enough to be fed

/** Opens `file` and halves every MatMul weight (an edit: the weights are then in memory). */
function editedEditor(file: string): ModelEditor {
  const editor = ModelEditor.open(file);
  for (const l of findLayers(editor.current())) {
    const w = l.weight.float32();
    for (let i = 0; i < w.length; i++) w[i] *= i % 2 ? 0 : 0.5;
    editor.setTensor(l.weight.id, w);
  }
  return editor;
}

describe('calibration feeds', () => {
  it('moves in-memory MatMul weights to feeds and puts them back', () => {
    const file = path.join(tmp.dir, 'mlp.onnx');
    generateMlp(file, 2, WIDTH);
    const editor = editedEditor(file);
    try {
      const graph = editor.current().proto.graph!;
      const inits = graph.initializer;
      const inputs = graph.input;
      const moved = moveWeightsToFeeds(editor);
      expect(Object.keys(moved.feeds).sort()).toEqual(['layers.0.weight', 'layers.1.weight']);
      expect(moved.bytes).toBe(2 * WIDTH * WIDTH * 4);
      expect(moved.feeds['layers.0.weight'].dims).toEqual([WIDTH, WIDTH]);
      // biases (2 KiB) stay initializers; the moved weights became graph inputs
      expect(graph.initializer.map((t) => t.name).sort()).toEqual(['layers.0.bias', 'layers.1.bias']);
      expect(graph.input.map((i) => i.name)).toEqual(['x', 'layers.0.weight', 'layers.1.weight']);
      moved.restore();
      expect(graph.initializer).toBe(inits);
      expect(graph.input).toBe(inputs);
    } finally {
      editor.close();
    }
  });

  it('leaves weights in files, small ones, and ones another op or a subgraph reads', () => {
    const rng = new Rng(3);
    const big = () => Float32Array.from({ length: WIDTH * WIDTH }, () => rng.normal());
    const model = modelProto({
      opsets: { '': 17 },
      graph: graphProto({
        name: 'g',
        // 'shared' is listed as an input too (an IR 3 style default): it must not be declared twice
        inputs: [valueInfo('x', 'float32', [1, WIDTH]), valueInfo('shared', 'float32', [WIDTH, WIDTH])],
        outputs: [valueInfo('y', 'float32', [1, WIDTH]), valueInfo('z', 'float32', [WIDTH, WIDTH])],
        initializers: [
          tensorProto('fed', 'float32', [WIDTH, WIDTH], big()),
          tensorProto('shared', 'float32', [WIDTH, WIDTH], big()),
          tensorProto('added', 'float32', [WIDTH, WIDTH], big()),
          tensorProto('small', 'float32', [WIDTH, 1], big().subarray(0, WIDTH)),
          tensorProto('insub', 'float32', [WIDTH, WIDTH], big()),
        ],
        nodes: [
          node('MatMul', ['x', 'fed'], ['a']),
          node('MatMul', ['a', 'shared'], ['b']),
          node('MatMul', ['b', 'added'], ['c']),
          node('Add', ['added', 'added'], ['z']),
          node('MatMul', ['c', 'small'], ['d']),
          node('Expand', ['d', 'shape'], ['y']),
          node('Constant', [], ['shape'], { value: tensorProto('v', 'int64', [2], BigInt64Array.of(1n, BigInt(WIDTH))) }),
          // read by a main-graph MatMul and by a node of an If branch (outer scope)
          node('MatMul', ['x', 'insub'], ['e']),
          node('If', ['flag'], ['f'], {
            then_branch: graphProto({ name: 't', inputs: [], outputs: [valueInfo('t', 'float32', null)], nodes: [node('Identity', ['insub'], ['t'])] }),
            else_branch: graphProto({ name: 'e', inputs: [], outputs: [valueInfo('u', 'float32', null)], nodes: [node('Identity', ['e'], ['u'])] }),
          }),
        ],
      }),
    });
    const file = path.join(tmp.dir, 'mixed.onnx');
    writeFileSync(file, toBinary(ModelProtoSchema, model));
    const editor = ModelEditor.open(file);
    try {
      // read whole (a small file): every initializer is in memory
      const moved = moveWeightsToFeeds(editor);
      expect(Object.keys(moved.feeds).sort()).toEqual(['fed', 'shared']);
      const names = editor.current().proto.graph!.input.map((i) => i.name);
      expect(names.filter((n) => n === 'shared')).toHaveLength(1);
      expect(names).toContain('fed');
      moved.restore();
      expect(WIDTH * 4).toBeLessThan(FEED_MIN_BYTES);
    } finally {
      editor.close();
    }
    // A weight still in its external data file is not fed (writing it costs a copy either way).
    const ext = path.join(tmp.dir, 'ext.onnx');
    generateMlp(ext, 1, WIDTH);
    const fromFile = ModelEditor.open(ext);
    try {
      expect(moveWeightsToFeeds(fromFile).bytes).toBe(0);
    } finally {
      fromFile.close();
    }
  });

  it('feeds Conv weights too: the statistics match the written model to float rounding', async () => {
    const rng = new Rng(5);
    const w = (n: number) => Float32Array.from({ length: n }, () => rng.normal() * 0.05);
    const model = modelProto({
      opsets: { '': 17 },
      graph: graphProto({
        name: 'cnn',
        inputs: [valueInfo('x', 'float32', [1, 256, 8, 8])],
        outputs: [valueInfo('y', 'float32', [1, 128, 8, 8])],
        initializers: [tensorProto('conv1.weight', 'float32', [128, 256, 3, 3], w(128 * 256 * 9)), tensorProto('conv2.weight', 'float32', [128, 128, 3, 3], w(128 * 128 * 9))],
        nodes: [
          node('Conv', ['x', 'conv1.weight'], ['c1'], { pads: [1, 1, 1, 1] }, { name: 'conv1' }),
          node('Relu', ['c1'], ['h'], {}, { name: 'relu' }),
          node('Conv', ['h', 'conv2.weight'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'conv2' }),
        ],
      }),
    });
    const file = path.join(tmp.dir, 'cnn.onnx');
    writeFileSync(file, toBinary(ModelProtoSchema, model));
    const fed = editedEditor(file);
    const saved = path.join(tmp.dir, 'cnn-edited.onnx');
    fed.save(saved, { externalData: 'always' });
    const written = ModelEditor.open(saved);
    try {
      const probe = moveWeightsToFeeds(fed);
      probe.restore();
      expect(Object.keys(probe.feeds)).toEqual(['conv1.weight']); // conv2 is 0.6 MiB
      const data = syntheticDataset({ field: 'calibration.source', inputs: [{ name: 'x', type: 'float32', shape: [1, 256, 8, 8] }], samples: 4, seed: 2 });
      const ranges = async (editor: ModelEditor) => (await calibrate(editor, data, { layers: [], ranges: ['h'], histogram: false }, { batchSize: 1, tmpDir: tmp.dir })).ranges.get('h')!;
      const a = await ranges(fed);
      const b = await ranges(written);
      expect(a.max).toBeGreaterThan(0);
      expect(Math.abs(a.max - b.max)).toBeLessThan(1e-5 * b.max);
      expect(a.min).toBe(0); // after Relu
    } finally {
      fed.close();
      written.close();
    }
  });

  it('gives exactly the statistics of the written model', async () => {
    const file = path.join(tmp.dir, 'stats.onnx');
    generateMlp(file, 3, WIDTH);
    const fed = editedEditor(file);
    // The same edited model saved and reopened: its weights are in a file, so they are written.
    const saved = path.join(tmp.dir, 'edited.onnx');
    fed.save(saved, { externalData: 'always' });
    const written = ModelEditor.open(saved);
    try {
      const data = syntheticDataset({ field: 'calibration.source', inputs: [{ name: 'x', type: 'float32', shape: ['batch', WIDTH] }], inputShapes: { x: [1, WIDTH] }, samples: 6, seed: 2 });
      const run = (editor: ModelEditor) => {
        const layers = findLayers(editor.current());
        const plan = { layers: layers.map((layer) => ({ layer, hessian: false, norms: true })), ranges: layers.map((l) => l.activation!), histogram: true };
        return calibrate(editor, data, plan, { batchSize: 2, tmpDir: tmp.dir }).then((r) => ({ r, layers }));
      };
      const a = await run(fed);
      const b = await run(written);
      expect(a.r.ranges.size).toBe(3);
      for (const [name, range] of a.r.ranges) {
        const other = b.r.ranges.get(name)!;
        expect([range.min, range.max]).toEqual([other.min, other.max]);
        expect(Array.from(range.hist!)).toEqual(Array.from(other.hist!));
      }
      for (let i = 0; i < a.layers.length; i++) {
        expect(Array.from(a.r.stats.get(a.layers[i])!.featureNorms!)).toEqual(Array.from(b.r.stats.get(b.layers[i])!.featureNorms!));
      }
      // the editor's model is unchanged by the pass: it saves to the same bytes as before
      const again = path.join(tmp.dir, 'again.onnx');
      fed.save(again, { externalData: 'always' });
      expect(readFileSync(`${again}.data`).equals(readFileSync(`${saved}.data`))).toBe(true);
    } finally {
      fed.close();
      written.close();
    }
  });
});
