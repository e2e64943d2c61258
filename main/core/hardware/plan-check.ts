// Measures a compressed plan's twin the way its target runs it, so `plan --verify` can say whether
// a latency budget is met. ONNX Runtime targets: parent and twin timed in ORT with the target's
// thread count (the quietest of fresh sessions, as hw detect checks models). Twinforge targets:
// ORT runs the graph and Twinforge's kernels run the sparse layers, so the twin's time is ORT's
// whole-twin time with each sparse layer's ORT time (a one-node probe of the twin's real weights,
// less a do-nothing floor) replaced by the native kernel's time at that layer's shape and the
// sparsity the twin really has.
import { TwinforgeError } from '../errors';
import { defaultThreads } from '../runtime/threads';
import { costGraph } from './costs';
import { measureNativeVariant } from './calibrate-native';
import { readModelView } from './onnx-view';
import { parsePattern } from './options';
import { medianOfRounds, timeModels, timeSteady } from './ort-time';
import type { PlanResult } from './planner';
import { floorProbe, layerProbe } from './probes';
import type { Target } from './profile';
import { layerData } from './validate';

export interface SparseLayerTiming {
  node: string;
  pattern: string;
  /** Sparsity of the twin's weight as exported. */
  sparsity: number;
  /** The layer's time in ORT (dense execution of the zeros) and with Twinforge's kernel, ms. */
  ortMs: number;
  nativeMs?: number;
  /** Why the native kernel did not replace ORT's time for this layer. */
  why?: string;
}

export interface PlanLatencyCheck {
  /** What ran the twin: ORT alone, or ORT with Twinforge's kernels for the sparse layers. */
  engine: 'onnxruntime' | 'onnxruntime+twinforge';
  threads: number;
  parentMs: number;
  /** The twin's latency as the target's runtime runs it. */
  twinMs: number;
  /** The twin in ORT alone. */
  twinOrtMs: number;
  parentMedianMs: number;
  twinMedianMs: number;
  sparseLayers: SparseLayerTiming[];
  notes: string[];
}

/** Threads the target's runtime uses: what the profile was measured with, else its cores, else this machine's. */
export function targetThreads(target: Target): number {
  const hw = target.profile;
  return hw.measured?.threads ?? hw.hardware.cores ?? defaultThreads();
}

export async function measurePlanLatency(
  parentFile: string,
  twinFile: string,
  plan: PlanResult,
  target: Target,
  opts: { inputShapes?: Record<string, number[]>; effort?: number; signal?: AbortSignal } = {},
): Promise<PlanLatencyCheck> {
  const effort = opts.effort ?? 1;
  const threads = targetThreads(target);
  const notes: string[] = [];
  const parentView = await readModelView(parentFile, opts.inputShapes);
  const twinView = await readModelView(twinFile, parentView.inputShapes);
  const timing = { budgetMs: 2000 * effort, threads, signal: opts.signal };
  const parent = await timeSteady(parentView.bytes, parentView.inputShapes, timing);
  const twin = await timeSteady(twinView.bytes, twinView.inputShapes, timing);
  const check: PlanLatencyCheck = {
    engine: 'onnxruntime',
    threads,
    parentMs: parent.bestBlockMs,
    twinMs: twin.bestBlockMs,
    twinOrtMs: twin.bestBlockMs,
    parentMedianMs: parent.medianMs,
    twinMedianMs: twin.medianMs,
    sparseLayers: [],
    notes,
  };
  const sparse = plan.choices.filter((c) => !['dense', 'channels'].includes(parsePattern(c.pattern).family));
  if (target.runtime.engine !== 'twinforge' || sparse.length === 0) return check;

  check.engine = 'onnxruntime+twinforge';
  const cost = costGraph(twinView);
  let twinMs = twin.bestBlockMs;
  for (const c of sparse) {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Plan check cancelled.');
    const layer = cost.layers.find((l) => l.name === c.node);
    const entry: SparseLayerTiming = { node: c.node, pattern: c.pattern, sparsity: 0, ortMs: 0 };
    check.sparseLayers.push(entry);
    if (!layer?.weight) {
      entry.why = 'layer not found in the twin';
      continue;
    }
    entry.sparsity = 1 - layer.weight.nonzeros / layer.weight.params;
    const data = layerData(twinView, cost.layers, layer);
    if (typeof data === 'string') {
      entry.why = data;
      continue;
    }
    const probe = layerProbe(data);
    if (!probe.ok) {
      entry.why = probe.why;
      continue;
    }
    const floor = floorProbe(probe.shapes.x, probe.outDims);
    const [f, d] = await timeModels([{ src: floor, shapes: probe.shapes }, { src: probe.bytes, shapes: probe.shapes }], { budgetMs: 1000 * effort, threads, signal: opts.signal });
    entry.ortMs = Math.max(0, medianOfRounds([f, d], ([a, b]) => b - a));
    try {
      const level = parsePattern(c.pattern).family === 'nm' ? c.level : entry.sparsity;
      entry.nativeMs = (await measureNativeVariant(layer, { pattern: c.pattern, level, precision: 'fp32' }, { effort, signal: opts.signal })) * 1e3;
      if (c.precision !== 'fp32') notes.push(`${c.node}: the native ${c.pattern} kernel runs fp32; the plan's ${c.precision} is not combined with it`);
      twinMs += entry.nativeMs - entry.ortMs;
    } catch (e) {
      if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
      entry.why = `Twinforge's kernels could not run it (${(e as Error).message}): ORT's time kept`;
    }
  }
  check.twinMs = Math.max(twinMs, 0);
  const swapped = check.sparseLayers.filter((l) => l.nativeMs !== undefined).length;
  notes.push(`${swapped} of ${sparse.length} sparse layer(s) timed with Twinforge's kernels, the rest of the graph in ONNX Runtime`);
  return check;
}
