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
  channels?: { before: number; after: number; removed: boolean; reason?: string };
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
  timings: { ortMs: number; nativeMs: number; calibrationMs: number };
}

export interface TransformResult {
  layers: Map<string, LayerRecord>;
  /** Pattern each pruned layer ended with (packing picks the format from it). */
  patterns: Map<string, Pattern>;
  quantized: Map<string, QuantResult['kind']>;
  channelsRemoved: boolean;
  warnings: string[];
}

function check(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TwinforgeError('CANCELLED', 'Compression cancelled.');
}

function record(out: TransformResult, l: LayerTarget): LayerRecord {
  let r = out.layers.get(l.name);
  if (!r) {
    const nz = l.weight.nonzeros();
    r = { name: l.name, op: l.op, shape: [...l.weight.dims], params: l.weight.numel, parentNonzeros: nz, nonzeros: nz };
    out.layers.set(l.name, r);
  }
  return r;
}

/** Runs every stage over the editor's model. */
export async function applyStages(stages: Stage[], ctx: TransformContext): Promise<TransformResult> {
  const out: TransformResult = { layers: new Map(), patterns: new Map(), quantized: new Map(), channelsRemoved: false, warnings: [] };
  for (const l of findLayers(ctx.editor.current())) record(out, l);
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
    if (stages[i].type === 'prune') await pruneStage(plan, ctx, out);
    else await quantizeStage(plan, ctx, out);
  }
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
  ctx.timings.nativeMs += res.nativeMs;
  ctx.timings.calibrationMs += performance.now() - t0;
  for (const [layer, why] of res.missing) if (want.hessian || want.norms) ctx.log(`${layer.name}: no calibration statistics (${why})`);
  return res;
}

async function pruneStage(plan: StagePlan, ctx: TransformContext, out: TransformResult): Promise<void> {
  const def = plan.def;
  const method = def.create(plan.config) as PruningMethod;
  const chosen = plan.chosen;
  const needs = def.needs(plan.config, chosen[0].pattern);
  const layers = chosen.map((c) => c.layer);
  const cal = needs.calibration ? await statsFor(plan, ctx, layers, { hessian: needs.hessian, norms: needs.featureNorms, ranges: false, histogram: false }) : undefined;
  const plans: PruneLayerPlan[] = chosen.map((c) => ({ layer: c.layer, pattern: c.pattern!, sparsity: c.sparsity! }));
  const base = { signal: ctx.signal ?? new AbortController().signal, log: ctx.log, seed: ctx.seed };
  // Elementwise rules see the weights in storage order: no transposes for MatMul [in, out].
  const free = new Set(plans.filter((p) => def.layoutFree?.(plan.config, p.pattern)).map((p) => p.layer));
  const read = (l: LayerTarget) => (free.has(l) ? l.weight.float32() : toMatrix(l));
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
    const next = r.weights ?? w.slice();
    for (let i = 0; i < next.length; i++) if (!r.mask[i]) next[i] = 0;
    results.push({ p, weights: next, note: r.note ?? (cal?.missing.get(p.layer) ? `no statistics: ${cal.missing.get(p.layer)}` : undefined) });
  }
  for (const line of method.finalize()) ctx.log(line);
  ctx.progress('prune', plans.length, plans.length);
  // Mutate last.
  for (const { p, weights, note } of results) {
    ctx.editor.setTensor(p.layer.weight.id, free.has(p.layer) ? weights : fromMatrix(p.layer, weights));
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
    if (removedAny) {
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

async function quantizeStage(plan: StagePlan, ctx: TransformContext, out: TransformResult): Promise<void> {
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
  const cal = await statsFor(plan, ctx, chosen.map((c) => c.layer), want, extraRanges);
  const base = { signal: ctx.signal ?? new AbortController().signal, log: ctx.log, seed: ctx.seed };
  for (const m of instances.values()) await m.initialize({ ...base, layers: chosen.map((c) => c.layer) });
  const results: { layer: LayerTarget; result: QuantResult; method: QuantizationMethod }[] = [];
  for (let k = 0; k < chosen.length; k++) {
    check(ctx.signal);
    const { layer, method } = chosen[k];
    ctx.progress('quantize', k, chosen.length, layer.name);
    const stored = method.storageOrder(layer);
    const w = stored ? layer.weight.float32() : toMatrix(layer);
    const inputRange: ActivationRange | undefined = layer.activation ? cal?.ranges.get(layer.activation) : undefined;
    const t0 = performance.now();
    const outputRange = outputQdq.has(layer) ? cal?.ranges.get(layer.node.outputs[0]) : undefined;
    const result = await method.apply({ ...base, layer, weights: w, stats: cal?.stats.get(layer), inputRange, ...(outputRange ? { outputRange } : {}), ...(stored ? { storage: { outAxis: layer.outAxis } } : {}) });
    ctx.timings.nativeMs += performance.now() - t0;
    results.push({ layer, result, method });
    const rec = record(out, layer);
    rec.nonzeros = result.dequantized.length - countZeros(result.dequantized);
    rec.quant = {
      method: def.name,
      scheme: result.kind === 'int8' ? 'int8 per-channel symmetric' : `int4 group ${result.group} ${result.symmetric ? 'symmetric' : 'asymmetric'}`,
      ...(result.kind === 'int4' ? { format: result.format } : { format: result.activation ? 'qdq' : 'dq (weight-only)' }),
      weightSqnrDb: weightSqnr(w, result.dequantized),
      ...(result.kind === 'int8' && result.activation ? { activation: { scale: result.activation.scale, zeroPoint: result.activation.zeroPoint } } : {}),
    };
  }
  ctx.progress('quantize', chosen.length, chosen.length);
  for (const m of instances.values()) for (const line of m.finalize()) ctx.log(line);
  commitQuantization(ctx.editor, results.map((r) => ({ layer: r.layer, result: r.result, accuracyLevel: (r.method.config as { accuracyLevel?: number }).accuracyLevel })));
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

function weightSqnr(w: Float32Array, d: Float32Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    s += w[i] * w[i];
    n += (w[i] - d[i]) ** 2;
  }
  return n === 0 ? 999 : Math.min(999, 10 * Math.log10(s / n));
}

export type { ModelIR };
