// A stand-in twin job for batch tests: real magnitude pruning of the parent's float weights
// (unstructured or N:M) written as a valid ONNX file, real weight statistics and a real
// evaluation — but none of the compression pipeline, so batch mechanics are tested on their own.
// FAKE_JOB_DELAY_MS slows each twin (to kill a run midway); FAKE_JOB_FAIL_CELL fails one cell.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataType } from 'onnx-buf';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../../../main/core/errors';
import { openModel } from '../../../main/core/model/index';
import { summarizeWeights } from '../../../main/core/zoo/weights';
import { ModelStore } from '../../../main/core/zoo/store';
import { TwinEvaluator } from '../../../main/core/batch/evaluate';
import type { MakeTwin } from '../../../main/core/batch/protocol';

const evaluator = new TwinEvaluator();

function prune(w: Float32Array, dims: number[], level: number, nm?: [number, number]): void {
  if (nm) {
    const [n, m] = nm;
    for (let g = 0; g + m <= w.length; g += m) {
      const idx = Array.from({ length: m }, (_, i) => g + i).sort((a, b) => Math.abs(w[a]) - Math.abs(w[b]));
      for (let i = 0; i < m - n; i++) w[idx[i]] = 0;
    }
    return;
  }
  const k = Math.floor(w.length * level);
  const order = Array.from(w.keys()).sort((a, b) => Math.abs(w[a]) - Math.abs(w[b]));
  for (let i = 0; i < k; i++) w[order[i]] = 0;
  void dims;
}

export const makeTwin: MakeTwin = async (task, ctx) => {
  const delay = Number(process.env.FAKE_JOB_DELAY_MS ?? 0);
  if (process.env.FAKE_JOB_FAIL_CELL && task.cellId === process.env.FAKE_JOB_FAIL_CELL) throw new TwinforgeError('BAD_INPUT', `cell ${task.cellId} fails on purpose`);
  const stage = ((task.recipe.stages as Record<string, unknown>[]) ?? [])[0] ?? {};
  const pattern = (stage.pattern as string | undefined) ?? 'unstructured';
  const nmMatch = /^(\d+):(\d+)$/.exec(pattern);
  const nm = nmMatch ? ([Number(nmMatch[1]), Number(nmMatch[2])] as [number, number]) : undefined;
  const level = nm ? 1 - nm[0] / nm[1] : Number(stage.sparsity ?? 0.5);
  ctx.progress({ done: 0, total: 2, stage: 'prune' });
  if (delay) await new Promise((r) => setTimeout(r, delay));

  const model = fromBinary(ModelProtoSchema, readFileSync(task.parentFile));
  for (const t of model.graph!.initializer) {
    if (t.dataType !== TensorProto_DataType.FLOAT || t.dims.length < 2) continue;
    const raw = t.rawData.length ? Uint8Array.from(t.rawData) : new Uint8Array(new Float32Array(t.floatData).buffer);
    const w = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    prune(w, t.dims.map(Number), level, nm);
    t.rawData = new Uint8Array(w.buffer.slice(0));
    t.floatData = [];
  }
  const store = new ModelStore(ctx.dataDir);
  const tmp = store.tempPath('.onnx');
  writeFileSync(tmp, toBinary(ModelProtoSchema, model));
  const ir = openModel(tmp);
  const stats = summarizeWeights(ir);
  ir.close();
  const evalSpec = task.recipe.evaluation as { source: string } | undefined;
  const ev = evalSpec ? await evaluator.evaluate(task.parentFile, tmp, { source: path.resolve(task.baseDir, evalSpec.source) }) : undefined;
  const stored = store.adoptTemp(tmp);
  ctx.progress({ done: 2, total: 2, stage: 'done' });
  return {
    model: { sha256: stored.sha256, name: `${task.parentName}~${task.cellId}`, format: 'onnx', sourcePath: null, producer: 'fake-job', task: null, parameters: stats.parameters, bytes: stored.bytes },
    twin: { recipe: task.recipeYaml, recipeFormat: 'yaml', method: String(stage.method ?? 'magnitude'), pattern, level, quantization: null, target: null, sparsity: stats.sparsity, maskHash: stats.maskHash, metrics: {} },
    layers: stats.layers,
    evaluations: ev ? [{ datasetHash: ev.datasetHash, datasetName: ev.datasetName, samples: ev.samples, accuracy: ev.twin.accuracy, agreement: ev.agreement, cosine: ev.cosine, sqnrDb: ev.sqnrDb, groups: ev.twin.groups }] : [],
    benchmarks: [],
    parentEvaluation: ev ? { datasetHash: ev.datasetHash, datasetName: ev.datasetName, samples: ev.samples, accuracy: ev.parent.accuracy, groups: ev.parent.groups } : undefined,
  };
};
