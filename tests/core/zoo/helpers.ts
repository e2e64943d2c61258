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
import type { ZooDb } from '../../../main/core/zoo/db';
import { ModelStore } from '../../../main/core/zoo/store';
import { createZoo, addMember } from '../../../main/core/zoo/repo/zoos';
import { insertModel } from '../../../main/core/zoo/repo/models';
import { registerTwin } from '../../../main/core/zoo/repo/twins';
import { putEvaluation } from '../../../main/core/zoo/repo/evaluations';
import { addBenchmark } from '../../../main/core/zoo/repo/benchmarks';

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
  return create(TensorProtoSchema, { name, dims: dims.map(BigInt), dataType: TensorProto_DataType.FLOAT, rawData: new Uint8Array(data.slice().buffer as ArrayBuffer) });
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

// ---- seeding a zoo directly through the repositories (no model I/O involved) ----

export const DATASET = 'd'.repeat(64);

export interface SeedCell {
  method: string;
  pattern: string | null;
  level: number;
}

/**
 * A zoo of `models` tiny models, each with one twin per cell. Parent accuracy rises with the
 * model index; the twin keeps (1 - level/2) of it, so correlations are exactly 1.
 */
export function seedZoo(db: ZooDb, name: string, models: number, cells: SeedCell[], seedBase = 100): { parents: number[]; twins: number[] } {
  const store = new ModelStore(db.dataDir);
  const zoo = createZoo(db, { name, task: 'classification' });
  const parents: number[] = [];
  const twins: number[] = [];
  for (let i = 0; i < models; i++) {
    const bytes = tinyOnnx(seedBase + i);
    const tmp = store.tempPath();
    writeFileSync(tmp, bytes);
    const f = store.adoptTemp(tmp);
    const id = db.tx(() => {
      const mid = insertModel(db, { sha256: f.sha256, name: `m${i}`, format: 'onnx', sourcePath: null, producer: 'test', task: 'classification', parameters: 59, bytes: f.bytes });
      addMember(db, zoo.id, mid);
      const pacc = 0.6 + 0.03 * i;
      putEvaluation(db, mid, { datasetHash: DATASET, datasetName: 'demo', samples: 100, accuracy: pacc, groups: [0, 1, 2].map((c) => ({ kind: 'class' as const, key: String(c), samples: 33, accuracy: pacc })) });
      addBenchmark(db, mid, { target: 'x86-avx2', runtime: 'ort', latencyMs: 1.0 });
      return mid;
    });
    parents.push(id);
    for (const c of cells) {
      const tb = tinyOnnx(seedBase + i + 1000 * (1 + cells.indexOf(c)));
      const ttmp = store.tempPath();
      writeFileSync(ttmp, tb);
      const tf = store.adoptTemp(ttmp);
      const pacc = 0.6 + 0.03 * i;
      const tacc = pacc * (1 - c.level / 2);
      // class 0 loses everything lost, the others keep the parent's accuracy: uneven
      const groups = [0, 1, 2].map((k) => ({ kind: 'class' as const, key: String(k), samples: 33, accuracy: k === 0 ? pacc - 3 * (pacc - tacc) : pacc }));
      const r = registerTwin(db, {
        parentId: id,
        model: { sha256: tf.sha256, name: `m${i}-${c.method}-${c.level}`, format: 'onnx', sourcePath: null, producer: 'twinforge', task: null, parameters: 59, bytes: tf.bytes, meta: { effectiveBytes: Math.round(tf.bytes * (1 - c.level)) } },
        twin: { gridKey: `key-${i}-${c.method}-${c.pattern}-${c.level}`, recipe: `method: ${c.method}\nlevel: ${c.level}\n`, recipeFormat: 'yaml', method: c.method, pattern: c.pattern, level: c.level, quantization: null, target: 'x86-avx2', sparsity: c.level, maskHash: `mask-${c.method}-${c.level}`, metrics: {} },
        layers: [
          { layer: 'fc1.weight', opType: 'MatMul', shape: [4, 8], params: 32, nonzeros: Math.round(32 * (1 - c.level)), sparsity: c.level, mean: 0, std: 0.5, absMean: 0.4, absMax: 1, l2Norm: 2, maskHash: 'a' },
          { layer: 'fc2.weight', opType: 'MatMul', shape: [8, 3], params: 24, nonzeros: Math.round(24 * (1 - c.level / 2)), sparsity: c.level / 2, mean: 0, std: 0.5, absMean: 0.4, absMax: 1, l2Norm: 2, maskHash: 'b' },
        ],
        evaluations: [{ datasetHash: DATASET, datasetName: 'demo', samples: 100, accuracy: tacc, agreement: 1 - c.level / 3, cosine: 1 - c.level / 10, sqnrDb: 30 * (1 - c.level), groups }],
        benchmarks: [{ target: 'x86-avx2', runtime: 'ort', latencyMs: 1 - c.level / 2 }],
      });
      twins.push(r.id);
    }
  }
  return { parents, twins };
}
