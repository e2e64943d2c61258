// Roles, layouts, attention tags, shape inference and FLOPs on small hand-built graphs.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeModel } from '../../../main/core/model/analysis';
import { openModel, prunableWeights } from '../../../main/core/model';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../../../main/core/model/onnx/build';
import { OnnxModel } from '../../../main/core/model/onnx/reader';
import { saveOnnx } from '../../../main/core/model/onnx/writer';
import type { ModelProto } from 'onnx-buf';
import { fixtureFile, fixtureProto } from '../../fixtures';
import { rmTmp, tmpDir } from './helpers';

let dir: string;
beforeAll(() => {
  dir = tmpDir('analysis');
});
afterAll(() => rmTmp(dir));

function save(name: string, proto: ModelProto): string {
  const f = path.join(dir, `${name}.onnx`);
  saveOnnx(OnnxModel.fromProto(proto, f), f);
  return f;
}
const f32 = (name: string, dims: number[]): ReturnType<typeof tensorProto> => tensorProto(name, 'float32', dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7) % 11) / 10 - 0.5));

describe('FLOPs and shapes', () => {
  it('transformer block: FLOPs for given input shapes and for symbolic dims', () => {
    const m = openModel(fixtureFile('transformer', dir));
    expect(analyzeModel(m).totals.flops).toBe(17196);
    expect(analyzeModel(m).assumedDims).toEqual({ batch: 1, seq: 1 });
    const a = analyzeModel(m, { inputShapes: { x: [2, 5, 32] } });
    expect(a.totals.flops).toBe(177560);
    expect(a.unknownShapes).toEqual([]);
    expect(analyzeModel(m, { dimDefaults: { batch: 2, seq: 5 } }).totals.flops).toBe(177560);
    const q = a.layers.find((l) => l.name === 'q_proj')!;
    expect(q).toMatchObject({ macs: 10240, flops: 20480, inputShape: [2, 5, 32], outputShape: [2, 5, 32] });
    m.close();
  });

  it('CNN: conv, depthwise, pooling and Gemm shapes', () => {
    const m = openModel(fixtureFile('cnn', dir));
    const a = analyzeModel(m, { inputShapes: { image: [1, 3, 16, 16] } });
    const row = (n: string) => a.layers.find((l) => l.name === n)!;
    expect(row('conv1')).toMatchObject({ outputShape: [1, 8, 16, 16], macs: 8 * 16 * 16 * 27 });
    expect(row('depthwise')).toMatchObject({ outputShape: [1, 8, 8, 8], macs: 8 * 8 * 8 * 9 });
    expect(row('pointwise')).toMatchObject({ outputShape: [1, 16, 8, 8], macs: 16 * 64 * 8 });
    expect(row('head')).toMatchObject({ inputShape: [1, 16], outputShape: [1, 10], macs: 160 });
    m.close();
  });

  it('folds PyTorch-style Shape → Gather → Unsqueeze → Concat → Reshape chains', () => {
    const proto = modelProto({
      opsets: { '': 13 },
      graph: graphProto({
        name: 'dyn',
        inputs: [valueInfo('x', 'float32', ['B', 'T', 32])],
        outputs: [valueInfo('y', 'float32', null)],
        initializers: [f32('W', [32, 16]), tensorProto('zero', 'int64', [], BigInt64Array.of(0n)), tensorProto('axes0', 'int64', [1], BigInt64Array.of(0n)), tensorProto('rest', 'int64', [2], BigInt64Array.of(-1n, 32n))],
        nodes: [
          node('Shape', ['x'], ['s']),
          node('Gather', ['s', 'zero'], ['b']),
          node('Unsqueeze', ['b', 'axes0'], ['bu']),
          node('Concat', ['bu', 'rest'], ['shp'], { axis: 0 }),
          node('Reshape', ['x', 'shp'], ['r']),
          node('MatMul', ['r', 'W'], ['y'], {}, { name: 'mm' }),
        ],
      }),
    });
    const m = openModel(save('dyn', proto));
    const a = analyzeModel(m, { inputShapes: { x: [3, 4, 32] } });
    expect(a.layers[0]).toMatchObject({ name: 'mm', inputShape: [3, 4, 32], outputShape: [3, 4, 16], flops: 2 * 3 * 4 * 32 * 16 });
    m.close();
  });
});

describe('roles and layouts', () => {
  it('finds attention projections by structure, whatever their names', () => {
    const proto = fixtureProto('transformer');
    const rename = new Map([['attn.q_proj.weight', 'w_a'], ['attn.k_proj.weight', 'w_b'], ['attn.v_proj.weight', 'w_c'], ['attn.o_proj.weight', 'w_d'], ['mlp.fc1.weight', 'w_e']]);
    for (const t of proto.graph!.initializer) t.name = rename.get(t.name) ?? t.name;
    for (const n of proto.graph!.node) n.input = n.input.map((i) => rename.get(i) ?? i);
    const m = openModel(save('anon-attn', proto));
    const tag = (id: string): string | undefined => m.weight(id)!.attention;
    expect([tag('w_a'), tag('w_b'), tag('w_c'), tag('w_d'), tag('w_e')]).toEqual(['q', 'k', 'v', 'o', undefined]);
    expect(prunableWeights(m).map((w) => w.id)).toEqual(['w_a', 'w_b', 'w_c', 'w_d', 'w_e', 'mlp.fc2.weight']);
    m.close();
  });

  it('layouts follow Gemm transB, Transpose, ConvTranspose, and DequantizeLinear marks quantized weights', () => {
    const proto = modelProto({
      opsets: { '': 13 },
      graph: graphProto({
        name: 'layouts',
        inputs: [valueInfo('x', 'float32', [1, 8]), valueInfo('img', 'float32', [1, 4, 5, 5]), valueInfo('ids', 'int64', [1, 3])],
        outputs: [valueInfo('y1', 'float32', null), valueInfo('y2', 'float32', null), valueInfo('y3', 'float32', null), valueInfo('y4', 'float32', null), valueInfo('y5', 'float32', null)],
        initializers: [
          f32('gemm_nt', [8, 6]),
          f32('w_out_in', [6, 8]),
          f32('deconv', [4, 2, 3, 3]),
          tensorProto('q8', 'int8', [8, 6], new Array(48).fill(3)),
          tensorProto('q8_scale', 'float32', [6], new Array(6).fill(0.1)),
          f32('emb', [10, 4]),
          f32('pow_exp', []),
        ],
        nodes: [
          node('Gemm', ['x', 'gemm_nt'], ['y1'], {}, { name: 'gemm' }),
          node('Transpose', ['w_out_in'], ['wt'], { perm: [1, 0] }),
          node('MatMul', ['x', 'wt'], ['y2'], {}, { name: 'mm_t' }),
          node('ConvTranspose', ['img', 'deconv'], ['y3'], { group: 2 }, { name: 'deconv' }),
          node('DequantizeLinear', ['q8', 'q8_scale'], ['wq'], { axis: 1 }),
          node('MatMul', ['x', 'wq'], ['y4'], {}, { name: 'mm_q' }),
          node('Gather', ['emb', 'ids'], ['e']),
          node('Pow', ['e', 'pow_exp'], ['y5']),
        ],
      }),
    });
    const m = openModel(save('layouts', proto));
    const w = (id: string) => m.weight(id)!;
    expect(w('gemm_nt')).toMatchObject({ role: 'gemm_b', layout: { outAxis: 1, inAxes: [0], group: 1 } });
    expect(w('w_out_in')).toMatchObject({ role: 'matmul_b', layout: { outAxis: 0, inAxes: [1], group: 1 } });
    expect(w('deconv')).toMatchObject({ role: 'conv_transpose_w', layout: { outAxis: 1, inAxes: [0, 2, 3], group: 2 } });
    expect(w('q8')).toMatchObject({ role: 'matmul_b', quantized: true, layout: { outAxis: 1, inAxes: [0], group: 1 } });
    expect(w('q8_scale')).toMatchObject({ role: 'quant_param', isParameter: false });
    expect(w('emb')).toMatchObject({ role: 'embedding', isParameter: true });
    expect(w('pow_exp')).toMatchObject({ role: 'scalar', isParameter: false });
    const a = analyzeModel(m, {});
    expect(a.layers.find((l) => l.name === 'mm_q')).toMatchObject({ weight: 'q8', quantized: true, dtype: 'int8' });
    expect(a.layers.find((l) => l.name === 'deconv')!.outputShape).toEqual([1, 4, 7, 7]);
    m.close();
  });

  it('reads weights the same through whole-file and positional reads', () => {
    const file = fixtureFile('hello_deepa', dir);
    const a = OnnxModel.open(file);
    const b = OnnxModel.open(file, { wholeFileMaxBytes: 0, lazyMinBytes: 16 });
    expect(b.weights.filter((w) => w.storage === 'lazy').length).toBeGreaterThan(5);
    for (const w of a.weights) {
      expect(Array.from(b.weight(w.id)!.float32())).toEqual(Array.from(w.float32()));
      const chunks = [...b.weight(w.id)!.chunks(1000)];
      expect(chunks.reduce((s, c) => s + c.values.length, 0)).toBe(w.numel);
      expect(b.weight(w.id)!.nonzeros()).toBe(w.nonzeros());
    }
    a.close();
    b.close();
  });
});
