// The real twin job of a batch (runs in a worker process): the compression pipeline makes the
// twin into a temp folder inside the store, then the zoo's own measurements follow — weight
// statistics and mask hashes per layer, and an evaluation against the parent with per-class and
// per-subgroup accuracy — and the twin file is moved into the store under its hash.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import { openModel } from '../model/index';
import { compressModel, type CompressRun } from '../pipeline/runner';
import type { Recipe } from '../recipe/schema';
import { ModelStore } from '../zoo/store';
import { summarizeWeights } from '../zoo/weights';
import { TwinEvaluator, type EvalSpec } from './evaluate';
import { cellFacets } from './plan';
import type { MakeTwin, TwinResult } from './protocol';
import type { LayerStat } from '../zoo/types';
import { mapSource } from '../data/source';

const evaluator = new TwinEvaluator();
/** Runtime name recorded with latencies measured by the pipeline. */
export const LATENCY_RUNTIME = 'onnxruntime-cpu';

function evalSpecOf(recipe: Recipe, baseDir: string): EvalSpec {
  const abs = (p: string) => (p === 'synthetic' || path.isAbsolute(p) ? p : path.resolve(baseDir, p));
  const e = recipe.evaluation ?? recipe.calibration;
  if (!e) return { source: 'synthetic', samples: 64, seed: (recipe.seed ?? 0) + 1, inputShapes: recipe.inputShapes };
  return {
    source: mapSource(e.source, abs),
    ...(e.labels ? { labels: abs(e.labels) } : {}),
    ...(e.samples ? { samples: e.samples } : {}),
    ...(e.batchSize ? { batchSize: e.batchSize } : {}),
    ...(e.seed !== undefined ? { seed: e.seed } : {}),
    ...(recipe.inputShapes ? { inputShapes: recipe.inputShapes } : {}),
  };
}

/**
 * The bytes a twin needs when deployed: packed sparse weights count instead of dense ones. The
 * pipeline measures them when it writes the packed format; otherwise (float twins) a bitmap
 * estimate from the layer statistics stands in: 4 bytes per nonzero plus one bit per weight.
 */
export function effectiveBytes(r: CompressRun, layers: LayerStat[], quantized: boolean): number {
  const s = r.sizes;
  if (s.packedWeightBytes !== undefined && s.denseWeightBytes !== undefined) return Math.max(0, s.twinBytes - s.denseWeightBytes + s.packedWeightBytes);
  if (quantized) return s.twinBytes;
  let dense = 0;
  let sparse = 0;
  for (const l of layers) {
    dense += l.params * 4;
    sparse += Math.min(l.params * 4, l.nonzeros * 4 + Math.ceil(l.params / 8));
  }
  return Math.max(0, s.twinBytes - dense + sparse);
}

export const makeTwin: MakeTwin = async (task, ctx) => {
  const store = new ModelStore(ctx.dataDir);
  const outDir = store.tempPath('-twin');
  const recipe = task.recipe as unknown as Recipe;
  try {
    const result = await compressModel({ ...recipe, export: { ...(recipe.export ?? {}), dir: outDir, name: 'twin', overwrite: true } } as Recipe, {
      signal: ctx.signal,
      onProgress: ctx.progress,
      onLog: ctx.log,
      baseDir: task.baseDir,
      recipeText: task.recipeYaml,
      resolveModel: () => task.parentFile,
      singleFile: true, // the zoo store holds one file per model
    });
    if (result.files.some((f) => f !== result.twin && /\.(onnx_data|data|bin)$/i.test(f))) {
      throw new TwinforgeError('UNSUPPORTED', `The twin of ${task.parentName} has its weights in an external data file, which the zoo store cannot hold yet.`, 'Zoo batches work on models under 2 GB (weights inside the .onnx file).');
    }
    const ir = openModel(result.twin);
    let stats;
    try {
      stats = summarizeWeights(ir);
    } finally {
      ir.close();
    }
    const ev = await evaluator.evaluate(task.parentFile, result.twin, evalSpecOf(recipe, task.baseDir));
    const stored = store.adoptTemp(result.twin);
    const facets = cellFacets(recipe);
    const effective = effectiveBytes(result, stats.layers, facets.quantization !== null);
    const target = recipe.target ?? 'this-machine';
    const out: TwinResult = {
      model: {
        sha256: stored.sha256,
        name: `${task.parentName}~${task.cellId || 'twin'}`,
        format: 'onnx',
        sourcePath: null,
        producer: 'twinforge',
        task: null,
        parameters: stats.parameters,
        bytes: stored.bytes,
        meta: { effectiveBytes: effective, cell: task.cellValues },
      },
      twin: {
        recipe: task.recipeYaml,
        recipeFormat: 'yaml',
        ...facets,
        target: recipe.target ?? null,
        sparsity: stats.sparsity ?? result.sizes.sparsity,
        maskHash: stats.maskHash,
        metrics: { pipeline: result.metrics, sizes: result.sizes, passed: result.passed, gates: result.gates, effectiveBytes: effective, warnings: result.warnings, timings: result.timings },
      },
      layers: stats.layers,
      evaluations: [
        { datasetHash: ev.datasetHash, datasetName: ev.datasetName, samples: ev.samples, accuracy: ev.twin.accuracy, agreement: ev.agreement, cosine: ev.cosine, sqnrDb: ev.sqnrDb, metrics: { maxAbsError: ev.maxAbsError }, groups: ev.twin.groups },
      ],
      benchmarks: result.latencyMs ? [{ target, runtime: LATENCY_RUNTIME, latencyMs: result.latencyMs.twin, threads: null, estimated: false }] : [],
      parentEvaluation: { datasetHash: ev.datasetHash, datasetName: ev.datasetName, samples: ev.samples, accuracy: ev.parent.accuracy, groups: ev.parent.groups },
      parentBenchmarks: result.latencyMs ? [{ target, runtime: LATENCY_RUNTIME, latencyMs: result.latencyMs.parent, threads: null, estimated: false }] : [],
      warnings: result.warnings,
    };
    return out;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
};
