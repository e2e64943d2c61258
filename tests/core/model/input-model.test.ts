// The input model on graphs made by the real PyTorch exporter (tests/fixtures/torch): roles,
// batch axes, fixed and unresolved dims, and the synthetic data each role gets.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { openModel } from '../../../main/core/model';
import { buildInputModel, concreteShapes, factsFromIR, requireResolved, type InputModelOptions } from '../../../main/core/model/input-model';
import { syntheticDataset, batchRanges, firstBatch } from '../../../main/core/data/dataset';

const TORCH = path.resolve(__dirname, '../../fixtures/torch');

function modelOf(file: string, opts: InputModelOptions = {}) {
  const ir = openModel(path.join(TORCH, file));
  try {
    return { im: buildInputModel(factsFromIR(ir), opts), inputs: ir.inputs.map((i) => ({ name: i.name, type: i.dtype!, shape: i.shape! })) };
  } finally {
    ir.close();
  }
}

describe('input model on PyTorch exports', () => {
  it('LSTM: state inputs [layers, batch, hidden] carry the batch on dim 1, start at zeros', () => {
    const { im, inputs } = modelOf('lstm_op11.onnx', { dims: { time: 5 } });
    const byName = Object.fromEntries(im.inputs.map((i) => [i.name, i]));
    expect(byName.h0.role).toBe('state');
    expect(byName.c0.role).toBe('state');
    expect(byName.h0.batchAxis).toBe(1);
    expect(byName.x.batchAxis).toBe(0);
    expect(im.unresolved).toEqual([]);
    const ds = syntheticDataset({ field: 'calibration.source', inputs, inputModel: im, samples: 6 });
    const b = ds.batch(0, 3);
    expect(b.feeds.x.dims).toEqual([3, 5, 20]);
    expect(b.feeds.h0.dims).toEqual([2, 3, 32]);
    expect(Array.from(b.feeds.c0.data as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it('fixed batches of 2 and 16 are honoured: every batch holds exactly that many rows', () => {
    for (const [file, k] of [['mlp_batch2_op9.onnx', 2], ['cnn_batch16_op17.onnx', 16]] as const) {
      const { im, inputs } = modelOf(file);
      expect(im.fixedBatch).toBe(k);
      const ds = syntheticDataset({ field: 'calibration.source', inputs, inputModel: im, samples: 20 });
      const sizes = [...batchRanges(ds, 8)].map(([, n]) => n);
      expect(sizes.length).toBeGreaterThan(0);
      expect(sizes.every((n) => n === k)).toBe(true);
      expect(Object.values(firstBatch(ds).feeds)[0].dims[0]).toBe(k);
    }
  });

  it('dynamic spatial dims stay unresolved (never 1) until given; the batch alone defaults to 1', () => {
    const { im, inputs } = modelOf('resnet_tiny_op13.onnx');
    expect(im.batchSymbol).toBe('batch');
    expect(im.unresolved.map((u) => u.declared)).toEqual(['height', 'width']);
    expect(concreteShapes(im)).toBeUndefined();
    expect(() => requireResolved(im)).toThrow(/'input' dim 2 \(height\), 'input' dim 3 \(width\)/);
    expect(() => syntheticDataset({ field: 'calibration.source', inputs, inputModel: im })).toThrow(/never guesses/);
    const given = modelOf('resnet_tiny_op13.onnx', { inputShapes: { input: [1, 3, 32, 40] } }).im;
    expect(concreteShapes(given)).toEqual({ input: [1, 3, 32, 40] });
    expect(concreteShapes(modelOf('resnet_tiny_op13.onnx', { dims: { height: 24, width: 24 } }).im, 4)).toEqual({ input: [4, 3, 24, 24] });
  });

  it('token ids are drawn within the embedding table; masks are ones', () => {
    const { im, inputs } = modelOf('transformer_encoder_op14.onnx', { dims: { sequence: 6 } });
    const ids = im.inputs.find((i) => i.name === 'input_ids')!;
    const mask = im.inputs.find((i) => i.name === 'attention_mask')!;
    expect(ids.role).toBe('token-ids');
    expect(ids.vocab).toBeGreaterThan(16);
    expect(mask.role).toBe('mask');
    const ds = syntheticDataset({ field: 'calibration.source', inputs, inputModel: im, samples: 8 });
    const b = ds.batch(0, 8);
    const idv = Array.from(b.feeds.input_ids.data as BigInt64Array, Number);
    expect(Math.max(...idv)).toBeLessThan(ids.vocab!);
    expect(Math.max(...idv)).toBeGreaterThan(15); // not the old 0..15 range
    expect(Array.from(b.feeds.attention_mask.data as BigInt64Array | Uint8Array | Float32Array, Number).every((v) => v === 1)).toBe(true);
    expect(ds.warnings.some((w) => /token ids/.test(w)) && ds.warnings.some((w) => /attention mask/.test(w))).toBe(true);
  });

  it("a decoder's float causal mask added to the scores gets the causal pattern, not ones (which would hide nothing)", () => {
    const { im, inputs } = modelOf('gpt_tiny_op13.onnx', { inputShapes: { input_ids: [1, 8], causal_mask: [8, 8] } });
    const mask = im.inputs.find((i) => i.name === 'causal_mask')!;
    expect(mask.role).toBe('mask');
    expect(mask.maskFill).toBe('causal');
    const ds = syntheticDataset({ field: 'calibration.source', inputs, inputModel: im, samples: 2 });
    const m = ds.batch(0, 1).feeds.causal_mask;
    expect(m.dims).toEqual([8, 8]);
    const v = m.data as Float32Array;
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) expect(v[i * 8 + j]).toBe(j > i ? -1e9 : 0);
    expect(ds.warnings.some((w) => /causal_mask/.test(w) && /hide the future/.test(w))).toBe(true);
  });

  it('refuses a given shape that contradicts a fixed dim, and names unknown inputs', () => {
    expect(() => modelOf('mlp_batch2_op9.onnx', { inputShapes: { [modelOf('mlp_batch2_op9.onnx').im.inputs[0].name]: [1, 64] } })).toThrow(/fixed at 2/);
    expect(() => modelOf('mlp_batch2_op9.onnx', { inputShapes: { nope: [1] } })).toThrow(/'nope', which is not an input/);
  });
});

describe('control inputs', () => {
  it('a scalar steering an If needs its value; the value is then fed in every batch', () => {
    const facts = {
      inputs: [
        { name: 'audio', dtype: 'float32', dims: ['batch', 16] as Array<string | number | null> },
        { name: 'sample_rate', dtype: 'int64', dims: [] },
      ],
      nodes: [
        { op: 'Equal', inputs: ['sample_rate', 'k16000'], outputs: ['is16k'] },
        { op: 'If', inputs: ['is16k'], outputs: ['y'] },
      ],
      constDims: new Map([['k16000', []]]),
    };
    const im = buildInputModel(facts);
    expect(im.inputs[1].role).toBe('control');
    expect(() => requireResolved(im)).toThrow(/sample_rate.*control value/);
    const withValue = buildInputModel(facts, { inputValues: { sample_rate: 16000 } });
    const ds = syntheticDataset({ field: 'calibration.source', inputs: [{ name: 'audio', type: 'float32', shape: ['batch', 16] }, { name: 'sample_rate', type: 'int64', shape: [] }], inputModel: withValue, samples: 4 });
    const b = ds.batch(0, 2);
    expect(b.feeds.sample_rate.dims).toEqual([]);
    expect(Number((b.feeds.sample_rate.data as BigInt64Array)[0])).toBe(16000);
    expect(b.feeds.audio.dims).toEqual([2, 16]);
  });
});
