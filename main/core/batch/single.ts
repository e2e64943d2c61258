// Registering one twin made outside a batch (compress.start with a zoo, `twinforge compress
// --zoo`): the parent joins the zoo if it is not there yet, the twin file is copied into the
// store, and its rows are written exactly as a batch would (same grid key, statistics and
// evaluation), so a later batch over the zoo skips this cell.
import path from 'node:path';
import { badInput } from '../errors';
import { openModel } from '../model/index';
import type { Recipe } from '../recipe/schema';
import { serializeRecipe } from '../recipe/recipe';
import { openZoo } from '../zoo/db';
import { importModels } from '../zoo/importer';
import { findOriginalBySha, shaRefCount } from '../zoo/repo/models';
import { findTwinBySha } from '../zoo/repo/twins';
import { createZoo, findZoo, isMember } from '../zoo/repo/zoos';
import { ModelStore } from '../zoo/store';
import { storableModel } from '../zoo/self-contained';
import { summarizeWeights } from '../zoo/weights';
import { TwinEvaluator, type EvalSpec } from './evaluate';
import { registerResult } from './index';
import { cellFacets, gridKey } from './plan';
import type { TwinResult } from './protocol';
import type { TwinTask } from './queue';
import { mapSource } from '../data/source';

export interface SingleTwinInput {
  dataDir: string;
  /** Zoo to register in; created when missing. */
  zoo: string;
  /** The parent model file and the twin file the pipeline wrote. */
  parentFile: string;
  twinFile: string;
  /** The (grid-free) recipe that made the twin, and its text as written when there is one. */
  recipe: Recipe;
  recipeText?: string;
  /** Folder the recipe's relative data paths resolve against. */
  baseDir?: string;
  /** The pipeline's numbers, kept with the twin. */
  pipeline?: { metrics?: unknown; sizes?: { twinBytes?: number; denseWeightBytes?: number; packedWeightBytes?: number; sparsity?: number }; latencyMs?: { parent: number; twin: number }; passed?: boolean };
}

const evaluator = new TwinEvaluator();

/** Registers one twin; returns where it landed (the contract's CompressResult.zoo). */
/** The recipe's name without a leading "<parent> — " (the twin's name already starts with the parent's). */
function twinLabel(name: string, parentNames: string[]): string {
  for (const p of parentNames) if (name.startsWith(`${p} — `) && name.length > p.length + 3) return name.slice(p.length + 3);
  return name;
}

export async function registerSingleTwin(input: SingleTwinInput): Promise<{ zoo: string; modelId: number; parentId: number }> {
  const db = openZoo(input.dataDir);
  if (!findZoo(db, input.zoo)) createZoo(db, { name: input.zoo });
  const zoo = findZoo(db, input.zoo)!;
  const store = new ModelStore(db.dataDir);
  // The sha the zoo stored the parent under: a model with external data is stored self-contained.
  const parentCopy = storableModel(input.parentFile, store);
  parentCopy.cleanup();
  const parentSha = parentCopy.sha256;
  // A twin compressed again (opened from the zoo) is the parent: its twin is a twin of the twin.
  let parent = findOriginalBySha(db, parentSha) ?? findTwinBySha(db, parentSha, zoo.id);
  if (!parent || (parent.parentId === null && !isMember(db, zoo.id, parent.id))) {
    await importModels(db, zoo.name, [input.parentFile]);
    parent = findOriginalBySha(db, parentSha)!;
  }
  const twinCopy = storableModel(input.twinFile, store);
  let stored;
  try {
    stored = store.importFile(twinCopy.file);
  } finally {
    twinCopy.cleanup();
  }
  try {
    const ir = openModel(store.pathOf(stored.sha256));
    let stats;
    try {
      stats = summarizeWeights(ir);
    } finally {
      ir.close();
    }
    const baseDir = input.baseDir ?? process.cwd();
    const abs = (p: string) => (p === 'synthetic' || path.isAbsolute(p) ? p : path.resolve(baseDir, p));
    const e = input.recipe.evaluation ?? input.recipe.calibration;
    const spec: EvalSpec = e
      ? { source: mapSource(e.source, abs), ...(e.labels ? { labels: abs(e.labels) } : {}), ...(e.samples ? { samples: e.samples } : {}), ...(input.recipe.inputShapes ? { inputShapes: input.recipe.inputShapes } : {}) }
      : { source: 'synthetic', samples: 64, seed: (input.recipe.seed ?? 0) + 1, ...(input.recipe.inputShapes ? { inputShapes: input.recipe.inputShapes } : {}) };
    const ev = await evaluator.evaluate(store.pathOf(parentSha), store.pathOf(stored.sha256), spec);
    const cellRecipe = { ...input.recipe, model: `zoo:${parentSha}` } as Recipe;
    const recipeYaml = input.recipeText ?? serializeRecipe(cellRecipe);
    const facets = cellFacets(cellRecipe);
    const s = input.pipeline?.sizes;
    const effective = s?.twinBytes !== undefined && s.denseWeightBytes !== undefined && s.packedWeightBytes !== undefined ? Math.max(0, s.twinBytes - s.denseWeightBytes + s.packedWeightBytes) : stored.bytes;
    const target = input.recipe.target ?? 'this-machine';
    // Twins registered here come from the graph pipeline, whose parents are model files.
    const parentFormat = parent.format;
    if (parentFormat === 'hf') throw badInput(`'${parent.name}' is a Hugging Face folder; its twins are made by \`twinforge compress FOLDER\`, not registered here.`);
    const task: TwinTask = {
      key: gridKey(parentSha, cellRecipe),
      parentId: parent.id,
      parentSha256: parentSha,
      parentName: parent.name,
      parentFile: store.pathOf(parentSha),
      parentFormat,
      cellId: '',
      cellValues: {},
      recipe: cellRecipe as unknown as Record<string, unknown>,
      recipeYaml,
      baseDir,
    };
    const result: TwinResult = {
      model: { sha256: stored.sha256, name: `${parent.name}~${twinLabel(input.recipe.name ?? path.basename(input.twinFile, path.extname(input.twinFile)), [parent.name, path.basename(input.parentFile)])}`, format: 'onnx', sourcePath: path.resolve(input.twinFile), producer: 'twinforge', task: null, parameters: stats.parameters, bytes: stored.bytes, meta: { effectiveBytes: effective } },
      twin: { recipe: recipeYaml, recipeFormat: input.recipeText?.trimStart().startsWith('{') ? 'json' : 'yaml', ...facets, target: input.recipe.target ?? null, sparsity: stats.sparsity, maskHash: stats.maskHash, metrics: { pipeline: input.pipeline?.metrics ?? null, sizes: input.pipeline?.sizes ?? null, passed: input.pipeline?.passed ?? null, effectiveBytes: effective } },
      layers: stats.layers,
      evaluations: [{ datasetHash: ev.datasetHash, datasetName: ev.datasetName, samples: ev.samples, accuracy: ev.twin.accuracy, agreement: ev.agreement, cosine: ev.cosine, sqnrDb: ev.sqnrDb, groups: ev.twin.groups }],
      benchmarks: input.pipeline?.latencyMs ? [{ target, runtime: 'onnxruntime-cpu', latencyMs: input.pipeline.latencyMs.twin }] : [],
      parentEvaluation: { datasetHash: ev.datasetHash, datasetName: ev.datasetName, samples: ev.samples, accuracy: ev.parent.accuracy, groups: ev.parent.groups },
      parentBenchmarks: input.pipeline?.latencyMs ? [{ target, runtime: 'onnxruntime-cpu', latencyMs: input.pipeline.latencyMs.parent }] : [],
    };
    // The jobs table has no row for a single twin: registerResult's job update touches nothing.
    const modelId = registerResult(db, task, result);
    return { zoo: zoo.name, modelId, parentId: parent.id };
  } catch (err) {
    if (stored.added && shaRefCount(db, stored.sha256) === 0) store.remove(stored.sha256);
    throw err;
  }
}
