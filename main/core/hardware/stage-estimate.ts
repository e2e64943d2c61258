// hw.estimate with recipe stages: the latency model's estimate for the twin the wizard's current
// settings would make (and for its dense parent), so the Method step can update it live as the
// level slider moves. Each weighted layer gets the option the stages give it — pattern, level and
// precision, honouring include/exclude globs and per-layer overrides — then the target's roofline
// model runs over the plan. No weights are touched: it reads the graph only.
import type { Estimate } from '../../../preload/contract';
import { costGraph, weightedLayers, type LayerCost } from './costs';
import { estimateModel, weightBytesUnder, type Plan } from './latency';
import { readModelView } from './onnx-view';
import { fixedLevel, parsePattern, type LayerOption, type PatternSpec } from './options';
import type { Precision } from './profile';
import { stageSelection } from '../methods/layers';
import { targetFor } from './profile-store';

type StageData = Record<string, unknown>;
interface Override { layers: string | string[]; skip?: boolean; sparsity?: number; pattern?: string }

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);

/** Recipe pattern text ('2:4', 'block:4x4', 'channel', 'unstructured') -> the latency model's. */
const hwPattern = (p: string | undefined): PatternSpec => parsePattern(p ?? 'unstructured');

/** The option a layer gets from the stages; undefined when they leave it dense at base precision. */
function optionFor(layer: LayerCost, stages: StageData[], base: Precision): LayerOption | undefined {
  let pattern = 'dense';
  let level = 0;
  let precision: Precision = base;
  for (const st of stages) {
    const include = list(st.include);
    const sel = stageSelection(layer.weight ? [layer.name, layer.weight.name] : [layer.name], { include: include.length ? include : undefined, exclude: list(st.exclude), overrides: (st.overrides as Override[] | undefined) ?? [] });
    if (!sel.included || sel.excluded) continue;
    const ov = sel.overrides;
    if (ov.some((o) => o.skip)) continue;
    if (st.type === 'prune') {
      const last = ov.at(-1);
      const spec = hwPattern(last?.pattern ?? (st.pattern as string | undefined));
      pattern = spec.text;
      level = fixedLevel(spec) ?? Number(last?.sparsity ?? st.sparsity ?? 0.5);
    } else if (st.type === 'quantize') {
      if (st.method === 'int8' || st.method === 'int4') precision = st.method;
    }
  }
  if (pattern === 'dense' && precision === base) return undefined;
  return { pattern, level, precision };
}

/** Estimated latency and weight bytes of parent and twin on a target. */
export async function estimateStages(dataDir: string, args: { model: string; target: string; stages: StageData[]; inputShapes?: Record<string, number[]> }): Promise<Estimate> {
  const target = targetFor(args.target, dataDir);
  const view = await readModelView(args.model, args.inputShapes);
  const cost = costGraph(view);
  const plan: Plan = new Map();
  for (const layer of weightedLayers(cost)) {
    const o = optionFor(layer, args.stages, target.runtime.basePrecision);
    if (o) plan.set(layer.name, o);
  }
  const parent = estimateModel(cost, target);
  const twin = estimateModel(cost, target, plan);
  let parentBytes = 0;
  let twinBytes = 0;
  let packed = 0;
  for (const layer of cost.layers) {
    const o = plan.get(layer.name);
    parentBytes += weightBytesUnder(layer, target, undefined, false);
    twinBytes += weightBytesUnder(layer, target, o, false);
    packed += weightBytesUnder(layer, target, o, true);
  }
  const byName = new Map(twin.layers.map((l) => [l.name, l]));
  return {
    target: target.id,
    latencyMs: { parent: parent.seconds * 1e3, twin: twin.seconds * 1e3 },
    sizeBytes: { parent: parentBytes, twin: twinBytes, packed },
    layers: parent.layers
      .filter((l) => !l.fused && plan.has(l.name))
      .map((l) => ({ name: l.name, parentMs: l.seconds * 1e3, twinMs: (byName.get(l.name)?.seconds ?? l.seconds) * 1e3, bound: byName.get(l.name)?.bound ?? l.bound })),
  };
}
