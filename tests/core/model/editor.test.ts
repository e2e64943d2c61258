// Graph edits compression needs, checked through ONNX Runtime: Q/DQ weights (per-tensor,
// per-channel, blocked int4), Q/DQ on activations, MatMulNBits, channel removal, dtype changes,
// opset upgrades of attribute-form ops.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prunableWeights } from '../../../main/core/model';
import { ModelEditor } from '../../../main/core/model/onnx/editor';
import { dequantizeNBits, quantizeNBits } from '../../../main/core/model/onnx/nbits';
import { modelLayers } from '../../../main/core/model/layers';
import { OnnxModel } from '../../../main/core/model/onnx/reader';
import { fixtureFile } from '../../fixtures';
import { errorOf, inputsFor, maxDiff, outputsOf, rmTmp, tmpDir } from './helpers';

let dir: string;
beforeAll(() => {
  dir = tmpDir('editor');
});
afterAll(() => rmTmp(dir));

// Symmetric int quantization of w along `axis` (or per tensor), returning codes and scales.
function quantize(w: Float32Array, dims: number[], bits: number, axis?: number, block?: number): { codes: number[]; scale: number[] } {
  const qmax = 2 ** (bits - 1) - 1;
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const groupOf = (i: number): number => {
    if (axis === undefined) return 0;
    const idx = dims.map((d, k) => Math.floor(i / strides[k]) % d);
    if (block === undefined) return idx[axis];
    const sdims = dims.map((d, k) => (k === axis ? Math.ceil(d / block) : d));
    const sidx = idx.map((v, k) => (k === axis ? Math.floor(v / block) : v));
    return sidx.reduce((acc, v, k) => acc * sdims[k] + v, 0);
  };
  const n = axis === undefined ? 1 : block === undefined ? dims[axis] : dims.map((d, k) => (k === axis ? Math.ceil(d / block) : d)).reduce((a, b) => a * b, 1);
  const amax = new Array(n).fill(0);
  w.forEach((v, i) => (amax[groupOf(i)] = Math.max(amax[groupOf(i)], Math.abs(v))));
  const scale = amax.map((a) => a / qmax || 1);
  const codes = Array.from(w, (v, i) => Math.max(-qmax - 1, Math.min(qmax, Math.round(v / scale[groupOf(i)]))));
  return { codes, scale };
}

describe('ModelEditor', () => {
  it('stores a MatMul weight as int8 per-tensor and per-channel behind DequantizeLinear', async () => {
    const src = fixtureFile('transformer', dir);
    const feeds = await inputsFor(src);
    const ref = await outputsOf(src, feeds);
    for (const axis of [undefined, 1]) {
      const ed = ModelEditor.open(src);
      const deq = ModelEditor.open(src);
      for (const w of prunableWeights(ed.current())) {
        const ax = axis === undefined ? undefined : w.layout.outAxis;
        const q = quantize(w.float32(), w.dims, 8, ax);
        ed.addDequantize(w.id, { codes: q.codes, dtype: 'int8', scale: q.scale, axis: ax });
        // The same weights dequantized in JS: what DequantizeLinear must produce.
        deq.setTensor(w.id, Float32Array.from(q.codes, (c, i) => c * q.scale[ax === undefined ? 0 : i % w.dims[1]]));
      }
      const out = path.join(dir, `tr.int8.${axis ?? 'tensor'}.onnx`);
      const deqOut = path.join(dir, `tr.int8-ref.${axis ?? 'tensor'}.onnx`);
      ed.save(out);
      deq.save(deqOut);
      ed.close();
      deq.close();
      const m = OnnxModel.open(out);
      const codes = m.weights.filter((w) => w.dtype === 'int8');
      expect(codes.length).toBe(6);
      for (const c of codes) {
        expect(c.role).toBe('matmul_b');
        expect(c.quantized).toBe(true);
        expect(c.layout).toEqual({ outAxis: 1, inAxes: [0], group: 1 });
      }
      expect(m.weights.filter((w) => w.id.endsWith('_scale')).every((w) => w.role === 'quant_param')).toBe(true);
      expect(m.opsets['']).toBe(17);
      m.close();
      // Without graph optimizations ORT computes exactly DQ(codes) · x; with them it may fuse
      // DQ + MatMul into a dynamically quantized MatMul (activations in int8 too): close only.
      const exact = { graphOptimizationLevel: 'disabled' } as const;
      const got = await outputsOf(out, feeds, exact);
      expect(maxDiff(ref, got)).toBeGreaterThan(0);
      expect(maxDiff(await outputsOf(deqOut, feeds, exact), got)).toBeLessThan(1e-5);
      expect(maxDiff(ref, await outputsOf(out, feeds))).toBeLessThan(0.5);
    }
  });

  it('stores weights as blocked int4 (opset 21 block_size) and upgrades attribute-form ops', async () => {
    // The openwakeword model is opset 13 with ReduceMean(axes attribute): raising to 21 must move axes to an input.
    const src = fixtureFile('hello_deepa', dir);
    const feeds = await inputsFor(src);
    const ref = await outputsOf(src, feeds);
    const ed = ModelEditor.open(src);
    for (const w of prunableWeights(ed.current())) {
      if (w.dims[1] % 16) continue; // [out, in]: block along the input axis
      const q = quantize(w.float32(), w.dims, 4, 1, 16);
      ed.addDequantize(w.id, { codes: q.codes, dtype: 'int4', scale: q.scale, axis: 1, blockSize: 16 });
    }
    const out = path.join(dir, 'deepa.int4.onnx');
    ed.save(out);
    ed.close();
    const m = OnnxModel.open(out);
    expect(m.opsets['']).toBe(21);
    expect(m.irVersion).toBeGreaterThanOrEqual(10);
    expect(m.weights.filter((w) => w.dtype === 'int4').length).toBe(3);
    expect(m.nodes.filter((n) => n.op === 'ReduceMean').every((n) => n.attributes.axes === undefined && n.inputs[1])).toBe(true);
    m.close();
    const d = maxDiff(ref, await outputsOf(out, feeds));
    expect(d).toBeLessThan(0.1);
  });

  it('inserts QuantizeLinear → DequantizeLinear on an activation', async () => {
    const src = fixtureFile('mlp_gemm', dir);
    const feeds = await inputsFor(src);
    const ref = await outputsOf(src, feeds);
    const ed = ModelEditor.open(src);
    const names = ed.addQuantizeDequantize('hr', { scale: [0.01], zeroPoint: [0], dtype: 'uint8' });
    const out = path.join(dir, 'mlp.qdq.onnx');
    ed.save(out);
    ed.close();
    const m = OnnxModel.open(out);
    const fc2 = m.nodes.find((n) => n.name === 'fc2')!;
    expect(fc2.inputs[0]).toBe(names.dequantized);
    expect(m.nodes.map((n) => n.op)).toEqual(['Gemm', 'Relu', 'QuantizeLinear', 'DequantizeLinear', 'Gemm']);
    m.close();
    const d = maxDiff(ref, await outputsOf(out, feeds));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.05);
  });

  it('replaces MatMul by com.microsoft MatMulNBits (4-bit), matching the dequantized weights', async () => {
    const src = fixtureFile('transformer', dir);
    const feeds = await inputsFor(src);
    for (const symmetric of [true, false]) {
      const ed = ModelEditor.open(src);
      const ref = ModelEditor.open(src);
      const layersBefore = modelLayers(ed.current()).length;
      const expected = new Map<string, { params: number; nonzeros: number }>();
      for (const w of prunableWeights(ed.current())) {
        const [K, N] = w.dims;
        const q = quantizeNBits(w.float32(), K, N, 16, { symmetric });
        expect(ed.replaceMatMulWithNBits(w.id, q).length).toBe(1);
        const deq = dequantizeNBits(q);
        ref.setTensor(w.id, deq);
        expected.set(w.name, { params: K * N, nonzeros: deq.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0) });
      }
      const out = path.join(dir, `tr.nbits.${symmetric}.onnx`);
      const refOut = path.join(dir, `tr.nbits-ref.${symmetric}.onnx`);
      ed.save(out);
      ref.save(refOut);
      ed.close();
      ref.close();
      const m = OnnxModel.open(out);
      expect(m.opsets['com.microsoft']).toBe(1);
      expect(m.nodes.filter((n) => n.op === 'MatMulNBits').length).toBe(6);
      expect(m.weights.filter((w) => w.role === 'matmul_nbits').length).toBe(6);
      expect(m.weights.some((w) => w.id === 'attn.q_proj.weight')).toBe(false);
      // Still the model's layers, each counting the K x N weights it encodes and their nonzeros
      // (a code equal to its block's zero point is a zero weight).
      expect(modelLayers(m).length).toBe(layersBefore);
      const nbits = m.weights.filter((w) => w.role === 'matmul_nbits');
      const byName = (w: (typeof nbits)[number]) => expected.get(w.name.replace(/_Q4$/, ''))!; // B is named <weight>_Q4
      for (const w of nbits) {
        expect(w.logicalNumel).toBe(byName(w).params);
        expect(w.nonzeros()).toBe(byName(w).nonzeros);
      }
      m.close();
      expect(maxDiff(await outputsOf(refOut, feeds), await outputsOf(out, feeds))).toBeLessThan(1e-4);
    }
  });

  it('MatMulNBits with accuracy_level 4 loads and runs', async () => {
    const src = fixtureFile('external_data', dir);
    const feeds = await inputsFor(src);
    const ed = ModelEditor.open(src);
    const w = ed.current().weight('l1.weight')!;
    ed.replaceMatMulWithNBits(w.id, quantizeNBits(w.float32(), 64, 64, 32), { accuracyLevel: 4 });
    const out = path.join(dir, 'ext.nbits4.onnx');
    ed.save(out, { externalData: 'never' });
    ed.close();
    // accuracy_level 4 also quantizes the activations to int8: close, not equal.
    const got = await outputsOf(out, feeds);
    expect(got.y.every(Number.isFinite)).toBe(true);
    expect(maxDiff(await outputsOf(src, feeds), got)).toBeLessThan(0.5);
  });

  it('removes channels: smaller weights with new dims give the masked model\'s outputs', async () => {
    // Hidden units 0..7 of the MLP removed: fc1 rows (transB=1: out axis 0), fc1 bias, fc2 rows (in axis 0).
    const src = fixtureFile('mlp_gemm', dir);
    const feeds = await inputsFor(src);
    const keep = Array.from({ length: 32 }, (_, i) => i).filter((i) => i >= 8);
    const masked = ModelEditor.open(src);
    const small = ModelEditor.open(src);
    const m0 = masked.current();
    const w1 = m0.weight('fc1.weight')!.float32();
    const b1 = m0.weight('fc1.bias')!.float32();
    const w2 = m0.weight('fc2.weight')!.float32();
    expect(m0.weight('fc1.weight')!.layout).toEqual({ outAxis: 0, inAxes: [1], group: 1 });
    expect(m0.weight('fc2.weight')!.layout).toEqual({ outAxis: 1, inAxes: [0], group: 1 });
    // Reference: the same units zeroed (Relu(0) = 0, so they contribute nothing).
    masked.setTensor('fc1.weight', w1.map((v, i) => (Math.floor(i / 16) < 8 ? 0 : v)));
    masked.setTensor('fc1.bias', b1.map((v, i) => (i < 8 ? 0 : v)));
    small.setTensor('fc1.weight', Float32Array.from(keep.flatMap((r) => Array.from(w1.subarray(r * 16, r * 16 + 16)))), { dims: [24, 16] });
    small.setTensor('fc1.bias', Float32Array.from(keep.map((r) => b1[r])), { dims: [24] });
    small.setTensor('fc2.weight', Float32Array.from(keep.flatMap((r) => Array.from(w2.subarray(r * 10, r * 10 + 10)))), { dims: [24, 10] });
    const a = path.join(dir, 'mlp.masked.onnx');
    const b = path.join(dir, 'mlp.small.onnx');
    masked.save(a);
    small.save(b);
    expect(small.current().weight('fc1.weight')!.dims).toEqual([24, 16]);
    masked.close();
    small.close();
    expect(maxDiff(await outputsOf(a, feeds), await outputsOf(b, feeds))).toBeLessThan(1e-5);
  });

  it('changes a weight\'s dtype (float16 weights set to new float16 values)', async () => {
    const src = fixtureFile('fp16_weights', dir);
    const ed = ModelEditor.open(src);
    ed.setTensor('fc.weight', new Float32Array(256).fill(0.25));
    const out = path.join(dir, 'fp16.set.onnx');
    ed.save(out);
    ed.close();
    const m = OnnxModel.open(out);
    expect(m.weight('fc.weight')!.dtype).toBe('float16');
    expect(Array.from(m.weight('fc.weight')!.float32()).every((v) => v === 0.25)).toBe(true);
    m.close();
    const feeds = await inputsFor(src);
    await outputsOf(out, feeds);
  });

  it('sets Constant-node and subgraph weights', async () => {
    const src = fixtureFile('constant_weights', dir);
    const ed = ModelEditor.open(src);
    ed.setTensor('W', new Float32Array(32).fill(0));
    ed.setTensor('b', Float32Array.of(1, 2, 3, 4));
    const out = path.join(dir, 'const.set.onnx');
    ed.save(out);
    ed.close();
    const feeds = await inputsFor(src);
    expect((await outputsOf(out, feeds)).y).toEqual([0.5, 1, 1.5, 2]);

    const src2 = fixtureFile('if_subgraph', dir);
    const ed2 = ModelEditor.open(src2);
    const ids = ed2.current().weights.map((w) => w.id);
    expect(ids).toContain('branch/then_branch:then.weight');
    expect(ids).toContain('branch/else_branch:else.weight');
    ed2.setTensor('branch/then_branch:then.weight', new Float32Array(32));
    ed2.setTensor('branch/else_branch:else.weight', new Float32Array(32));
    ed2.setTensor('outer.bias', Float32Array.of(1, 1, 1, 1));
    const out2 = path.join(dir, 'if.set.onnx');
    ed2.save(out2);
    ed2.close();
    const o = await outputsOf(out2, await inputsFor(src2));
    expect(o.y.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('refuses edits that cannot work, with a clear error', () => {
    const ed = ModelEditor.open(fixtureFile('cnn', dir));
    expect(errorOf(() => ed.setTensor('nope', [1])).code).toBe('NOT_FOUND');
    expect(errorOf(() => ed.setTensor('conv1.bias', [1, 2, 3])).code).toBe('BAD_INPUT');
    expect(errorOf(() => ed.addDequantize('conv1.weight', { codes: new Array(216).fill(0), dtype: 'int8', scale: [1, 2] })).code).toBe('BAD_INPUT');
    expect(errorOf(() => ed.replaceMatMulWithNBits('head.weight', quantizeNBits(new Float32Array(160), 10, 16, 16))).code).toBe('BAD_INPUT');
    expect(errorOf(() => ed.addQuantizeDequantize('missing', { scale: [1], dtype: 'int8' })).code).toBe('BAD_INPUT');
    ed.close();
  });

  it('removeUnused drops weights nothing reads', () => {
    const ed = ModelEditor.open(fixtureFile('transformer', dir));
    const w = ed.current().weight('attn.q_proj.weight')!;
    ed.replaceMatMulWithNBits(w.id, quantizeNBits(w.float32(), 32, 32, 16));
    expect(ed.current().weight('attn.q_proj.weight')).toBeUndefined();
    expect(ed.removeUnused()).toEqual([]);
    ed.close();
  });
});
