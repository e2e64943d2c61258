// Sensitivity: per layer, how much fidelity the model loses when that layer alone is pruned to a
// pattern and level, or quantized to a precision. Measured by running the compression pipeline on
// that one layer and comparing outputs with the parent in ONNX Runtime; for large models a cheap
// proxy instead: the layer's own output error estimated from its weights and its input feature
// norms (the diagonal of XᵀX). Loss is the noise-to-signal power ratio of the outputs,
// NSR = 10^(-SQNR/10), which adds across layers to first order.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TwinforgeError } from '../errors';
import { openZoo } from '../zoo/db';
import { getHardwareProfile, saveHardwareProfile } from '../zoo/repo/hardware';
import { weightedLayers, type LayerCost } from '../hardware/costs';
import { costGraph } from '../hardware/costs';
import { readModelView, type ModelView } from '../hardware/onnx-view';
import { fixedLevel, parsePattern, recipePattern } from '../hardware/options';
import { matchesAny } from '../methods/layers';
import type { SensitivityEntry, SensitivityResult } from '../../../preload/contract';

// Contract types (preload/contract.ts is their one definition).
export type { SensitivityEntry, SensitivityResult };

export interface SensitivityConfig {
  /** Sparsity levels for unstructured / block / channel patterns. */
  levels?: number[];
  /** Patterns to try: unstructured, 2:4, block4x4, channels. */
  patterns?: string[];
  precisions?: ('int8' | 'int4')[];
  /** 'measure' (ORT, every option), 'proxy' (weights x feature norms), 'auto' (measure small models). */
  method?: 'measure' | 'proxy' | 'auto';
  /** Evaluation samples ('synthetic' inputs unless calibration is given). */
  samples?: number;
  calibration?: string;
  inputShapes?: Record<string, number[]>;
  seed?: number;
  /** Only layers whose weight or node name matches one of these globs. */
  layers?: string[];
}

export interface SensitivityOptions {
  signal?: AbortSignal;
  progress?: (done: number, total: number, detail: string) => void;
  log?: (line: string) => void;
}

const DEFAULTS = { levels: [0.3, 0.5, 0.7, 0.9], patterns: ['unstructured', '2:4', 'channels'], precisions: ['int8', 'int4'] as ('int8' | 'int4')[], samples: 32 };
/** Models up to this many parameters (and this many runs) are measured option by option in 'auto'. */
const MEASURE_MAX_PARAMS = 20e6;
const MEASURE_MAX_RUNS = 150;

export function nsrOfDb(db: number): number {
  if (!Number.isFinite(db)) return db > 0 ? 0 : 1;
  return Math.min(1e3, Math.pow(10, -db / 10));
}

export function dbOfNsr(nsr: number): number {
  return nsr <= 0 ? Infinity : -10 * Math.log10(nsr);
}

function sensitivityKey(sha: string, cfg: SensitivityResult['config'], method: string, inputShapes?: Record<string, number[]>, calibration?: string, layers?: string[]): string {
  const h = createHash('sha256').update(JSON.stringify({ cfg, method, inputShapes: inputShapes ?? {}, calibration: calibration ?? 'synthetic', ...(layers?.length ? { layers } : {}) })).digest('hex').slice(0, 12);
  return `sensitivity:${sha.slice(0, 16)}:${h}`;
}

interface Trial {
  layer: LayerCost;
  pattern: string;
  level: number;
  precision: 'fp32' | 'int8' | 'int4';
}

function trialsFor(layers: LayerCost[], cfg: SensitivityResult['config']): { trials: Trial[]; skipped: string[] } {
  const trials: Trial[] = [];
  const skipped: string[] = [];
  for (const l of layers) {
    for (const pat of cfg.patterns) {
      const p = parsePattern(pat);
      if (p.family === 'dense') continue;
      if (p.family === 'nm') {
        trials.push({ layer: l, pattern: p.text, level: fixedLevel(p)!, precision: 'fp32' });
        continue;
      }
      for (const lvl of cfg.levels) trials.push({ layer: l, pattern: p.text, level: lvl, precision: 'fp32' });
    }
    for (const q of cfg.precisions) {
      if (q === 'int4' && l.kind === 'conv') {
        skipped.push(`${l.weight!.name} int4: convolutions stay in float (int4 is weight-only for MatMul/Gemm)`);
        continue;
      }
      trials.push({ layer: l, pattern: 'dense', level: 0, precision: q });
    }
  }
  return { trials, skipped };
}

async function measureTrial(model: string, t: Trial, cfg: SensitivityConfig & { samples: number }, signal?: AbortSignal): Promise<{ sqnrDb: number; top1Agreement?: number }> {
  const { runOnce } = await import('../pipeline/runner');
  const name = t.layer.weight!.name;
  const stage =
    t.precision === 'fp32'
      ? { type: 'prune', method: 'magnitude', pattern: recipePattern(t.pattern), ...(parsePattern(t.pattern).family === 'nm' ? {} : { sparsity: t.level }), include: [name] }
      : { type: 'quantize', method: t.precision, include: [name] };
  const recipe = {
    version: 1,
    model,
    ...(cfg.inputShapes ? { inputShapes: cfg.inputShapes } : {}),
    seed: cfg.seed ?? 0,
    calibration: { source: cfg.calibration ?? 'synthetic', samples: cfg.samples },
    evaluation: { source: cfg.calibration ?? 'synthetic', samples: cfg.samples, latency: false },
    stages: [stage],
  };
  const r = await runOnce(recipe as never, { signal }, { fidelityOnly: true });
  return { sqnrDb: r.metrics.sqnrDb, ...(r.metrics.top1Agreement !== undefined ? { top1Agreement: r.metrics.top1Agreement } : {}) };
}

/** Output error of one layer under a trial, relative to its output, from weights and input feature norms (diagonal XᵀX). */
export function proxyLoss(w: Float32Array, rows: number, cols: number, featureSq: Float32Array | undefined, t: { pattern: string; level: number; precision: string }): number {
  const sq = featureSq ?? new Float32Array(cols).fill(1);
  let signal = 0;
  let noise = 0;
  const p = parsePattern(t.pattern);
  // scores: |w| * ||x_c|| (Wanda-like), so the proxy prunes what magnitude-style methods keep least
  const keep = new Uint8Array(w.length).fill(1);
  if (p.family !== 'dense') {
    if (p.family === 'channels') {
      const norms = Array.from({ length: rows }, (_, r) => {
        let s = 0;
        for (let c = 0; c < cols; c++) s += w[r * cols + c] ** 2 * sq[c];
        return [s, r] as const;
      }).sort((a, b) => a[0] - b[0]);
      for (let i = 0; i < Math.round(rows * t.level); i++) keep.fill(0, norms[i][1] * cols, (norms[i][1] + 1) * cols);
    } else if (p.family === 'nm') {
      for (let r = 0; r < rows; r++) {
        for (let c0 = 0; c0 < cols; c0 += p.m!) {
          const idx = Array.from({ length: Math.min(p.m!, cols - c0) }, (_, j) => r * cols + c0 + j).sort((a, b) => Math.abs(w[a]) * sq[a % cols] - Math.abs(w[b]) * sq[b % cols]);
          for (let j = 0; j < idx.length - p.n!; j++) keep[idx[j]] = 0;
        }
      }
    } else {
      const scores = Array.from(w, (v, i) => Math.abs(v) * Math.sqrt(sq[i % cols]));
      const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
      for (let i = 0; i < Math.round(w.length * t.level); i++) keep[order[i][1]] = 0;
    }
  }
  const bits = t.precision === 'int8' ? 8 : t.precision === 'int4' ? 4 : 0;
  for (let r = 0; r < rows; r++) {
    let mx = 0;
    if (bits) for (let c = 0; c < cols; c++) mx = Math.max(mx, Math.abs(w[r * cols + c]));
    const scale = bits ? mx / (2 ** (bits - 1) - 1) || 1 : 0;
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      const v = w[i];
      let q = keep[i] ? v : 0;
      if (bits && keep[i]) q = Math.round(v / scale) * scale;
      signal += v * v * sq[c];
      noise += (v - q) ** 2 * sq[c];
    }
  }
  return signal > 0 ? noise / signal : 0;
}

/** The [rows = outputs, cols = inputs] view of a layer's weight values. */
function matrixOf(view: ModelView, layer: LayerCost): { w: Float32Array; rows: number; cols: number } | undefined {
  const data = view.weightData(layer.weight!.name);
  if (!data) return undefined;
  const shape = layer.weight!.shape;
  if (layer.kind === 'conv') return { w: data, rows: shape[0], cols: data.length / shape[0] };
  const node = view.nodes.find((n) => n.name === layer.name);
  const transB = node?.op === 'Gemm' && node.attrs.transB === 1;
  const [a, b] = shape;
  if (transB) return { w: data, rows: a, cols: b };
  const t = new Float32Array(a * b); // [K, N] -> [N, K]
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) t[j * a + i] = data[i * b + j];
  return { w: t, rows: b, cols: a };
}

/** Measures (or estimates) the sensitivity of every weighted layer of a model. */
export async function analyzeSensitivity(model: string, config: SensitivityConfig = {}, opts: SensitivityOptions = {}): Promise<SensitivityResult> {
  const cfg = { levels: config.levels ?? DEFAULTS.levels, patterns: config.patterns ?? DEFAULTS.patterns, precisions: config.precisions ?? DEFAULTS.precisions, samples: config.samples ?? DEFAULTS.samples };
  const sha = createHash('sha256').update(readFileSync(model)).digest('hex');
  const view = await readModelView(model, config.inputShapes);
  const globs = config.layers ?? [];
  const layers = weightedLayers(costGraph(view)).filter((l) => l.weight && view.weightData(l.weight.name) && (!globs.length || matchesAny([l.weight.name, l.name], globs)));
  const params = layers.reduce((a, l) => a + l.weight!.params, 0);
  const { trials, skipped } = trialsFor(layers, cfg);
  const method = config.method === 'proxy' || (config.method !== 'measure' && (params > MEASURE_MAX_PARAMS || trials.length > MEASURE_MAX_RUNS)) ? 'proxy' : 'measure';
  const entries: SensitivityEntry[] = [];
  for (const [i, t] of trials.entries()) {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Sensitivity analysis cancelled.');
    const label = `${t.layer.weight!.name} ${t.precision === 'fp32' ? `${t.pattern}${parsePattern(t.pattern).family === 'nm' ? '' : ` ${Math.round(t.level * 100)}%`}` : t.precision}`;
    opts.progress?.(i, trials.length, label);
    try {
      let sqnrDb: number;
      let top1: number | undefined;
      if (method === 'measure') {
        const m = await measureTrial(model, t, { ...config, samples: cfg.samples }, opts.signal);
        // identical outputs: the method left the layer alone (too small for the pattern or group)
        if (m.sqnrDb >= 300) throw new Error('the pipeline left this layer unchanged (too small for this pattern or precision)');
        sqnrDb = m.sqnrDb;
        top1 = m.top1Agreement;
      } else {
        const mat = matrixOf(view, t.layer);
        if (!mat) throw new Error('weight is not a float matrix');
        sqnrDb = dbOfNsr(proxyLoss(mat.w, mat.rows, mat.cols, undefined, t));
      }
      entries.push({ layer: t.layer.weight!.name, node: t.layer.name, pattern: t.pattern, level: t.level, precision: t.precision, loss: nsrOfDb(sqnrDb), sqnrDb, ...(top1 !== undefined ? { top1Agreement: top1 } : {}), how: method === 'measure' ? 'measured' : 'proxy' });
      opts.log?.(`${label}: SQNR ${sqnrDb.toFixed(1)} dB`);
    } catch (e) {
      if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
      skipped.push(`${label}: ${(e as Error).message}`);
      opts.log?.(`${label}: not measured (${(e as Error).message})`);
    }
  }
  opts.progress?.(trials.length, trials.length, 'done');
  return {
    model,
    sha256: sha,
    key: sensitivityKey(sha, cfg, method, config.inputShapes, config.calibration, config.layers),
    method,
    config: cfg,
    layers: layers.map((l) => ({ layer: l.weight!.name, node: l.name, op: l.op, params: l.weight!.params })),
    entries,
    skipped,
    createdAt: new Date().toISOString(),
  };
}

/** Stores a result in the zoo of a data folder (under its key, through the zoo's profile repository). */
export function saveSensitivity(dataDir: string, r: SensitivityResult): void {
  saveHardwareProfile(openZoo(dataDir), r.key, r, null);
}

/** The stored result for a model and config, if any. */
export function findSensitivity(dataDir: string, model: string, config: SensitivityConfig = {}): SensitivityResult | undefined {
  const cfg = { levels: config.levels ?? DEFAULTS.levels, patterns: config.patterns ?? DEFAULTS.patterns, precisions: config.precisions ?? DEFAULTS.precisions, samples: config.samples ?? DEFAULTS.samples };
  const sha = createHash('sha256').update(readFileSync(model)).digest('hex');
  for (const method of ['measure', 'proxy']) {
    try {
      const got = getHardwareProfile<SensitivityResult>(openZoo(dataDir), sensitivityKey(sha, cfg, method, config.inputShapes, config.calibration, config.layers));
      if (got?.profile) return got.profile;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Loss of one layer under a pattern/level/precision, from a result: pattern part interpolated over
 * measured levels (monotone, 0 at level 0), precision part added (first-order composition).
 */
export function lossOf(r: SensitivityResult, layer: string, pattern: string, level: number, precision: string): number | undefined {
  const mine = r.entries.filter((e) => e.layer === layer);
  if (!mine.length) return undefined;
  let loss = 0;
  const fam = parsePattern(pattern).family;
  if (fam !== 'dense' && level > 0) {
    const text = parsePattern(pattern).text;
    const pts = mine.filter((e) => e.precision === 'fp32' && parsePattern(e.pattern).text === text).sort((a, b) => a.level - b.level);
    if (!pts.length) return undefined;
    const all = [{ level: 0, loss: 0 }, ...pts];
    if (level >= all[all.length - 1].level) {
      const a = all[all.length - 2];
      const b = all[all.length - 1];
      // extrapolate on the last slope, never below the last point
      loss += b.level > a.level ? Math.max(b.loss, b.loss + ((b.loss - a.loss) * (level - b.level)) / (b.level - a.level)) : b.loss;
    } else {
      for (let i = 1; i < all.length; i++) {
        if (level <= all[i].level) {
          const a = all[i - 1];
          const b = all[i];
          loss += a.loss + ((b.loss - a.loss) * (level - a.level)) / (b.level - a.level);
          break;
        }
      }
    }
  }
  if (precision === 'int8' || precision === 'int4') {
    const q = mine.find((e) => e.pattern === 'dense' && e.precision === precision);
    if (!q) return undefined;
    loss += q.loss;
  }
  return loss;
}
