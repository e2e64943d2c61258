// Hand-made hostile inputs, one per defect the hardening audit found, plus clean seeds the mutator
// starts from. Each is built here (no fixture files), so the fuzz bench runs in a built app too.
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto } from 'onnx-buf';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../../model/onnx/build';
import { encodeVarint, LAZY_FIELD } from '../../model/onnx/wire';

const bin = (m: ModelProto): Uint8Array => toBinary(ModelProtoSchema, m);
const i64 = (v: number[]) => BigInt64Array.from(v.map(BigInt));

/** Slice with step 0 on a folded shape tensor: looped forever before the fix. */
export function sliceStepZero(): Uint8Array {
  return bin(
    modelProto({
      opsets: { '': 13 },
      graph: graphProto({
        name: 'slice0',
        inputs: [valueInfo('x', 'float32', [1, 4])],
        outputs: [valueInfo('y', 'int64', null)],
        initializers: [tensorProto('s', 'int64', [1], i64([0])), tensorProto('e', 'int64', [1], i64([2])), tensorProto('a', 'int64', [1], i64([0])), tensorProto('st', 'int64', [1], i64([0]))],
        nodes: [node('Shape', ['x'], ['sh']), node('Slice', ['sh', 's', 'e', 'a', 'st'], ['y'])],
      }),
    }),
  );
}

/** `levels` Concats of a shape tensor with itself: 2^levels folded elements before the fix. */
export function doublingConcats(levels = 40): Uint8Array {
  const nodes = [node('Shape', ['x'], ['c0'])];
  for (let i = 1; i <= levels; i++) nodes.push(node('Concat', [`c${i - 1}`, `c${i - 1}`], [`c${i}`], { axis: 0 }));
  return bin(
    modelProto({
      opsets: { '': 13 },
      graph: graphProto({ name: 'double', inputs: [valueInfo('x', 'float32', [1, 2, 3, 4])], outputs: [valueInfo(`c${levels}`, 'int64', null)], nodes }),
    }),
  );
}

/** A sparse initializer of one value claiming a [2^15, 2^14] dense shape (2 GiB of float32). */
export function sparseBomb(): Uint8Array {
  const m = modelProto({
    opsets: { '': 13 },
    graph: graphProto({ name: 'sp', inputs: [valueInfo('x', 'float32', [1, 16384])], outputs: [valueInfo('y', 'float32', null)], nodes: [node('MatMul', ['x', 'w'], ['y'])] }),
  });
  m.graph!.sparseInitializer.push({
    $typeName: 'onnx.SparseTensorProto',
    values: tensorProto('w', 'float32', [1], [1]),
    indices: tensorProto('', 'int64', [1], i64([0])),
    dims: [32768n, 16384n],
  } as never);
  return bin(m);
}

/** `count` nodes that all carry one name (renaming was quadratic). */
export function sameNameNodes(count = 20000): Uint8Array {
  const nodes = [];
  for (let i = 0; i < count; i++) nodes.push(node('Relu', [i === 0 ? 'x' : `v${i - 1}`], [`v${i}`], {}, { name: 'n' }));
  return bin(modelProto({ opsets: { '': 13 }, graph: graphProto({ name: 'names', inputs: [valueInfo('x', 'float32', [1, 4])], outputs: [valueInfo(`v${count - 1}`, 'float32', null)], nodes }) }));
}

/** A small tensor carrying the reserved protobuf field 8191 (gave INTERNAL before the fix). */
export function reservedField(): Uint8Array {
  const t = tensorProto('w', 'float32', [2], [1, 2]);
  const m = modelProto({
    opsets: { '': 13 },
    graph: graphProto({ name: 'r', inputs: [valueInfo('x', 'float32', [2])], outputs: [valueInfo('y', 'float32', [2])], initializers: [t], nodes: [node('Add', ['x', 'w'], ['y'])] }),
  });
  (t as unknown as { $unknown: unknown[] }).$unknown = [{ no: LAZY_FIELD, wireType: 0, data: encodeVarint(7) }];
  return bin(m);
}

/** A tensor whose external data points outside the model folder. */
export function externalEscape(location = '../../../../etc/passwd'): Uint8Array {
  const t = tensorProto('w', 'float32', [2], [1, 2]);
  t.rawData = new Uint8Array(0);
  t.dataLocation = 1;
  t.externalData = [
    { $typeName: 'onnx.StringStringEntryProto', key: 'location', value: location },
    { $typeName: 'onnx.StringStringEntryProto', key: 'length', value: '8' },
  ] as never;
  return bin(
    modelProto({
      opsets: { '': 13 },
      graph: graphProto({ name: 'ext', inputs: [valueInfo('x', 'float32', [2])], outputs: [valueInfo('y', 'float32', [2])], initializers: [t], nodes: [node('Add', ['x', 'w'], ['y'])] }),
    }),
  );
}

/** A clean small MLP (Gemm + Relu + MatMul), the usual mutation seed. */
export function cleanMlp(): Uint8Array {
  const w = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
  return bin(
    modelProto({
      opsets: { '': 13 },
      graph: graphProto({
        name: 'mlp',
        inputs: [valueInfo('x', 'float32', ['batch', 16])],
        outputs: [valueInfo('y', 'float32', ['batch', 4])],
        initializers: [tensorProto('w1', 'float32', [16, 32], w(512, 1)), tensorProto('b1', 'float32', [32], w(32, 2)), tensorProto('w2', 'float32', [32, 4], w(128, 3)), tensorProto('shape', 'int64', [2], i64([-1, 32]))],
        nodes: [
          node('Gemm', ['x', 'w1', 'b1'], ['h'], { transB: 0 }, { name: 'fc1' }),
          node('Relu', ['h'], ['r']),
          node('Shape', ['r'], ['rs']),
          node('Reshape', ['r', 'shape'], ['rr']),
          node('MatMul', ['rr', 'w2'], ['y'], {}, { name: 'fc2' }),
        ],
      }),
    }),
  );
}

/** A safetensors file: header JSON then data. */
export function safetensorsFile(header: Record<string, unknown>, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + data.byteLength);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.length);
  return out;
}

/** `count` empty tensors (0 bytes each) in one header. */
export function manyEmptyTensors(count = 300000): Uint8Array {
  const header: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) header[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
  return safetensorsFile(header);
}

/** A clean safetensors seed: two small F32 tensors. */
export function cleanSafetensors(): Uint8Array {
  const a = new Float32Array(64).map((_, i) => Math.cos(i));
  const b = new Float32Array(8).map((_, i) => i / 8);
  return safetensorsFile(
    { 'fc.weight': { dtype: 'F32', shape: [8, 8], data_offsets: [0, 256] }, 'fc.bias': { dtype: 'F32', shape: [8], data_offsets: [256, 288] }, __metadata__: { format: 'pt' } },
    Buffer.concat([Buffer.from(a.buffer), Buffer.from(b.buffer)]),
  );
}
