// The compression pipeline's one entry: a recipe in, a twin + report out.
//   resolve files -> open the model -> stages (calibrate, masks, commit) -> write the twin into a
//   staging folder -> evaluate it against the parent in ORT (fidelity, latency) -> gates ->
//   report -> move every file into place.
// The CLI calls compressModel in-process, the 'compress' job calls it in a worker, the zoo's
// batch runner calls it once per grid cell (expandGrid).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import type { JobProgress } from '../jobs/types';
import { ModelEditor } from '../model/onnx/editor';
import { UPGRADE_OPSET } from '../model/onnx/upgrade';
import { detectFormat } from '../model';
import type { ModelIR } from '../model/ir';
import { externalDataFiles } from '../model/onnx/writer';
import type { Recipe } from '../recipe/schema';
import { validateRecipeData } from '../recipe/recipe';
import { declaredInputs, loadDataset, type Dataset, type InputSpec } from '../data/dataset';
import { buildInputModel, factsFromIR, requireResolved, type InputModel } from '../model/input-model';
import { findLayers } from '../methods/layers';
import { appVersion } from '../version';
import { StagedOutput } from './atomic';
import { folderGivenForFile } from '../model/hf/folder-given';
import { applyStages, type TransformResult } from './transform';
import type { StructuredSummary } from './structured';
import { evaluateTwin, type Evaluation, type LatencyReport } from './evaluation';
import { inputSpecs, openSession } from './ort';
import { renderMarkdown, type CompressReport, type DataInfo, type GateResult, type Sizes } from './report';
import { checkGates } from './gates';
import { measureSizes, writePacked } from './export';
import { runSweep, type SweepResult } from './sweep';
import { checkTarget } from './target';
import { disagreement, estimateLatency, type LatencyEstimate } from './latency-estimate';
import type { MeasuredProfileLookup } from '../hardware/profile';
import { exportTwinforgeTarget } from './twinforge-target';
import type { TwinforgeRuntimeLatency } from '../twin-runtime/format';
import { mapSource, type DataSource } from '../data/source';

export interface CompressOptions {
  signal?: AbortSignal;
  /** Progress snapshots (per stage: done/total of that stage, detail = the layer). */
  onProgress?: (p: JobProgress) => void;
  onLog?: (line: string) => void;
  /** Folder relative paths in the recipe are resolved against (the recipe file's folder). */
  baseDir?: string;
  /** The recipe's text as written (stored verbatim in the report). */
  recipeText?: string;
  /** Replaces export.dir (CLI --out). */
  outDir?: string;
  /** Turns 'zoo:<id>' model references into files (the zoo provides it). */
  resolveModel?: (ref: string) => string | Promise<string>;
  /** Finds measured profiles ('this-machine') for the recipe's target (the zoo of the data folder provides it). */
  measuredProfile?: MeasuredProfileLookup;
  /**
   * Keep the twin's weights inside its .onnx file (under 2 GB) even when the parent's are in a
   * data file, for stores that hold one file per model (zoo batches). By default a parent with
   * external data gets a twin with external data.
   */
  singleFile?: boolean;
}

export interface CompressMetrics {
  top1Agreement?: number;
  cosine: number;
  sqnrDb: number;
  maxAbsError: number;
  accuracy?: number;
  accuracyParent?: number;
}

/** One pipeline run's outcome (files, metrics, sizes, report); compress.result maps it to the contract's CompressResult. */
export interface CompressRun {
  /** The parent model file (resolved). */
  parent: string;
  /** The twin model file. */
  twin: string;
  report: string;
  reportMarkdown: string;
  files: string[];
  metrics: CompressMetrics;
  sizes: Sizes;
  latencyMs?: { parent: number; twin: number; speedup: number; estimated?: LatencyEstimate; twinforge?: TwinforgeRuntimeLatency };
  gates: GateResult[];
  passed: boolean;
  sweep?: SweepResult;
  /** Channel stages done by dependency groups: groups before -> after, parameters and FLOPs. */
  structured?: StructuredSummary[];
  warnings: string[];
  /** Milliseconds: total, and the shares spent in native kernels, ORT and file I/O. */
  timings: Record<string, number>;
}

export interface ResolvedInputs {
  model: string;
  format: 'onnx' | 'safetensors';
  calibration: { source: DataSource; labels?: string };
  evaluation: { source: DataSource; labels?: string };
  outDir: string;
}

const DEFAULT_CAL_SAMPLES = 32;
const DEFAULT_EVAL_SAMPLES = 64;

function exists(file: string, field: string): string {
  if (!existsSync(file)) throw new TwinforgeError('NOT_FOUND', `${field}: '${file}' does not exist`, 'Paths in a recipe are relative to the recipe file.');
  return file;
}

/** Absolute paths for every file the recipe names; NOT_FOUND naming the field when one is missing. */
export async function resolveInputs(recipe: Recipe, opts: CompressOptions = {}): Promise<ResolvedInputs> {
  const base = opts.baseDir ?? process.cwd();
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(base, p));
  let model: string;
  if (recipe.model.startsWith('zoo:')) {
    if (!opts.resolveModel) throw badInput(`model: '${recipe.model}' is a zoo reference`, 'Run it with --zoo, or give the model file.');
    model = await opts.resolveModel(recipe.model.slice(4));
  } else model = abs(recipe.model);
  exists(model, 'model');
  if (statSync(model).isDirectory()) throw folderGivenForFile(model, 'model', 'a recipe run (the graph pipeline)');
  const format = detectFormat(model);
  const data = (spec: { source: DataSource; labels?: string } | undefined, field: string) => {
    if (!spec) return undefined;
    const source = mapSource(spec.source, (p) => exists(abs(p), `${field}.source`));
    const labels = spec.labels ? exists(abs(spec.labels), `${field}.labels`) : undefined;
    return { source, ...(labels ? { labels } : {}) };
  };
  const calibration = data(recipe.calibration, 'calibration') ?? { source: 'synthetic' };
  const evaluation = data(recipe.evaluation, 'evaluation') ?? calibration;
  const outDir = opts.outDir ? path.resolve(opts.outDir) : recipe.export ? abs(recipe.export.dir) : path.resolve(base, 'twinforge-out', (recipe.name ?? path.basename(model, path.extname(model))).replace(/[^A-Za-z0-9._-]+/g, '-'));
  return { model, format, calibration, evaluation, outDir };
}

/** Compresses one model with one recipe (no grid); writes the twin and its report atomically. */
export async function compressModel(recipe: Recipe, opts: CompressOptions = {}): Promise<CompressRun> {
  recipe = validateRecipeData(recipe);
  if (recipe.grid) throw badInput('grid: this recipe describes several runs', 'Expand it with expandGrid() (or use twinforge run) and compress each cell.');
  if (recipe.sweep) return runSweep(recipe, opts, runOnce);
  return runOnce(recipe, opts);
}

export interface RunOnceExtras {
  /** Overrides one stage's sparsity (sweeps). */
  level?: { stage: number; value: number };
  /** Only fidelity: no files, no latency (sweep points). */
  fidelityOnly?: boolean;
  sweep?: SweepResult;
}

export async function runOnce(recipe: Recipe, opts: CompressOptions, extras: RunOnceExtras = {}): Promise<CompressRun> {
  const t0 = performance.now();
  const signal = opts.signal;
  const log = (line: string) => opts.onLog?.(line);
  const progress = (stage: string, done: number, total: number, detail?: string) => opts.onProgress?.({ stage, done, total, ...(detail ? { detail } : {}) });
  const warnings: string[] = [];
  const warn = (w: string) => {
    if (!warnings.includes(w)) {
      warnings.push(w);
      log(`warning: ${w}`);
    }
  };
  const check = () => {
    if (signal?.aborted) throw new TwinforgeError('CANCELLED', 'Compression cancelled.');
  };
  progress('load', 0, 1, 'resolving files');
  const inputs = await resolveInputs(recipe, opts);
  await checkTarget(recipe, warn, opts.measuredProfile);
  if (inputs.format !== 'onnx') {
    const { compressSafetensors } = await import('./safetensors');
    return compressSafetensors(recipe, inputs, opts, warn, t0, warnings);
  }
  const staged = new StagedOutput(inputs.outDir);
  let editor: ModelEditor | undefined;
  try {
    const timings = { ortMs: 0, nativeMs: 0, calibrationMs: 0, ioMs: 0 };
    let t = performance.now();
    editor = ModelEditor.open(inputs.model);
    // The parent as read (parameter counts, external data files) before any edit.
    const parentIr = { weights: editor.current().weights.map((w) => ({ isParameter: w.isParameter, numel: w.numel })) } as unknown as ModelIR;
    const parentDataFiles = externalDataFiles(editor.model);
    // An old opset is raised for the quantized export now (or refused, naming the node), not at export time.
    if (recipe.stages?.some((s) => s.type === 'quantize')) editor.raiseOpset(UPGRADE_OPSET);
    timings.ioMs += performance.now() - t;
    check();
    // Input specs: from the graph when it declares them fully, else from an ORT session.
    const specs: InputSpec[] = await modelInputs(editor, inputs.model, timings);
    for (const name of Object.keys(recipe.inputShapes ?? {})) {
      if (!specs.some((s) => s.name === name)) throw badInput(`inputShapes.${name}: the model has no input '${name}'`, `Inputs: ${specs.map((s) => s.name).join(', ')}.`);
    }
    // The input model (roles, batch axis, resolved dims) decides every feed of this run; with
    // synthetic data every dim must be known before any work starts.
    const inputModel = inputModelFor(editor.current(), specs, recipe);
    if (inputs.calibration.source === 'synthetic' || inputs.evaluation.source === 'synthetic') requireResolved(inputModel, 'Compressing with synthetic data');
    progress('load', 1, 1);

    const seed = recipe.seed ?? 0;
    const batchSize = recipe.calibration?.batchSize ?? 8;
    let calData: Dataset | undefined;
    const calibration = (): Dataset => {
      if (!calData) {
        calData = loadDataset(inputs.calibration.source, {
          field: 'calibration.source',
          inputs: specs,
          inputShapes: recipe.inputShapes,
          inputModel,
          samples: recipe.calibration?.samples ?? DEFAULT_CAL_SAMPLES,
          labels: inputs.calibration.labels,
          seed,
        });
        calData.warnings.forEach((w) => warn(w));
      }
      return calData;
    };
    const tr: TransformResult = await applyStages(recipe.stages ?? [], {
      editor,
      calibration,
      batchSize,
      seed,
      tmpDir: staged.staging,
      signal,
      log,
      progress,
      level: extras.level,
      timings,
    });
    tr.warnings.forEach((w) => warn(w));
    check();

    // The twin file (in staging until everything succeeded).
    const name = recipe.export?.name ?? 'twin';
    progress('export', 0, 1, `${name}.onnx`);
    t = performance.now();
    const twinTmp = path.join(staged.staging, `${name}.onnx`);
    editor.setMetadata('twinforge.recipe', JSON.stringify(recipe));
    editor.setMetadata('twinforge.parent', path.basename(inputs.model));
    // A parent with external data gets a twin with external data (its weights are written raw,
    // once, never protobuf-encoded, and ORT maps them); fsync waits for the commit.
    const saved = editor.save(twinTmp, { durable: false, ...(parentDataFiles.length && !opts.singleFile ? { externalData: 'always' } : {}) });
    staged.adopt(`${name}.onnx`, { synced: false });
    if (saved.dataPath) staged.adopt(path.basename(saved.dataPath), { synced: false });
    timings.ioMs += performance.now() - t;
    const twinModel = editor.current();
    let packed: Awaited<ReturnType<typeof writePacked>> | undefined;
    const formats = recipe.export?.formats ?? ['model', 'packed'];
    if (!extras.fidelityOnly && formats.includes('packed') && tr.patterns.size > 0) {
      t = performance.now();
      packed = writePacked(staged, name, twinModel, tr, recipe.export?.packed ?? 'auto', timings);
      timings.ioMs += performance.now() - t;
    }
    progress('export', 1, 1);
    check();

    // Evaluation: the same inputs through parent and twin.
    let evalData: Dataset;
    const sameAsCal = inputs.evaluation.source === inputs.calibration.source && !recipe.evaluation;
    if (sameAsCal && calData) evalData = calData;
    else {
      evalData = loadDataset(inputs.evaluation.source, {
        field: 'evaluation.source',
        inputs: specs,
        inputShapes: recipe.inputShapes,
        inputModel,
        samples: recipe.evaluation?.samples ?? DEFAULT_EVAL_SAMPLES,
        labels: inputs.evaluation.labels,
        seed: seed + 1,
      });
      evalData.warnings.forEach((w) => warn(w));
    }
    if (sameAsCal && recipe.calibration && recipe.calibration.source !== 'synthetic') warn('No evaluation data given: the twin is evaluated on its calibration data, which flatters it. Give evaluation.source (--eval).');
    const lat = recipe.evaluation?.latency;
    const latency = extras.fidelityOnly || lat === false ? false : { warmup: (typeof lat === 'object' ? lat.warmup : undefined) ?? 3, runs: (typeof lat === 'object' ? lat.runs : undefined) ?? 20 };
    const ev: Evaluation = await evaluateTwin(inputs.model, twinTmp, evalData, {
      batchSize: recipe.evaluation?.batchSize ?? batchSize,
      signal,
      latency,
      progress: (d, n, detail) => progress('evaluate', d, n, detail),
    });
    timings.ortMs += ev.ortMs;
    const evaluationMs = ev.ortMs - (ev.latencyMs ?? 0);
    for (const note of ev.fidelity.notes ?? []) warn(note);
    let estimateMs = 0;
    if (ev.latency && ev.timedShapes) {
      t = performance.now();
      // the parent's weights were counted when first read: the estimate does not read them again
      const counted = new Map([...tr.layers.values()].filter((l) => l.parentNonzeros >= 0).map((l) => [l.name, l.parentNonzeros]));
      const { estimate, note } = await estimateLatency(inputs.model, twinTmp, ev.timedShapes, opts.measuredProfile, counted);
      estimateMs = performance.now() - t;
      timings.ortMs += estimateMs;
      if (note) warn(note);
      if (estimate) {
        ev.latency.estimated = estimate;
        const d = disagreement(ev.latency, estimate);
        if (d) {
          ev.latency.disagreement = d;
          warn(d);
        }
      }
    }
    // Twinforge targets: the twin also as a runtime folder, its latency measured through the runtime
    const tf = await exportTwinforgeTarget(staged, name, twinTmp, inputs.model, tr, { target: recipe.target, measured: opts.measuredProfile, shapes: ev.timedShapes, latency: !!ev.latency, signal });
    if (tf?.note) warn(tf.note);
    if (tf?.runtime && ev.latency) ev.latency.twinforge = tf.runtime;
    check();

    const sizes: Sizes = measureSizes(inputs.model, saved.path, saved.dataPath, parentIr, tr, packed, parentDataFiles);
    const gates = checkGates(recipe.gates, ev.fidelity, sizes);
    const passed = gates.every((g) => g.passed);
    const metrics: CompressMetrics = {
      ...(ev.fidelity.top1Agreement !== undefined ? { top1Agreement: ev.fidelity.top1Agreement } : {}),
      cosine: ev.fidelity.cosine,
      sqnrDb: ev.fidelity.sqnrDb,
      maxAbsError: ev.fidelity.maxAbsError,
      ...(ev.fidelity.accuracy ? { accuracy: ev.fidelity.accuracy.twin, accuracyParent: ev.fidelity.accuracy.parent } : {}),
    };
    const dataInfo = (d: Dataset | undefined): DataInfo | undefined => (d ? { source: d.source, samples: d.count, synthetic: d.synthetic, labels: !!d.labels } : undefined);
    const total = performance.now() - t0;
    // Parts of ortMs: the evaluation's runs (fidelity), the latency protocol, the latency model's estimate.
    const allTimings = { totalMs: total, nativeMs: timings.nativeMs, ortMs: timings.ortMs, ioMs: timings.ioMs, calibrationMs: timings.calibrationMs, evaluationMs, latencyMs: ev.latencyMs ?? 0, estimateMs };
    const twinPath = path.join(inputs.outDir, `${name}.onnx`);
    const report: CompressReport = {
      twinforge: appVersion,
      createdAt: new Date().toISOString(),
      ...(recipe.name ? { name: recipe.name } : {}),
      recipe,
      ...(opts.recipeText ? { recipeText: opts.recipeText } : {}),
      model: { path: inputs.model, format: inputs.format },
      twin: { path: twinPath, files: staged.paths },
      data: { calibration: dataInfo(calData), evaluation: dataInfo(evalData) },
      metrics: ev.fidelity,
      ...(ev.latency ? { latencyMs: ev.latency } : {}),
      sizes,
      gates,
      passed,
      layers: [...tr.layers.values()],
      ...(tr.structured ? { structured: tr.structured } : {}),
      ...(extras.sweep ? { sweep: extras.sweep } : {}),
      warnings,
      timings: allTimings,
    };
    const result: CompressRun = {
      parent: inputs.model,
      twin: twinPath,
      report: path.join(inputs.outDir, 'report.json'),
      reportMarkdown: path.join(inputs.outDir, 'report.md'),
      files: [],
      metrics,
      sizes,
      ...(ev.latency ? { latencyMs: { parent: ev.latency.parent, twin: ev.latency.twin, speedup: ev.latency.speedup, ...(ev.latency.estimated ? { estimated: ev.latency.estimated } : {}), ...(ev.latency.twinforge ? { twinforge: ev.latency.twinforge } : {}) } } : {}),
      gates,
      passed,
      ...(extras.sweep ? { sweep: extras.sweep } : {}),
      ...(tr.structured ? { structured: tr.structured } : {}),
      warnings,
      timings: allTimings,
    };
    if (extras.fidelityOnly) {
      staged.abort();
      return result;
    }
    check();
    progress('report', 0, 1);
    // Writing the report, fsyncing the twin's files (written without) and the renames are file
    // I/O of this run after the report's figures were fixed: added to the returned timings only.
    t = performance.now();
    staged.write('report.json', JSON.stringify(report, null, 2) + '\n');
    staged.write('report.md', renderMarkdown(report));
    result.files = staged.commit(recipe.export?.overwrite ?? true);
    const commitMs = performance.now() - t;
    result.timings = { ...allTimings, ioMs: allTimings.ioMs + commitMs, commitMs, totalMs: performance.now() - t0 };
    progress('report', 1, 1);
    return result;
  } catch (err) {
    staged.abort();
    throw err;
  } finally {
    editor?.close();
  }
}

/** The input model of the run: graph facts from the IR, inputs as ORT sees them, the recipe's shapes and values. */
export function inputModelFor(ir: ModelIR, specs: InputSpec[], recipe: Pick<Recipe, 'inputShapes' | 'dims' | 'inputValues'>): InputModel {
  const facts = factsFromIR(ir);
  facts.inputs = declaredInputs(specs);
  return buildInputModel(facts, { inputShapes: recipe.inputShapes, dims: recipe.dims, inputValues: recipe.inputValues });
}

/** The model's inputs as ORT will see them (dtype names as ORT spells them). */
async function modelInputs(editor: ModelEditor, file: string, timings: { ortMs: number }): Promise<InputSpec[]> {
  const ir = editor.current();
  if (ir.inputs.length && ir.inputs.every((i) => i.dtype && i.shape)) {
    return ir.inputs.map((i) => ({ name: i.name, type: i.dtype as string, shape: i.shape!.map((d) => (typeof d === 'number' && d >= 0 ? d : d === null ? null : String(d))) }));
  }
  const t0 = performance.now();
  const s = await openSession(file, { prepack: false });
  try {
    return inputSpecs(s);
  } finally {
    await s.release();
    timings.ortMs += performance.now() - t0;
  }
}

export { findLayers };
export type { LatencyReport };
