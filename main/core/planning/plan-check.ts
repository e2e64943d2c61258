// Measures a compressed plan's twin the way its target runs it, so `plan --verify` can say whether
// a latency budget is met. ONNX Runtime targets: parent and twin timed in ORT with the target's
// thread count (the quietest of fresh sessions, as hw detect checks models). Twinforge targets:
// the twin is exported as a twin folder and timed end to end through the twin runtime
// (twin-runtime/: ORT segments + Twinforge's sparse kernels), interleaved with the parent in plain
// ORT, same threads, steady protocol. Next to it stays the synthesized estimate (ORT's whole-twin
// time with what the sparse layers take inside it swapped for the native kernel's time at each
// layer's shape), labelled as an estimate, with its error against the measurement.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import { defaultThreads } from '../runtime/threads';
import { exportTwin } from '../twin-runtime/export';
import { timeParentAndTwin } from '../twin-runtime/time';
import { costGraph } from '../hardware/costs';
import { measureNativeVariant } from '../hardware/calibrate-native';
import { readModelView, type ModelView } from '../hardware/onnx-view';
import { parsePattern } from '../hardware/options';
import { medianOfRounds, timeModels, timeSteady } from '../hardware/ort-time';
import type { JointPlan } from './planner';
import { floorProbe, layerProbe } from '../hardware/probes';
import type { Target } from '../hardware/profile';
import { layerData } from '../hardware/validate';
import { cutLayers } from './cut-layers';

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
  /** The twin's latency as the target's runtime runs it (measured unless `measured` is false). */
  twinMs: number;
  /** false only when the twin runtime could not run the twin and twinMs is the synthesized estimate. */
  measured: boolean;
  /** Twinforge targets: the synthesized estimate (ORT twin time with sparse layers swapped for kernel times). */
  estimateMs?: number;
  /** (estimateMs - twinMs) / twinMs when both exist. */
  estimateError?: number;
  /** Twinforge targets: how the twin runtime ran the twin. */
  runtime?: { ortSegments: number; sparseLayers: number; speedup: number };
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
  plan: JointPlan,
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
    measured: true,
    parentMedianMs: parent.medianMs,
    twinMedianMs: twin.medianMs,
    sparseLayers: [],
    notes,
  };
  const sparse = plan.choices.filter((c) => !['dense', 'channels'].includes(parsePattern(c.pattern).family));
  if (target.runtime.engine !== 'twinforge' || sparse.length === 0) return check;

  check.engine = 'onnxruntime+twinforge';
  const synth = await synthesizeTwinforgeMs(twinView, twin.bestBlockMs, sparse, { effort, threads, signal: opts.signal });
  check.sparseLayers = synth.sparseLayers;
  notes.push(...synth.notes);
  const twinMs = synth.estimateMs;
  check.estimateMs = Math.max(twinMs, 0);
  const swapped = check.sparseLayers.filter((l) => l.nativeMs !== undefined).length;
  notes.push(`estimate (synthesized, not run): ${check.estimateMs.toFixed(4)} ms from ${swapped} of ${sparse.length} sparse layer(s): Twinforge's kernels timed alone in place of the ${synth.inTwinOrtMs.toFixed(4)} ms those layers take inside the twin in ONNX Runtime (the twin timed with and without them)`);
  await measureThroughRuntime(check, parentFile, twinFile, parentView.inputShapes, { budgetMs: 2000 * effort, threads, signal: opts.signal });
  return check;
}

/**
 * The synthesized Twinforge-target latency of a twin — an ESTIMATE, never run as such: ORT's
 * whole-twin time, less what the sparse layers take inside it (the twin timed against itself
 * with those layers cut out), plus the native kernel's time at each layer's shape and the
 * sparsity the twin really has. Each layer's one-node ORT probe (timed alone, cache-hot) is
 * still reported beside its kernel time. Kept next to the runtime's measurement to show its error.
 */
export async function synthesizeTwinforgeMs(
  twinView: ModelView,
  twinOrtMs: number,
  sparse: { node: string; pattern: string; level: number; precision: string }[],
  opts: { effort: number; threads: number; signal?: AbortSignal },
): Promise<{ estimateMs: number; inTwinOrtMs: number; sparseLayers: SparseLayerTiming[]; notes: string[] }> {
  const { effort, threads } = opts;
  const notes: string[] = [];
  const sparseLayers: SparseLayerTiming[] = [];
  const cost = costGraph(twinView);
  let twinMs = twinOrtMs;
  for (const c of sparse) {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Plan check cancelled.');
    const layer = cost.layers.find((l) => l.name === c.node);
    const entry: SparseLayerTiming = { node: c.node, pattern: c.pattern, sparsity: 0, ortMs: 0 };
    sparseLayers.push(entry);
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
    } catch (e) {
      if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
      entry.why = `Twinforge's kernels could not run it (${(e as Error).message}): ORT's time kept`;
    }
  }
  // What the swapped layers cost inside the twin: the twin against itself with them cut out,
  // interleaved. A layer timed alone keeps its weight in cache, which a real model's layers do
  // not: the probe read 0.15 ms where the layer took 0.6 ms in its 3-layer 2048-wide MLP.
  const swapped = sparseLayers.filter((e) => e.nativeMs !== undefined);
  let inTwinOrtMs = 0;
  if (swapped.length) {
    const cut = cutLayers(twinView.bytes, swapped.map((e) => e.node));
    const [whole, without] = await timeModels([{ src: twinView.bytes, shapes: twinView.inputShapes }, { src: cut, shapes: twinView.inputShapes }], { budgetMs: 1000 * effort, threads, signal: opts.signal });
    // As a share of the twin's time (round by round), so it scales the figure measured before.
    const rest = Math.min(1, Math.max(0, medianOfRounds([whole, without], ([a, b]) => b / a)));
    inTwinOrtMs = twinOrtMs * (1 - rest);
    twinMs += swapped.reduce((a, e) => a + e.nativeMs!, 0) - inTwinOrtMs;
  }
  return { estimateMs: Math.max(twinMs, 0), inTwinOrtMs, sparseLayers, notes };
}

/**
 * Times the twin as a Twinforge target runs it: exported as a twin folder and run end to end by
 * the twin runtime, interleaved with the parent in plain ORT. When no layer is sparse enough to
 * be worth a kernel, the twin folder is not made and the twin's ORT time stands (that is how the
 * runtime would run it); when the runtime cannot run at all, twinMs falls back to the estimate,
 * marked measured: false.
 */
async function measureThroughRuntime(check: PlanLatencyCheck, parentFile: string, twinFile: string, shapes: Record<string, number[]>, opts: { budgetMs: number; threads: number; signal?: AbortSignal }): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'twinforge-twin-'));
  try {
    try {
      exportTwin(twinFile, dir);
    } catch (e) {
      if (!(e instanceof TwinforgeError) || e.code !== 'BAD_INPUT') throw e;
      check.twinMs = check.twinOrtMs;
      check.notes.push(`no layer is sparse enough for Twinforge's kernels to pay (${e.message}); the twin runs in ONNX Runtime alone: ${check.twinMs.toFixed(4)} ms measured`);
      return;
    }
    const t = await timeParentAndTwin(parentFile, dir, shapes, { budgetMs: opts.budgetMs, threads: opts.threads, signal: opts.signal });
    check.parentMs = t.parent.bestBlockMs;
    check.parentMedianMs = t.parent.medianMs;
    check.twinMs = t.twin.bestBlockMs;
    check.twinMedianMs = t.twin.medianMs;
    check.runtime = { ortSegments: t.ortSegments, sparseLayers: t.sparseLayers, speedup: t.speedup };
    if (check.estimateMs !== undefined) check.estimateError = (check.estimateMs - check.twinMs) / check.twinMs;
    check.notes.push(
      `measured through the twin runtime end to end: ${check.twinMs.toFixed(4)} ms (${t.sparseLayers} sparse layer(s) on Twinforge's kernels, ${t.ortSegments} ONNX Runtime segment(s)), parent ${check.parentMs.toFixed(4)} ms in plain ONNX Runtime, ${t.speedup.toFixed(2)}x` +
        (check.estimateError !== undefined ? `; the estimate was off by ${(check.estimateError * 100).toFixed(1)}%` : ''),
    );
  } catch (e) {
    if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
    check.measured = false;
    check.twinMs = check.estimateMs ?? check.twinOrtMs;
    check.notes.push(`the twin runtime could not run this twin (${(e as Error).message}): the twin's latency above is an ESTIMATE, not a measurement`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
