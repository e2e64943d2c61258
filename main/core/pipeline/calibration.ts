// Calibration: run the current model in ONNX Runtime with the layers' input tensors exposed as
// extra graph outputs, and stream each batch straight into the native accumulators (Hessian XᵀX,
// feature norms) and into running min/max (and histograms) of activations. Memory stays bounded:
// one batch of activations at a time, and the layers are split into passes so that the
// accumulators of one pass fit the budget; no activation is kept after its batch.
import { existsSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ValueInfoProtoSchema } from 'onnx-buf';
import type { ModelEditor } from '../model/onnx/editor';
import type { LayerTarget } from '../methods/layers';
import type { ActivationRange, LayerStats } from '../methods/method';
import { accumulateFeatureSqNorms, accumulateHessian } from '../methods/kernels';
import { batchRanges, type Dataset } from '../data/dataset';
import { TwinforgeError } from '../errors';
import { asFloat32, feedsOf, openSession } from './ort';
import { features, featureUnfit } from './features';
import { moveWeightsToFeeds } from './calibration-feeds';
import { pidAlive } from '../system/processes';

export interface CalibrationPlan {
  /** Layers and what each needs. */
  layers: { layer: LayerTarget; hessian: boolean; norms: boolean }[];
  /** Activation tensors whose range is needed. */
  ranges: string[];
  /** Also collect histograms of the ranged tensors (percentile / MSE). */
  histogram: boolean;
}

export interface CalibrationResult {
  stats: Map<LayerTarget, LayerStats>;
  ranges: Map<string, ActivationRange>;
  /** Layers that got no statistics, with the reason. */
  missing: Map<LayerTarget, string>;
  passes: number;
  batches: number;
  /** Milliseconds spent in ORT runs and in native accumulation. */
  ortMs: number;
  nativeMs: number;
  /** Writing the temporary model with the extra outputs. */
  ioMs: number;
}

export interface CalibrationOptions {
  batchSize: number;
  signal?: AbortSignal;
  /** Folder for the temporary model with extra outputs. */
  tmpDir: string;
  /** Bytes the accumulators of one pass may take (default 1 GiB). */
  budgetBytes?: number;
  progress?: (done: number, total: number, detail: string) => void;
  log?: (line: string) => void;
}

export const HIST_BINS = 2048;
/** Feature rows per native call: bounds the im2col / transpose buffer. */
const SLICE_ROWS = 2048;

interface Group {
  key: string;
  activation: string;
  layers: LayerTarget[];
  hessian: boolean;
  norms: boolean;
  cols: number;
  stats?: LayerStats;
}

function signature(l: LayerTarget): string {
  const a = l.node.attributes;
  return [l.activation, l.op, l.weight.role, l.cols, l.weight.dims.join('x'), JSON.stringify([a.strides, a.pads, a.dilations, a.auto_pad, a.transA])].join('|');
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TwinforgeError('CANCELLED', 'Cancelled during calibration.');
}

/** Runs the calibration plan over the dataset on the editor's current model. */
export async function calibrate(editor: ModelEditor, data: Dataset, plan: CalibrationPlan, opts: CalibrationOptions): Promise<CalibrationResult> {
  const result: CalibrationResult = { stats: new Map(), ranges: new Map(), missing: new Map(), passes: 0, batches: 0, ortMs: 0, nativeMs: 0, ioMs: 0 };
  // Layers sharing an input and a transform share one accumulator (e.g. q/k/v projections).
  const groups = new Map<string, Group>();
  for (const { layer, hessian, norms } of plan.layers) {
    const why = featureUnfit(layer);
    if (why) {
      result.missing.set(layer, why);
      continue;
    }
    const key = signature(layer);
    const g = groups.get(key) ?? { key, activation: layer.activation!, layers: [], hessian: false, norms: false, cols: layer.cols };
    g.layers.push(layer);
    g.hessian ||= hessian;
    g.norms ||= norms;
    groups.set(key, g);
  }
  const budget = opts.budgetBytes ?? 2 ** 30;
  const passes: Group[][] = [];
  let cur: Group[] = [];
  let used = 0;
  for (const g of groups.values()) {
    const bytes = (g.hessian ? g.cols * g.cols * 4 : 0) + (g.norms ? g.cols * 4 : 0);
    if (cur.length && used + bytes > budget) {
      passes.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(g);
    used += bytes;
  }
  if (cur.length || plan.ranges.length) passes.push(cur);
  const rangeNames = [...new Set(plan.ranges)];
  const histPass = plan.histogram && rangeNames.length > 0;
  const totalPasses = passes.length + (histPass ? 1 : 0);
  const batchesPerPass = [...batchRanges(data, opts.batchSize)].length;
  const totalSteps = totalPasses * batchesPerPass;
  let step = 0;

  for (let p = 0; p < passes.length; p++) {
    const pass = passes[p];
    const withRanges = p === 0 ? rangeNames : [];
    const tensors = [...new Set([...pass.map((g) => g.activation), ...withRanges])];
    if (tensors.length === 0) continue;
    for (const g of pass) g.stats = { samples: 0, ...(g.hessian ? { hessian: new Float32Array(g.cols * g.cols) } : {}), ...(g.norms ? { featureNorms: new Float32Array(g.cols) } : {}) };
    await runPass(editor, data, tensors, opts, async (acts) => {
      for (const g of pass) {
        const a = acts.get(g.activation);
        if (!a) continue;
        const src = features(g.layers[0], a.data, a.dims);
        if (!src) {
          for (const l of g.layers) if (!result.missing.has(l)) result.missing.set(l, `activation '${g.activation}' of shape [${a.dims}] does not match the weight`);
          g.stats = undefined;
          continue;
        }
        const t0 = performance.now();
        const slice = new Float32Array(Math.min(SLICE_ROWS, src.rows) * src.cols);
        for (let first = 0; first < src.rows; first += SLICE_ROWS) {
          const n = Math.min(SLICE_ROWS, src.rows - first);
          src.fill(first, n, slice);
          const x = n * src.cols === slice.length ? slice : slice.subarray(0, n * src.cols);
          if (g.stats!.hessian) accumulateHessian(g.stats!.hessian, x, n, src.cols);
          if (g.stats!.featureNorms) accumulateFeatureSqNorms(g.stats!.featureNorms, x, n, src.cols);
        }
        g.stats!.samples += src.rows;
        result.nativeMs += performance.now() - t0;
      }
      for (const name of withRanges) {
        const a = acts.get(name);
        if (!a) continue;
        const r = result.ranges.get(name) ?? { min: Infinity, max: -Infinity };
        for (let i = 0; i < a.data.length; i++) {
          const v = a.data[i];
          if (v < r.min) r.min = v;
          if (v > r.max) r.max = v;
        }
        result.ranges.set(name, r);
      }
      opts.progress?.(++step, totalSteps, `pass ${p + 1}/${totalPasses}`);
      result.batches++;
    }, result);
    result.passes++;
    for (const g of pass) {
      if (!g.stats) continue;
      for (const l of g.layers) result.stats.set(l, g.stats);
    }
  }

  if (histPass) {
    for (const name of rangeNames) {
      const r = result.ranges.get(name);
      if (r && r.max > r.min) r.hist = new Float64Array(HIST_BINS);
    }
    await runPass(editor, data, rangeNames, opts, async (acts) => {
      for (const name of rangeNames) {
        const r = result.ranges.get(name);
        const a = acts.get(name);
        if (!r?.hist || !a) continue;
        const scale = HIST_BINS / (r.max - r.min);
        for (let i = 0; i < a.data.length; i++) {
          const b = Math.min(HIST_BINS - 1, Math.max(0, Math.floor((a.data[i] - r.min) * scale)));
          r.hist[b]++;
        }
      }
      opts.progress?.(++step, totalSteps, 'activation histograms');
    }, result);
    result.passes++;
  }
  for (const l of plan.layers) if (!result.stats.has(l.layer) && !result.missing.has(l.layer) && (l.hessian || l.norms)) result.missing.set(l.layer, 'its input was not reached by the calibration data');
  return result;
}

/** One pass over the data with `tensors` exposed; `onBatch` gets each batch's activations. */
export async function runPass(
  editor: ModelEditor,
  data: Dataset,
  tensors: string[],
  opts: CalibrationOptions,
  onBatch: (acts: Map<string, { data: Float32Array; dims: readonly number[] }>) => Promise<void>,
  result: CalibrationResult,
): Promise<void> {
  const graph = editor.model.proto.graph!;
  const inputNames = new Set(graph.input.map((i) => i.name));
  const outputNames = new Set(graph.output.map((o) => o.name));
  const extra = tensors.filter((t) => !inputNames.has(t) && !outputNames.has(t));
  const fetch = tensors.filter((t) => !inputNames.has(t));
  const fileName = `calibration-${process.pid}-${Date.now().toString(36)}.onnx`;
  let file = path.join(scratchDir(editor, opts.tmpDir), fileName);
  const saved = graph.output;
  graph.output = [...saved, ...extra.map((name) => create(ValueInfoProtoSchema, { name }))];
  // Weights already in memory are fed to each run instead of written (calibration-feeds.ts).
  const weights = moveWeightsToFeeds(editor);
  const tSave = performance.now();
  try {
    // The rest of the weights in a side file: written raw (no protobuf encoding) and mapped by
    // ORT. A temporary file: no fsync. Should the RAM folder fill up meanwhile, the staging
    // folder takes it.
    const save = () => editor.save(file, { externalData: 'always', dataFileName: `${fileName}.data`, durable: false });
    try {
      save();
    } catch (e) {
      if (path.dirname(file) === opts.tmpDir) throw e;
      file = path.join(opts.tmpDir, fileName);
      save();
    }
  } finally {
    weights.restore();
    graph.output = saved;
  }
  result.ioMs += performance.now() - tSave;
  let session;
  try {
    const tOpen = performance.now();
    // Untimed: no prepacking (a second copy of every weight ORT would make before the first run).
    session = await openSession(file, { prepack: false });
    result.ortMs += performance.now() - tOpen;
    for (const [start, n] of batchRanges(data, opts.batchSize)) {
      throwIfAborted(opts.signal);
      const b = data.batch(start, n);
      const feeds = { ...feedsOf(b.feeds), ...weights.feeds };
      const t0 = performance.now();
      const out = fetch.length ? await session.run(feeds, fetch) : {};
      result.ortMs += performance.now() - t0;
      const acts = new Map<string, { data: Float32Array; dims: readonly number[] }>();
      for (const name of tensors) {
        if (inputNames.has(name)) {
          const f = b.feeds[name];
          if (f && f.data instanceof Float32Array) acts.set(name, { data: f.data, dims: f.dims });
        } else if (out[name]) acts.set(name, { data: asFloat32(out[name]), dims: out[name].dims });
      }
      await onBatch(acts);
    }
  } finally {
    let t = performance.now();
    await session?.release();
    result.ortMs += performance.now() - t;
    t = performance.now();
    rmSync(file, { force: true });
    rmSync(`${file}.data`, { force: true });
    result.ioMs += performance.now() - t;
  }
}

const RAM_DIR = '/dev/shm';
const SCRATCH = /^calibration-(\d+)-[0-9a-z]+\.onnx(\.data)?$/;

/**
 * Removes scratch models of processes that are gone. A killed run cannot delete its own, and in
 * a RAM folder they hold memory until the next reboot.
 */
export function sweepDeadScratch(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const m = SCRATCH.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    rmSync(path.join(dir, name), { force: true });
    n++;
  }
  return n;
}

/**
 * Where the temporary calibration model goes: a RAM-backed folder when there is one with room
 * for twice the model's weights (the copy ORT runs is never meant for the disk: written there,
 * it competes with the twin's own write-back), else `fallback` (the run's staging folder).
 */
function scratchDir(editor: ModelEditor, fallback: string): string {
  try {
    if (process.platform !== 'linux' || !existsSync(RAM_DIR)) return fallback;
    sweepDeadScratch(RAM_DIR);
    const need = editor.current().weights.reduce((a, w) => a + w.byteLength, 0);
    const st = statfsSync(RAM_DIR);
    return st.bavail * st.bsize > 2 * need + (64 << 20) ? RAM_DIR : fallback;
  } catch {
    return fallback;
  }
}
