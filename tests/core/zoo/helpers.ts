// Test helpers for the zoo: temp data folders and tiny ONNX classifiers built in memory
// (MatMul -> Add -> Relu -> MatMul), so tests need no fixture files and run in milliseconds.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProtoSchema,
  TensorProto_DataType,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempDir(prefix = 'tf-zoo-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function valueInfo(name: string, dims: number[]) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, { dim: dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(d) } })) }),
        }),
      },
    }),
  });
}

function tensor(name: string, dims: number[], data: Float32Array) {
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: TensorProto_DataType.FLOAT, rawData: new Uint8Array(data.buffer.slice(0)) });
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function randoms(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** A tiny MLP classifier as ONNX bytes; different seeds give different files. */
export function tinyOnnx(seed = 1, inputs = 4, hidden = 8, classes = 3): Uint8Array {
  const graph = create(GraphProtoSchema, {
    name: `tiny-${seed}`,
    input: [valueInfo('x', [1, inputs])],
    output: [valueInfo('y', [1, classes])],
    initializer: [
      tensor('fc1.weight', [inputs, hidden], randoms(inputs * hidden, seed)),
      tensor('fc1.bias', [hidden], randoms(hidden, seed + 1)),
      tensor('fc2.weight', [hidden, classes], randoms(hidden * classes, seed + 2)),
    ],
    node: [
      create(NodeProtoSchema, { opType: 'MatMul', input: ['x', 'fc1.weight'], output: ['h0'], name: 'fc1' }),
      create(NodeProtoSchema, { opType: 'Add', input: ['h0', 'fc1.bias'], output: ['h1'], name: 'fc1_add' }),
      create(NodeProtoSchema, { opType: 'Relu', input: ['h1'], output: ['h2'], name: 'relu' }),
      create(NodeProtoSchema, { opType: 'MatMul', input: ['h2', 'fc2.weight'], output: ['y'], name: 'fc2' }),
    ],
  });
  const model = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'twinforge-tests',
    producerVersion: '1',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph,
  });
  return toBinary(ModelProtoSchema, model);
}

/** Writes n tiny models into dir (tiny-1.onnx …); returns their paths. */
export function writeTinyModels(dir: string, n: number, firstSeed = 1): string[] {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = path.join(dir, `tiny-${firstSeed + i}.onnx`);
    writeFileSync(p, tinyOnnx(firstSeed + i));
    out.push(p);
  }
  return out;
}
