// Applies a recipe's stages to an open model: plan the layers, calibrate what the method needs
// on the model as it is now, compute every layer's mask or codes (masks first), then commit them
// all (mutate last) through the model editor. Returns what the report needs per layer.
import type { ModelEditor } from '../model/onnx/editor';
import type { ModelIR } from '../model/ir';
import type { Dataset } from '../data/dataset';
import { TwinforgeError } from '../errors';
import { findLayers, fromMatrix, toMatrix, type LayerTarget } from '../methods/layers';
import { PruningMethod, QuantizationMethod, type ActivationRange, type LayerStats, type PruneLayerPlan, type QuantResult } from '../methods/method';
import { formatPattern, type Pattern } from '../methods/sparsity';
import type { Stage } from '../recipe/schema';
import { planStage, type StagePlan } from './plan';
import { calibrate, type CalibrationResult } from './calibration';
import { commitQuantization } from './quantize-export';
import { applyChannelRemoval, planChannelRemoval } from '../methods/sparsity/channel-removal';
import { countZeros } from './sizes';
import { structuredStage, type StructuredSummary } from './structured';
import { applyMask, countNonzero } from '../native';

export interface LayerRecord {
  name: string;
  op: string;
  shape: number[];
  params: number;
  /** Nonzero weights in the parent and in the twin (dequantized values for quantized layers). */
  parentNonzeros: number;
  nonzeros: number;
  prune?: { method: string; pattern: string; target: number; sparsity: number; note?: string };
  quant?: { method: string; scheme: string; format?: string; weightSqnrDb?: number; activation?: { scale: number; zeroPoint: number } };
  channels?: { before: number; after: number; removed: boolean; reason?: string; group?: number };
  /** Stages that left this layer alone, with why. */
  left?: { stage: number; reason: string }[];
}

export interface TransformContext {
  editor: ModelEditor;
  /** The calibration data, loaded on first need. */
  calibration: () => Dataset;
  batchSize: number;
  seed: number;
  tmpDir: string;
  signal?: AbortSignal;
  log: (line: string) => void;
  progress: (stage: string, done: number, total: number, detail?: string) => void;
  /** Overrides the sparsity of one stage (sweeps). */
  level?: { stage: number; value: number };
  timings: { ortMs: number; nativeMs: number; calibrationMs: number; ioMs: number };
}

export interface TransformResult {
  layers: Map<string, LayerRecord>;
  /** Pattern each pruned layer ended with (packing picks the format from it). */
  patterns: Map<string, Pattern>;
  quantized: Map<string, QuantResult['kind']>;
  channelsRemoved: boolean;
  warnings: string[];
  /** Nonzeros of the parent's parameters that are not layers (biases, norms). */
  parentOtherNonzeros: number;
  /** Channel stages done by dependency groups (structured.ts). */
  structured?: StructuredSummary[];
}

function check(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TwinforgeError('CANCELLED', 'Compression cancelled.');
}

const UNKNOWN = -1;

function record(out: TransformResult, l: LayerTarget): LayerRecord {
  let r = out.layers.get(l.name);
  if (!r) {
    // Nonzeros of the parent are counted on the first read of the weight (no extra pass).
    r = { name: l.name, op: l.op, shape: [...l.weight.dims], params: l.weight.numel, parentNonzeros: UNKNOWN, nonzeros: UNKNOWN };
    out.layers.set(l.name, r);
  }
  return r;
}

/**
 * Weights as float32 in storage order, read once per run: the first read of a float32 weight is
 * a view of the bytes the model holds when they are aligned (no copy), later stages get what
 * the previous one committed. Fresh multi-megabyte buffers are slow to fill on our machines,
 * so this matters more than it looks. Arrays may be changed in place by the stage that owns
 * them: the editor's tensor is replaced right after.
 */
export class WeightCache {
  private cache = new Map<string, Float32Array>();
  /** Bytes read ahead by prefetch(), taken by the first read(). */
  private fetched = new Map<string, Uint8Array>();
  constructor(private readonly out: TransformResult, private readonly timings: { ioMs: number }) {}

  /**
   * Reads the float32 weights of `layers` that are still in files, all at once on the thread pool
   * (a stage holds every layer's weights anyway: this changes when they are read, not how many).
   * Settles when every read has; the caller counts the time it waits.
   */
  async prefetch(layers: LayerTarget[]): Promise<void> {
    // by id: layers sharing a weight read it once
    const want = new Map(layers.map((l) => [l.weight.id, l.weight]));
    const todo = [...want.values()].filter((w) => w.dtype === 'float32' && w.bytesAsync && !this.cache.has(w.id) && !this.fetched.has(w.id));
    const results = await Promise.allSettled(todo.map((w) => w.bytesAsync!()));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') this.fetched.set(todo[i].id, r.value);
    });
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  read(l: LayerTarget): Float32Array {
    const hit = this.cache.get(l.weight.id);
    if (hit && hit.length === l.weight.numel) return hit;
    const t = performance.now();
    let w: Float32Array;
    const ahead = this.fetched.get(l.weight.id);
    this.fetched.delete(l.weight.id);
    const b = l.weight.dtype === 'float32' ? (ahead ?? l.weight.bytes()) : undefined;
    if (b && b.byteOffset % 4 === 0 && b.byteLength >= l.weight.numel * 4) w = new Float32Array(b.buffer, b.byteOffset, l.weight.numel);
    else w = l.weight.float32();
    this.timings.ioMs += performance.now() - t;
    const r = record(this.out, l);
    if (r.parentNonzeros === UNKNOWN) {
      r.parentNonzeros = countNonzero(w);
      r.nonzeros = r.parentNonzeros;
    }
    this.cache.set(l.weight.id, w);
    return w;
  }

  /** Remembers what a stage committed (storage order). */
  set(id: string, w: Float32Array): void {
    this.cache.set(id, w);
  }

  delete(id: string): void {
    this.cache.delete(id);
  }

  clear(): void {
    this.cache.clear();
    this.fetched.clear();
  }
}

/**
 * Runs `work` while `reading` (a prefetch) goes on, then waits for the reads; only that wait is
 * file I/O. A failure of either surfaces (the work's first), never as an unhandled rejection.
 */
async function overlapped<T>(reading: Promise<void>, timings: { ioMs: number }, work: () => Promise<T>): Promise<T> {
  reading.catch(() => undefined);
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await reading.catch(() => undefined);
    throw err;
  }
  const t = performance.now();
  await reading;
  timings.ioMs += performance.now() - t;
  return result;
}

/** Fills in parent nonzeros of layers no stage has read yet (they still hold the parent's values). */
function countUnread(out: TransformResult, layers: LayerTarget[]): void {
  for (const l of layers) {
    const r = record(out, l);
    if (r.parentNonzeros === UNKNOWN) {
      r.parentNonzeros = l.weight.nonzeros();
      r.nonzeros = r.parentNonzeros;
    }
  }
}

/** Runs every stage over the editor's model. */
export async function applyStages(stages: Stage[], ctx: TransformContext): Promise<TransformResult> {
  const out: TransformResult = { layers: new Map(), patterns: new Map(), quantized: new Map(), channelsRemoved: false, warnings: [], parentOtherNonzeros: 0 };
  const cache = new WeightCache(out, ctx.timings);
  const first = findLayers(ctx.editor.current());
  for (const l of first) record(out, l);
  // Parameters that are not layers (biases, norms): counted now, they are small.
  const layerIds = new Set(first.map((l) => l.weight.id));
  for (const w of ctx.editor.current().weights) if (w.isParameter && !layerIds.has(w.id)) out.parentOtherNonzeros += w.nonzeros();
  // Channel removal edits layers it never reads through the cache: count everything first.
  if (stages.some((s) => s.type === 'prune' && s.pattern && /^(channel|channels|filter|filters)$/i.test(s.pattern.trim()))) countUnread(out, first);
  for (let i = 0; i < stages.length; i++) {
    check(ctx.signal);
    const layers = findLayers(ctx.editor.current());
    const level = ctx.level?.stage === i ? ctx.level.value : undefined;
    const plan = planStage(stages[i], i, layers, level);
    for (const { layer, reason } of plan.left) (record(out, layer).left ??= []).push({ stage: i, reason });
    if (plan.chosen.length === 0) {
      out.warnings.push(`stages[${i}] (${stages[i].method}) found no layer it can change`);
      continue;
    }
    if (stages[i].type === 'prune') await pruneStage(plan, ctx, out, cache);
    else await quantizeStage(plan, ctx, out, cache);
  }
  countUnread(out, findLayers(ctx.editor.current()));
  return out;
}

async function statsFor(plan: StagePlan, ctx: TransformContext, layers: LayerTarget[], want: { hessian: boolean; norms: boolean; ranges: boolean; histogram: boolean }, extraRanges: string[] = []): Promise<CalibrationResult | undefined> {
  if (!want.hessian && !want.norms && !want.ranges) return undefined;
  const t0 = performance.now();
  const data = ctx.calibration();
  const ranges = want.ranges ? [...new Set([...layers.map((l) => l.activation).filter((a): a is string => !!a), ...extraRanges])] : [];
  const res = await calibrate(ctx.editor, data, { layers: layers.map((layer) => ({ layer, hessian: want.hessian, norms: want.norms })), ranges, histogram: want.histogram }, {
    batchSize: ctx.batchSize,
    signal: ctx.signal,
    tmpDir: ctx.tmpDir,
    progress: (d, t, detail) => ctx.progress('calibrate', d, t, `${plan.stage.method}: ${detail}`),
    log: ctx.log,
  });
  ctx.timings.ortMs += res.ortMs;
  ctx.timings.ioMs += res.ioMs;
  ctx.timings.nativeMs += res.nativeMs;
  ctx.timings.calibrationMs += performance.now() - t0;
  for (const [layer, why] of res.missing) if (want.hessian || want.norms) ctx.log(`${layer.name}: no calibration statistics (${why})`);
  return res;
}

async function pruneStage(plan: StagePlan, ctx: TransformContext, out: TransformResult, cache: WeightCache): Promise<void> {
  const def = plan.def;
  // Channel pruning that removes channels: whole dependency groups (residuals, depthwise, SE).
  // Layers whose group cannot go keep the per-layer path below (zeroed rows, single-chain removal).
  const grouped = new Map<string, LayerRecord['channels']>();
  if (plan.stage.type === 'prune' && plan.stage.removeChannels !== false && ctx.editor.current().format === 'onnx' && plan.chosen.every((c) => c.pattern?.kind === 'channel')) {
    const summary = await structuredStage(plan, ctx, (l) => record(out, l));
    (out.structured ??= []).push(summary);
    const fresh = findLayers(ctx.editor.current());
    if (summary.groups.some((g) => g.removed)) {
      cache.clear();
      out.channelsRemoved = true;
      for (const l of fresh) {
        const r = record(out, l);
        r.shape = [...l.weight.dims];
        r.nonzeros = l.weight.nonzeros();
      }
    }
    const rest = plan.chosen.filter((c) => !record(out, c.layer).channels?.removed);
    for (const c of rest) grouped.set(c.layer.name, record(out, c.layer).channels);
    const byName = new Map(fresh.map((l) => [l.name, l]));
    plan = { ...plan, chosen: rest.flatMap((c) => (byName.has(c.layer.name) ? [{ ...c, layer: byName.get(c.layer.name)! }] : [])) };
    if (plan.chosen.length === 0) return;
  }
  const method = def.create(plan.config) as PruningMethod;
  const chosen = plan.chosen;
  const needs = def.needs(plan.config, chosen[0].pattern);
  const layers = chosen.map((c) => c.layer);
  // The weights are read on the thread pool while calibration runs (when there is one).
  const reading = cache.prefetch(layers);
  const cal = await overlapped(reading, ctx.timings, () => (needs.calibration ? statsFor(plan, ctx, layers, { hessian: needs.hessian, norms: needs.featureNorms, ranges: false, histogram: false }) : Promise.resolve(undefined)));
  const plans: PruneLayerPlan[] = chosen.map((c) => ({ layer: c.layer, pattern: c.pattern!, sparsity: c.sparsity! }));
  const base = { signal: ctx.signal ?? new AbortController().signal, log: ctx.log, seed: ctx.seed };
  // Elementwise rules see the weights in storage order: no transposes for MatMul [in, out].
  const free = new Set(plans.filter((p) => def.layoutFree?.(plan.config, p.pattern)).map((p) => p.layer));
  const read = (l: LayerTarget) => {
    const raw = cache.read(l);
    return free.has(l) ? raw : toMatrix(l, raw);
  };
  await method.initialize({ ...base, plans, weights: read });
  // Masks first: every layer's result is computed from the unchanged model.
  const results: { p: PruneLayerPlan; weights: Float32Array; note?: string }[] = [];
  for (let k = 0; k < plans.length; k++) {
    check(ctx.signal);
    const p = plans[k];
    ctx.progress('prune', k, plans.length, p.layer.name);
    const w = read(p.layer);
    const stats: LayerStats | undefined = cal?.stats.get(p.layer);
    const t0 = performance.now();
    const r = await method.apply({ ...base, plan: p, weights: w, stats });
    ctx.timings.nativeMs += performance.now() - t0;
    const next = r.weights ?? w;
    applyMask(next, r.mask);
    results.push({ p, weights: next, note: r.note ?? (cal?.missing.get(p.layer) ? `no statistics: ${cal.missing.get(p.layer)}` : undefined) });
  }
  for (const line of method.finalize()) ctx.log(line);
  ctx.progress('prune', plans.length, plans.length);
  // Mutate last.
  for (const { p, weights, note } of results) {
    const stored = free.has(p.layer) ? weights : fromMatrix(p.layer, weights);
    ctx.editor.setTensor(p.layer.weight.id, tensorData(p.layer, stored));
    if (p.layer.weight.dtype === 'float32') cache.set(p.layer.weight.id, stored);
    else cache.delete(p.layer.weight.id);
    const zeros = countZeros(weights);
    record(out, p.layer).nonzeros = weights.length - zeros;
    record(out, p.layer).prune = { method: def.name, pattern: formatPattern(p.pattern), target: p.sparsity, sparsity: zeros / weights.length, ...(note ? { note } : {}) };
    out.patterns.set(p.layer.name, p.pattern);
  }
  // Channel pruning: take the zeroed channels out of the graph where it allows.
  const removeChannels = plan.stage.type === 'prune' && plan.stage.removeChannels !== false;
  const channelLayers = removeChannels ? results.filter((r) => r.p.pattern.kind === 'channel') : [];
  if (channelLayers.length) {
    let removedAny = false;
    for (const { p } of channelLayers) {
      const ir = ctx.editor.current();
      const layer = findLayers(ir).find((l) => l.name === p.layer.name);
      const rec = record(out, p.layer);
      if (!layer) continue;
      const plan2 = planChannelRemoval(ir, layer);
      const w = toMatrix(layer);
      const keep: number[] = [];
      for (let r = 0; r < layer.rows; r++) {
        let nz = false;
        for (let c = 0; c < layer.cols && !nz; c++) if (w[r * layer.cols + c] !== 0) nz = true;
        if (nz) keep.push(r);
      }
      if (!plan2.ok) {
        rec.channels = { before: layer.rows, after: layer.rows, removed: false, reason: plan2.reason };
        continue;
      }
      const done = applyChannelRemoval(ctx.editor, ir, plan2, keep);
      if (!done.ok) {
        rec.channels = { before: layer.rows, after: layer.rows, removed: false, reason: done.reason };
        continue;
      }
      rec.channels = { before: layer.rows, after: keep.length, removed: true, ...(done.foldedInexact ? { reason: 'removed; the constant of the removed channels was folded into the next bias (exact away from padded borders)' } : {}) };
      removedAny = true;
    }
    // The dependency-group reason says more than the single-chain one (which layer blocks and why).
    for (const { p } of channelLayers) {
      const rec = record(out, p.layer);
      const g = grouped.get(p.layer.name);
      if (g && rec.channels && !rec.channels.removed) rec.channels = { ...g, reason: `${g.reason ?? 'kept'}; pruned channels stay as zeros` };
    }
    if (removedAny) {
      cache.clear();
      ctx.editor.clearValueInfo();
      out.channelsRemoved = true;
      // Shapes changed: refresh the per-layer shapes in the report.
      for (const l of findLayers(ctx.editor.current())) {
        const r = record(out, l);
        r.shape = [...l.weight.dims];
        r.nonzeros = l.weight.nonzeros();
        if (r.prune) r.prune.sparsity = countZeros(l.weight.float32()) / l.weight.numel;
      }
    }
  }
}

async function quantizeStage(plan: StagePlan, ctx: TransformContext, out: TransformResult, cache: WeightCache): Promise<void> {
  const def = plan.def;
  // Layers with per-layer args get their own method instance.
  const instances = new Map<string, QuantizationMethod>();
  const methodFor = (args: Record<string, unknown> | undefined): QuantizationMethod => {
    const key = JSON.stringify(args ?? {});
    let m = instances.get(key);
    if (!m) {
      m = def.create(def.config.parse(args ?? {})) as QuantizationMethod;
      instances.set(key, m);
    }
    return m;
  };
  const chosen: { layer: LayerTarget; method: QuantizationMethod; config: unknown }[] = [];
  for (const c of plan.chosen) {
    const m = methodFor(c.args);
    const why = m.supports(c.layer);
    if (why) (record(out, c.layer).left ??= []).push({ stage: plan.index, reason: why });
    else chosen.push({ layer: c.layer, method: m, config: m.config });
  }
  if (chosen.length === 0) {
    out.warnings.push(`stages[${plan.index}] (${def.name}) found no layer it can quantize`);
    return;
  }
  const needs = chosen.map((c) => def.needs(c.config));
  const want = {
    hessian: needs.some((n) => n.hessian),
    norms: false,
    ranges: needs.some((n) => n.activationRanges),
    histogram: chosen.some((c) => {
      const a = (c.config as { activations?: string }).activations;
      return a === 'percentile' || a === 'mse';
    }),
  };
  // Layers whose output reaches no quantized tensor get a Q/DQ on their output too, or ORT
  // leaves them unfused (dequantizing the weight at every run: slower than float).
  const quantizedInputs = new Set(chosen.filter((c, i) => needs[i].activationRanges && c.layer.activation).map((c) => c.layer.activation!));
  const outputQdq = new Set(chosen.filter((c, i) => needs[i].activationRanges && !reachesQuantized(ctx.editor.current(), c.layer, quantizedInputs)).map((c) => c.layer));
  const extraRanges = [...outputQdq].map((l) => l.node.outputs[0]).filter(Boolean);
  const reading = cache.prefetch(chosen.map((c) => c.layer));
  const cal = await overlapped(reading, ctx.timings, () => statsFor(plan, ctx, chosen.map((c) => c.layer), want, extraRanges));
  const base = { signal: ctx.signal ?? new AbortController().signal, log: ctx.log, seed: ctx.seed };
  for (const m of instances.values()) await m.initialize({ ...base, layers: chosen.map((c) => c.layer) });
  const results: { layer: LayerTarget; result: QuantResult; method: QuantizationMethod }[] = [];
  for (let k = 0; k < chosen.length; k++) {
    check(ctx.signal);
    const { layer, method } = chosen[k];
    ctx.progress('quantize', k, chosen.length, layer.name);
    const stored = method.storageOrder(layer);
    const raw = cache.read(layer);
    const w = stored ? raw : toMatrix(layer, raw);
    const inputRange: ActivationRange | undefined = layer.activation ? cal?.ranges.get(layer.activation) : undefined;
    const t0 = performance.now();
    const outputRange = outputQdq.has(layer) ? cal?.ranges.get(layer.node.outputs[0]) : undefined;
    const result = await method.apply({ ...base, layer, weights: w, stats: cal?.stats.get(layer), inputRange, ...(outputRange ? { outputRange } : {}), ...(stored ? { storage: { outAxis: layer.outAxis } } : {}) });
    ctx.timings.nativeMs += performance.now() - t0;
    results.push({ layer, result, method });
    const rec = record(out, layer);
    rec.nonzeros = result.stats.nonzeros;
    rec.quant = {
      method: def.name,
      scheme: result.kind === 'int8' ? 'int8 per-channel symmetric' : `int4 group ${result.group} ${result.symmetric ? 'symmetric' : 'asymmetric'}`,
      ...(result.kind === 'int4' ? { format: result.format } : { format: result.activation ? 'qdq' : 'dq (weight-only)' }),
      weightSqnrDb: result.stats.weightSqnrDb,
      ...(result.kind === 'int8' && result.activation ? { activation: { scale: result.activation.scale, zeroPoint: result.activation.zeroPoint } } : {}),
    };
  }
  ctx.progress('quantize', chosen.length, chosen.length);
  for (const m of instances.values()) for (const line of m.finalize()) ctx.log(line);
  commitQuantization(ctx.editor, results.map((r) => ({ layer: r.layer, result: r.result, accuracyLevel: (r.method.config as { accuracyLevel?: number }).accuracyLevel })));
  for (const r of results) cache.delete(r.layer.weight.id);
  for (const r of results) out.quantized.set(r.layer.name, r.result.kind);
}

// Ops a quantized activation may sit behind without breaking the integer fusion of the layer
// before it (ORT folds bias adds, BN and these activations into QGemm / QLinearConv).
const PASS_THROUGH = new Set(['Add', 'Relu', 'Clip', 'LeakyRelu', 'BatchNormalization', 'Mul']);

/** Whether the layer's output reaches a tensor in `quantized` through single-reader pass-through ops. */
function reachesQuantized(ir: ModelIR, layer: LayerTarget, quantized: Set<string>): boolean {
  let t = layer.node.outputs[0];
  for (let guard = 0; guard < 8 && t; guard++) {
    if (quantized.has(t)) return true;
    const readers = ir.nodes.filter((n) => n.graph === layer.node.graph && n.inputs.includes(t));
    if (readers.length !== 1 || !PASS_THROUGH.has(readers[0].op)) return false;
    t = readers[0].outputs[0];
  }
  return false;
}

/** float32 weights go to the editor as raw bytes (no per-element encode); other dtypes convert. */
export function tensorData(layer: LayerTarget, w: Float32Array): Float32Array | { bytes: Uint8Array } {
  return layer.weight.dtype === 'float32' ? { bytes: new Uint8Array(w.buffer, w.byteOffset, w.byteLength) } : w;
}


export type { ModelIR };
