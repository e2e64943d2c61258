// Opset up-conversion, op by op, on small graphs built at the old opset: ONNX Runtime runs the
// original (it still runs opsets 7-12) and the converted model on the same seeded inputs and the
// outputs must agree. Cases the ONNX suite does not hold at an old opset live here (Softmax on a
// middle axis, Hardmax, Resize-10 up/down, Upsample-7, TopK-1, Clip with one bound, ...), plus
// the refusals and the guarantee that a refused model is left untouched.
import { toBinary } from '@bufbuild/protobuf';
import { type ModelProto, ModelProtoSchema, type NodeProto } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { TwinforgeError } from '../../../main/core/errors';
import type { DType } from '../../../main/core/model/dtype';
import { type AttrInit, graphProto, modelProto, node, tensorProto, valueInfo } from '../../../main/core/model/onnx/build';
import { checkOpset, defaultOpset, upgradeOpset } from '../../../main/core/model/onnx/opset';
import type { TensorProto } from 'onnx-buf';

interface Case {
  name: string;
  opset: number;
  nodes: NodeProto[];
  inputs: Array<{ name: string; shape: number[]; dtype?: DType; declared?: boolean }>;
  outputs: string[];
  /** Element types of outputs that are not float32. */
  outTypes?: Record<string, DType>;
  inits?: TensorProto[];
  /** Ops the converted graph must (not) contain. */
  expectOps?: string[];
  noOps?: string[];
}

function build(c: Case): ModelProto {
  return modelProto({
    opsets: { '': c.opset },
    graph: graphProto({
      name: c.name,
      nodes: c.nodes,
      inputs: c.inputs.map((i) => valueInfo(i.name, i.dtype ?? 'float32', i.declared === false ? null : i.shape)),
      outputs: c.outputs.map((o) => valueInfo(o, c.outTypes?.[o] ?? 'float32', null)),
      initializers: c.inits ?? [],
    }),
  });
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 4 - 2;
  }
  return out;
}

async function run(m: ModelProto, c: Case): Promise<Record<string, { dims: readonly number[]; data: number[] }>> {
  const s = await ort.InferenceSession.create(toBinary(ModelProtoSchema, m), { logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    c.inputs.forEach((i, k) => {
      const n = i.shape.reduce((a, b) => a * b, 1);
      feeds[i.name] = i.dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(seeded(n, k + 1), (v) => BigInt(Math.floor(Math.abs(v) * 1.5) % 2)), i.shape) : new ort.Tensor('float32', seeded(n, k + 1), i.shape);
    });
    const out = await s.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { dims: v.dims, data: Array.from(v.data as ArrayLike<number | bigint>, Number) }]));
  } finally {
    await s.release();
  }
}

const f32 = (name: string, dims: number[], v: number[]) => tensorProto(name, 'float32', dims, v);
const i64 = (name: string, dims: number[], v: number[]) => tensorProto(name, 'int64', dims, v);
const n1 = (op: string, ins: string[], outs: string[], attrs: Record<string, AttrInit> = {}) => node(op, ins, outs, attrs);

const X4 = [{ name: 'x', shape: [2, 3, 4, 5] }];
const CASES: Case[] = [
  { name: 'softmax-11 middle axis', opset: 11, nodes: [n1('Softmax', ['x'], ['y'], { axis: 1 })], inputs: X4, outputs: ['y'], expectOps: ['Flatten', 'Reshape'] },
  { name: 'softmax-11 middle axis, rank not declared', opset: 11, nodes: [n1('Softmax', ['x'], ['y'], { axis: 2 })], inputs: [{ name: 'x', shape: [2, 3, 4, 5], declared: false }], outputs: ['y'], expectOps: ['Flatten'] },
  { name: 'softmax-11 last axis (equivalent, one node)', opset: 11, nodes: [n1('Softmax', ['x'], ['y'], { axis: 3 })], inputs: X4, outputs: ['y'], noOps: ['Flatten', 'Reshape'] },
  { name: 'softmax-9 default axis on 2D', opset: 9, nodes: [n1('Softmax', ['x'], ['y'])], inputs: [{ name: 'x', shape: [4, 7] }], outputs: ['y'], noOps: ['Flatten'] },
  { name: 'logsoftmax-11 axis 1 on rank 3', opset: 11, nodes: [n1('LogSoftmax', ['x'], ['y'], { axis: 1 })], inputs: [{ name: 'x', shape: [2, 3, 4] }], outputs: ['y'], expectOps: ['Flatten'] },
  { name: 'hardmax-11 axis 1 on rank 3', opset: 11, nodes: [n1('Hardmax', ['x'], ['y'], { axis: 1 })], inputs: [{ name: 'x', shape: [2, 3, 4] }], outputs: ['y'], expectOps: ['Flatten'] },
  { name: 'clip-6 min and max', opset: 6, nodes: [n1('Clip', ['x'], ['y'], { min: -0.5, max: { f: 1 } })], inputs: X4, outputs: ['y'] },
  { name: 'clip-9 min only (relu-like)', opset: 9, nodes: [n1('Clip', ['x'], ['y'], { min: { f: 0 } })], inputs: X4, outputs: ['y'] },
  { name: 'clip-9 after a Conv (type from the graph)', opset: 9, nodes: [n1('Conv', ['x', 'w'], ['c']), n1('Clip', ['c'], ['y'], { min: { f: 0 }, max: { f: 6 } })], inputs: X4, outputs: ['y'], inits: [f32('w', [2, 3, 1, 1], [1, -2, 3, 0.5, 0.25, -1])] },
  { name: 'slice-1 with axes and negative end', opset: 9, nodes: [n1('Slice', ['x'], ['y'], { starts: [1, 0], ends: [3, -1], axes: [2, 3] })], inputs: X4, outputs: ['y'] },
  { name: 'slice-1 without axes', opset: 7, nodes: [n1('Slice', ['x'], ['y'], { starts: [0, 1], ends: [1, 1000] })], inputs: X4, outputs: ['y'] },
  { name: 'pad-2 reflect', opset: 9, nodes: [n1('Pad', ['x'], ['y'], { mode: 'reflect', pads: [0, 0, 1, 2, 0, 0, 1, 2] })], inputs: X4, outputs: ['y'] },
  { name: 'pad-2 constant 1.5', opset: 9, nodes: [n1('Pad', ['x'], ['y'], { pads: [0, 1, 0, 0, 0, 0, 2, 1], value: 1.5 })], inputs: X4, outputs: ['y'] },
  { name: 'upsample-7 linear (attr scales)', opset: 7, nodes: [n1('Upsample', ['x'], ['y'], { mode: 'linear', scales: { floats: [1, 1, 2, 3] } })], inputs: X4, outputs: ['y'], expectOps: ['Resize'], noOps: ['Upsample'] },
  { name: 'upsample-9 nearest (initializer scales)', opset: 9, nodes: [n1('Upsample', ['x', 's'], ['y'], { mode: 'nearest' })], inputs: X4, outputs: ['y'], inits: [f32('s', [4], [1, 1, 3, 2])], expectOps: ['Resize'] },
  { name: 'resize-10 nearest up', opset: 10, nodes: [n1('Resize', ['x', 's'], ['y'], { mode: 'nearest' })], inputs: X4, outputs: ['y'], inits: [f32('s', [4], [1, 1, 2.5, 1.5])] },
  { name: 'resize-10 nearest down', opset: 10, nodes: [n1('Resize', ['x', 's'], ['y'], { mode: 'nearest' })], inputs: [{ name: 'x', shape: [1, 2, 8, 9] }], outputs: ['y'], inits: [f32('s', [4], [1, 1, 0.5, 0.34])] },
  { name: 'resize-10 linear up', opset: 10, nodes: [n1('Resize', ['x', 's'], ['y'], { mode: 'linear' })], inputs: X4, outputs: ['y'], inits: [f32('s', [4], [1, 1, 2, 1.5])] },
  { name: 'topk-1 k attribute', opset: 9, nodes: [n1('TopK', ['x'], ['v', 'i'], { k: 2, axis: 2 })], inputs: X4, outputs: ['v', 'i'], outTypes: { i: 'int64' } },
  { name: 'squeeze / unsqueeze / reducesum-11 axes', opset: 11, nodes: [n1('Unsqueeze', ['x'], ['u'], { axes: [0, 3] }), n1('ReduceSum', ['u'], ['r'], { axes: [4], keepdims: 0 }), n1('Squeeze', ['r'], ['y'], { axes: [0] })], inputs: X4, outputs: ['y'] },
  { name: 'split-11 split attribute', opset: 11, nodes: [n1('Split', ['x'], ['a', 'b'], { axis: 3, split: [2, 3] })], inputs: X4, outputs: ['a', 'b'] },
  { name: 'reducemean-11 stays an attribute form at 13', opset: 11, nodes: [n1('ReduceMean', ['x'], ['y'], { axes: [1, 2] })], inputs: X4, outputs: ['y'] },
  { name: 'dropout-10 with an unused mask output', opset: 10, nodes: [n1('Dropout', ['x'], ['d', 'mask'], { ratio: 0.2 }), n1('Relu', ['d'], ['y'])], inputs: X4, outputs: ['y'] },
  {
    name: 'softmax-11 and clip-6 forms inside If branches (subgraphs)', opset: 11,
    nodes: [
      n1('ReduceSum', ['x'], ['s'], { keepdims: 0 }),
      n1('Greater', ['s', 'zero'], ['cond']),
      n1('If', ['cond'], ['y'], {
        then_branch: graphProto({ name: 'then', nodes: [n1('Softmax', ['x'], ['t'], { axis: 1 })], inputs: [], outputs: [valueInfo('t', 'float32', null)] }),
        else_branch: graphProto({ name: 'else', nodes: [n1('Unsqueeze', ['x'], ['u'], { axes: [0] }), n1('Squeeze', ['u'], ['e'], { axes: [0] })], inputs: [], outputs: [valueInfo('e', 'float32', null)] }),
      }),
    ],
    inputs: X4, outputs: ['y'], inits: [f32('zero', [], [-1000])],
  },
  {
    name: 'batchnorm-7 spatial=1', opset: 7,
    nodes: [n1('BatchNormalization', ['x', 'g', 'b', 'm', 'v'], ['y'], { spatial: 1, epsilon: 1e-3, momentum: 0.8 })],
    inputs: X4, outputs: ['y'], inits: [f32('g', [3], [1, 2, 0.5]), f32('b', [3], [0, 1, -1]), f32('m', [3], [0.1, -0.2, 0.3]), f32('v', [3], [1, 0.5, 2])],
  },
  { name: 'dropout-7 ratio (inference: identity)', opset: 7, nodes: [n1('Dropout', ['x'], ['d'], { ratio: 0.3 }), n1('Relu', ['d'], ['y'])], inputs: X4, outputs: ['y'] },
  { name: 'scatter-9 becomes ScatterElements', opset: 9, nodes: [n1('Scatter', ['x', 'idx', 'upd'], ['y'], { axis: 1 })], inputs: [{ name: 'x', shape: [2, 3] }], outputs: ['y'], inits: [i64('idx', [2, 1], [2, 0]), f32('upd', [2, 1], [9, 8])], expectOps: ['ScatterElements'], noOps: ['Scatter'] },
  { name: 'gather / cast / constantofshape unchanged', opset: 9, nodes: [n1('Gather', ['x', 'gi'], ['g'], { axis: 1 }), n1('Cast', ['g'], ['c'], { to: 1 }), n1('ConstantOfShape', ['cs'], ['z'], { value: f32('v', [1], [0.5]) }), n1('Add', ['c', 'z'], ['y'])], inputs: X4, outputs: ['y'], inits: [i64('gi', [2], [2, 0]), i64('cs', [1], [5])] },
  { name: 'maxpool-8 / averagepool-7 unchanged', opset: 8, nodes: [n1('MaxPool', ['x'], ['p'], { kernel_shape: [2, 2], strides: [1, 2] }), n1('AveragePool', ['p'], ['y'], { kernel_shape: [2, 1], pads: [1, 0, 0, 0], count_include_pad: 1 })], inputs: X4, outputs: ['y'] },
];

describe('opset up-conversion (hand-built graphs, ORT on both)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const original = build(c);
      const want = await run(original, c);
      const m = build(c);
      const before = toBinary(ModelProtoSchema, m);
      checkOpset(m, 13);
      expect(Buffer.compare(Buffer.from(toBinary(ModelProtoSchema, m)), Buffer.from(before))).toBe(0);
      upgradeOpset(m, 13);
      expect(defaultOpset(m)).toBe(13);
      const ops = m.graph!.node.map((n) => n.opType);
      for (const op of c.expectOps ?? []) expect(ops).toContain(op);
      for (const op of c.noOps ?? []) expect(ops).not.toContain(op);
      const got = await run(m, c);
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const k of Object.keys(want)) {
        expect(got[k].dims).toEqual(want[k].dims);
        got[k].data.forEach((v, i) => expect(Math.abs(v - want[k].data[i]), `${k}[${i}]`).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(want[k].data[i])));
      }
    });
  }
});

describe('opset up-conversion of opset-6 broadcasting (ORT has no opset-6 Add)', () => {
  it('add-6 with broadcast=1, axis=1 aligns B to dim 1 (checked against x + b[c] by hand)', async () => {
    const c: Case = { name: 'add6', opset: 6, nodes: [n1('Add', ['x', 'b'], ['y'], { broadcast: 1, axis: 1 })], inputs: X4, outputs: ['y'], inits: [f32('b', [3], [1, 2, 3])] };
    const m = build(c);
    upgradeOpset(m, 13);
    expect(m.graph!.node.map((n) => n.opType)).toContain('Unsqueeze');
    const got = (await run(m, c)).y;
    const x = seeded(120, 1);
    expect(got.dims).toEqual([2, 3, 4, 5]);
    got.data.forEach((v, i) => expect(v).toBeCloseTo(x[i] + [1, 2, 3][Math.floor(i / 20) % 3], 5));
  });
});

describe('opset up-conversion refusals', () => {
  const refusal = (c: Case): TwinforgeError => {
    const m = build(c);
    const before = toBinary(ModelProtoSchema, m);
    // The dry-run check refuses the same way without touching the model.
    expect(() => checkOpset(m, 13)).toThrow(TwinforgeError);
    try {
      upgradeOpset(m, 13);
    } catch (err) {
      if (!(err instanceof TwinforgeError)) throw err;
      // Refused models are left exactly as they were.
      expect(Buffer.compare(Buffer.from(toBinary(ModelProtoSchema, m)), Buffer.from(before))).toBe(0);
      return err;
    }
    throw new Error('expected a refusal');
  };

  it('refuses Clip-6 on a value of unknown type, naming the node, and leaves the model as it was', () => {
    const err = refusal({ name: 'clip', opset: 6, nodes: [n1('Softmax', ['x'], ['s'], { axis: 1 }), n1('Custom', ['s'], ['c']), n1('Clip', ['c'], ['y'], { min: { f: 0 } })], inputs: X4, outputs: ['y'] });
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toMatch(/opset 6; its Clip node cannot be raised to opset 13.*element type/);
    expect(err.hint).toMatch(/opset 13 or newer/);
  });

  it('refuses BatchNormalization with spatial=0 and Resize-10 nearest with computed scales', () => {
    expect(refusal({ name: 'bn', opset: 7, nodes: [n1('BatchNormalization', ['x', 'g', 'b', 'm', 'v'], ['y'], { spatial: 0 })], inputs: X4, outputs: ['y'] }).message).toMatch(/spatial=0/);
    expect(refusal({ name: 'rs', opset: 10, nodes: [n1('Resize', ['x', 's'], ['y'])], inputs: [...X4, { name: 's', shape: [4] }], outputs: ['y'] }).message).toMatch(/scales are computed in the graph/);
  });

  it('refuses Dropout-10 whose mask is read (old inference masks differ from Dropout-12+)', () => {
    const err = refusal({ name: 'do', opset: 10, nodes: [n1('Dropout', ['x'], ['y', 'mask'], { ratio: 0.2 })], inputs: X4, outputs: ['y', 'mask'], outTypes: { mask: 'bool' } });
    expect(err.message).toMatch(/Dropout node.*mask output 'mask' is used/);
  });

  it('refuses ops removed from ONNX (ImageScaler) with their name', () => {
    const err = refusal({ name: 'is', opset: 8, nodes: [n1('ImageScaler', ['x'], ['y'], { scale: 2 })], inputs: X4, outputs: ['y'] });
    expect(err.message).toMatch(/ImageScaler \(removed/);
  });
});
