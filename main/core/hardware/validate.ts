// `hw validate MODEL --target T`: measures every option the explainer judged, with the runtime the
// target names, and reports the share of verdicts measurement confirms. ONNX Runtime targets are
// timed here as one-node probe models (layer = probe - a do-nothing floor with the same outputs),
// interleaved with the dense probe; the same verdict rule is applied to both sides. On a Twinforge
// target the sparse options its kernels take are timed natively against ORT's dense layer; whole
// twins run end to end through the twin runtime are added above this layer (twin-runtime/validate.ts).
import os from 'node:os';
import { TwinforgeError } from '../errors';
import { costGraph, type GraphNodeView, type LayerCost } from './costs';
import { explainCost, verdictOf, type ExplainOption, type Verdict } from './explain';
import { estimateModel, hostOf, runsOnTwinforge } from './latency';
import { readModelView, type ModelView } from './onnx-view';
import { parseOptionSpec, type LayerOption } from './options';
import { medianOfRounds, timeModels, timeSteady } from './ort-time';
import { floorProbe, layerProbe, type LayerData } from './probes';
import type { Target } from './profile';
import { measureNativeOption, measureNativeVariant } from './calibrate-native';

export interface Judgement {
  layer: string;
  op: string;
  label: string;
  pattern: string;
  level: number;
  precision: string;
  estimatedSpeedup: number;
  verdict: Verdict;
  reason: string;
  measuredSpeedup: number | null;
  measuredVerdict: Verdict | null;
  /** null: not measured (see why). */
  confirmed: boolean | null;
  why?: string;
}

export interface ValidationReport {
  model: string;
  target: string;
  engine: string;
  judgements: Judgement[];
  /** Judgements measured, and how many of them measurement confirmed. */
  measured: number;
  confirmed: number;
  share: number;
  /** Confirmation share per verdict class. */
  byVerdict: Record<Verdict, { measured: number; confirmed: number }>;
  skipped: string[];
  /** Whole-model estimate against ORT's measured latency (ONNX Runtime targets). */
  latency?: { estimatedMs: number; measuredMs: number; measuredP10Ms: number; error: number };
  load: [number, number];
}

export interface ValidateArgs {
  model: string;
  target: Target;
  inputShapes?: Record<string, number[]>;
  /** Scales timing budgets (1: ~1.5 s per layer). */
  effort?: number;
  /** Restrict options (same specs as hw explain --option). */
  options?: string[];
  parsedOptions?: LayerOption[];
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Only the largest N layers (by estimated time); default all. */
  maxLayers?: number;
  /** The model already read (with inputShapes applied), so a caller that also needs it reads it once. */
  view?: ModelView;
}

/** The float weight behind a layer's weight input, following folded Cast/Identity nodes. */
function weightValues(view: ModelView, name: string): Float32Array | undefined {
  let cur = name;
  for (let i = 0; i < 4; i++) {
    const data = view.weightData(cur);
    if (data) return data;
    const prod = view.nodes.find((n) => n.outputs.includes(cur));
    if (!prod || (prod.op !== 'Cast' && prod.op !== 'Identity')) return undefined;
    cur = prod.inputs[0];
  }
  return undefined;
}

/** A layer's node, shapes and float weight (and bias) for building its one-node probes; a string says why not. */
export function layerData(view: ModelView, layers: LayerCost[], layer: LayerCost): LayerData | string {
  const node = view.nodes.find((n) => n.name === layer.name) as GraphNodeView | undefined;
  if (!node || !layer.weight) return 'no node/weight';
  const act = node.inputs.find((x) => x && x !== layer.weight!.name && !view.tensors.get(x)?.constant);
  const inDims = act ? view.tensors.get(act)?.dims : undefined;
  const outDims = view.tensors.get(node.outputs[0])?.dims;
  const weight = weightValues(view, layer.weight.name);
  if (!inDims || !outDims) return 'shapes unknown';
  if (!weight) return 'weight is not a float tensor';
  let bias: Float32Array | undefined;
  if (node.op === 'Gemm' && node.inputs[2]) bias = weightValues(view, node.inputs[2]);
  if (node.op === 'Conv' && node.inputs[2]) bias = weightValues(view, node.inputs[2]);
  if (node.op === 'MatMul') {
    // a bias Add the runtime fuses into this MatMul belongs to the layer
    const add = layers.find((l) => l.fusedInto === layer.name && l.op === 'Add');
    const addNode = add && view.nodes.find((n) => n.name === add.name);
    const b = addNode?.inputs.find((x) => view.tensors.get(x)?.constant);
    if (b) bias = weightValues(view, b);
  }
  if (bias && node.op !== 'Conv' && bias.length !== outDims[outDims.length - 1]) bias = undefined;
  return { node, inputDims: inDims, outputDims: outDims, weight, weightDims: layer.weight.shape, bias };
}

function summarize(judgements: Judgement[]) {
  const byVerdict: ValidationReport['byVerdict'] = { faster: { measured: 0, confirmed: 0 }, 'no-gain': { measured: 0, confirmed: 0 }, slower: { measured: 0, confirmed: 0 } };
  let measured = 0;
  let confirmed = 0;
  for (const j of judgements) {
    if (j.confirmed === null) continue;
    measured++;
    byVerdict[j.verdict].measured++;
    if (j.confirmed) {
      confirmed++;
      byVerdict[j.verdict].confirmed++;
    }
  }
  return { measured, confirmed, share: measured ? confirmed / measured : 0, byVerdict };
}

/** Explains a model for a target, then measures every judged option; see ValidationReport. */
export async function validateModel(args: ValidateArgs): Promise<ValidationReport> {
  const { target } = args;
  const effort = args.effort ?? 1;
  const load0 = os.loadavg()[0];
  const view = args.view ?? (await readModelView(args.model, args.inputShapes));
  const cost = costGraph(view);
  const options = args.parsedOptions ?? args.options?.map((s) => parseOptionSpec(s, target));
  const explanation = explainCost(cost, target, { options });
  const engine = target.runtime.engine;
  const judgements: Judgement[] = [];
  const skipped: string[] = [];
  const base = (l: string, op: string, o: ExplainOption): Judgement => ({
    layer: l,
    op,
    label: o.label,
    pattern: o.pattern,
    level: o.level,
    precision: o.precision,
    estimatedSpeedup: o.estimatedSpeedup,
    verdict: o.verdict,
    reason: o.reason,
    measuredSpeedup: null,
    measuredVerdict: null,
    confirmed: null,
  });
  if (engine !== 'onnxruntime' && engine !== 'twinforge') {
    skipped.push(`${target.runtime.title} does not run on this machine: nothing measured (engine '${engine}')`);
    for (const l of explanation.layers) for (const o of l.options) judgements.push({ ...base(l.name, l.op, o), why: `engine ${engine} not available here` });
    return { model: args.model, target: target.id, engine, judgements, ...summarize(judgements), skipped, load: [load0, os.loadavg()[0]] };
  }
  // the whole model first: the verdict rule needs the model's time, and it is acceptance item 1
  const est = estimateModel(cost, target);
  const whole = await timeSteady(view.bytes, view.inputShapes, { budgetMs: 3000 * effort, signal: args.signal });
  const modelSeconds = whole.bestBlockMs / 1e3;
  // a Twinforge target's dense model is ONNX Runtime's (its kernels take only the sparse layers)
  const hosted = engine === 'twinforge' && !!hostOf(target);
  const latency = engine === 'onnxruntime' || hosted ? { estimatedMs: est.seconds * 1e3, measuredMs: whole.bestBlockMs, measuredP10Ms: whole.p10Ms, error: (est.seconds * 1e3 - whole.bestBlockMs) / whole.bestBlockMs } : undefined;
  args.log?.(`model: estimated ${(est.seconds * 1e3).toFixed(4)} ms, measured ${whole.bestBlockMs.toFixed(4)} ms`);
  let layers = explanation.layers;
  if (args.maxLayers) layers = [...layers].sort((a, b) => b.denseMs - a.denseMs).slice(0, args.maxLayers);
  for (const [li, l] of layers.entries()) {
    if (args.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Validation cancelled.');
    const layer = cost.layers.find((x) => x.name === l.name)!;
    const opts = l.options.map((o) => ({ o, opt: { pattern: o.pattern, level: o.level, precision: o.precision } as LayerOption }));
    /** Sets what measurement says of one option: its speedup over the layer's dense time, and the verdict. */
    const judge = (j: Judgement, speedup: number, layerSeconds: number) => {
      j.measuredSpeedup = round3(speedup);
      j.measuredVerdict = verdictOf(speedup, layerSeconds, modelSeconds).verdict;
      j.confirmed = j.measuredVerdict === j.verdict;
      return j;
    };
    /** An option timed with Twinforge's kernels; a failure to run it is recorded as why, cancel passes through. */
    const judgeNative = async (o: ExplainOption, measure: () => Promise<{ speedup: number; layerSeconds: number }>) => {
      const j = base(l.name, l.op, o);
      try {
        const m = await measure();
        return judge(j, m.speedup, m.layerSeconds);
      } catch (e) {
        if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
        j.why = (e as Error).message;
        return j;
      }
    };
    if (engine === 'twinforge' && !hosted) {
      for (const { o, opt } of opts) {
        judgements.push(
          await judgeNative(o, async () => {
            const m = await measureNativeOption(layer, opt, { effort, signal: args.signal });
            return { speedup: m.speedup, layerSeconds: m.denseSeconds };
          }),
        );
      }
      continue;
    }
    const data = layerData(view, cost.layers, layer);
    if (typeof data === 'string') {
      skipped.push(`${l.name}: ${data}`);
      for (const { o } of opts) judgements.push({ ...base(l.name, l.op, o), why: data });
      continue;
    }
    const dense = layerProbe(data);
    if (!dense.ok) {
      skipped.push(`${l.name}: ${dense.why}`);
      for (const { o } of opts) judgements.push({ ...base(l.name, l.op, o), why: dense.why });
      continue;
    }
    // options Twinforge's kernels take are timed natively against ORT's dense layer; the rest in ORT
    const native = opts.map(({ opt }) => hosted && runsOnTwinforge(target, layer, opt));
    const probes = opts.map(({ opt }, i) => (native[i] ? undefined : layerProbe(data, opt)));
    const runnable = probes.flatMap((p, i) => (p?.ok ? [{ p, i }] : []));
    const floor = floorProbe(dense.shapes.x, dense.outDims);
    const models = [{ src: floor, shapes: dense.shapes }, { src: dense.bytes, shapes: dense.shapes }, ...runnable.map((r) => ({ src: r.p.bytes, shapes: r.p.shapes }))];
    let times;
    try {
      times = await timeModels(models, { budgetMs: Math.max(600, 1500 * effort), signal: args.signal });
    } catch (e) {
      if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
      skipped.push(`${l.name}: ${(e as Error).message}`);
      for (const { o } of opts) judgements.push({ ...base(l.name, l.op, o), why: (e as Error).message });
      continue;
    }
    const floorS = times[0].bestBlockMs / 1e3;
    const denseS = Math.max(2e-7, times[1].bestBlockMs / 1e3 - floorS);
    const EPS = 2e-4; // ms: a layer never costs less than 0.2 µs over the floor
    for (const [i, { o, opt }] of opts.entries()) {
      if (native[i]) {
        judgements.push(await judgeNative(o, async () => ({ speedup: denseS / (await measureNativeVariant(layer, opt, { effort, signal: args.signal })), layerSeconds: denseS })));
        continue;
      }
      const j = base(l.name, l.op, o);
      const r = runnable.findIndex((x) => x.i === i);
      const probe = probes[i];
      if (r < 0) {
        j.why = probe && !probe.ok ? probe.why : 'not probed';
        judgements.push(j);
        continue;
      }
      // per-round ratio of layer times (probe - floor), medianed: drift cancels within a round
      const speedup = medianOfRounds([times[0], times[1], times[2 + r]], ([f, d, v]) => Math.max(EPS, d - f) / Math.max(EPS, v - f));
      judgements.push(judge(j, speedup, denseS));
    }
    args.log?.(`layer ${li + 1}/${layers.length} ${l.name}: dense ${(denseS * 1e6).toFixed(1)} µs (estimated ${(l.denseMs * 1e3).toFixed(1)} µs)`);
  }
  for (const j of judgements) if (j.confirmed === null && j.why && !skipped.some((s) => s.startsWith(`${j.layer}:`))) skipped.push(`${j.layer} ${j.label}: ${j.why}`);
  return { model: args.model, target: target.id, engine, judgements, ...summarize(judgements), skipped, ...(latency ? { latency } : {}), load: [load0, os.loadavg()[0]] };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
