// A twin against its parent on the same inputs, both through ONNX Runtime: fidelity metrics
// batch by batch, and latency of both by the steady protocol every Twinforge timing uses
// (fresh sessions, no spinning, warm-up, budget-driven interleaved rounds, quietest block kept),
// so a warm-up artefact can never pass for a speedup. When latency is measured, the two
// sessions that computed fidelity are opened with the timing options and serve as the
// protocol's first pass: a large model is loaded (and its weights prepacked) once less.
import type { Dataset } from '../data/dataset';
import { batchRanges, firstBatch } from '../data/dataset';
import { TwinforgeError } from '../errors';
import { openSession as openTimingSession, timeSteadyMany, timingSessionOptions } from '../hardware/ort-time';
import type { LatencyEstimate } from './latency-estimate';
import type { TwinforgeRuntimeLatency } from '../twin-runtime/format';
import { FidelityAccumulator, type Fidelity } from './metrics';
import { asFloat32, feedsOf, openSession } from './ort';

export interface LatencyReport {
  /** Steady latency (ms): the quietest block's median over fresh sessions. */
  parent: number;
  twin: number;
  /** parent / twin (> 1: the twin is faster). */
  speedup: number;
  runs: number;
  p10: { parent: number; twin: number };
  p90: { parent: number; twin: number };
  /** Median over every timed round (ms), beside the steady figure so the noise stays visible. */
  median?: { parent: number; twin: number };
  /** Samples per timed run (the model's fixed batch, else 1). */
  batch?: number;
  /** Fresh session pairs the rounds ran in (fewer than three when loading the model outlasts the budget). */
  sessions?: number;
  protocol?: 'steady';
  /** The latency model's estimate for this machine at the same shapes, beside the measurement. */
  estimated?: LatencyEstimate;
  /** Set when measurement and estimate disagree by more than 30%. */
  disagreement?: string;
  /** Twinforge targets: the twin folder run end to end by the twin runtime, parent in plain ORT, same run. */
  twinforge?: TwinforgeRuntimeLatency;
}

export interface EvaluationOptions {
  batchSize: number;
  signal?: AbortSignal;
  /** Timing budget: `runs` scales the budget (20 runs ≈ 1.5 s), `warmup` runs per session before timing. */
  latency?: { warmup: number; runs: number } | false;
  progress?: (done: number, total: number, detail?: string) => void;
}

export interface Evaluation {
  fidelity: Fidelity;
  latency?: LatencyReport;
  /** The input shapes latency was timed at. */
  timedShapes?: Record<string, number[]>;
  ortMs: number;
  /** Of ortMs, the latency protocol (its sessions after the first pass included). */
  latencyMs?: number;
}

/** Runs parent and twin over the dataset and compares their outputs; then times both. */
export async function evaluateTwin(parentFile: string, twinFile: string, data: Dataset, opts: EvaluationOptions): Promise<Evaluation> {
  const held: { release(): Promise<void> }[] = [];
  let ev: Evaluation | undefined;
  try {
    ev = await evaluateWith(parentFile, twinFile, data, opts, held);
  } finally {
    // Releasing a session frees what ORT loaded (a large model's prepacked weights): ORT time too.
    const t = performance.now();
    for (const s of held.reverse()) await s.release().catch(() => undefined);
    if (ev) ev.ortMs += performance.now() - t;
  }
  return ev as Evaluation; // set: evaluateWith returned (else it threw)
}

async function evaluateWith(parentFile: string, twinFile: string, data: Dataset, opts: EvaluationOptions, held: { release(): Promise<void> }[]): Promise<Evaluation> {
  let ortMs = 0;
  let t0 = performance.now();
  // Timed later: the timing options (prepacked weights, as deployed). Fidelity only: the cheap load.
  const open = (file: string) => (opts.latency ? openTimingSession(file, timingSessionOptions()) : openSession(file, { prepack: false }));
  const parent = await open(parentFile);
  held.push(parent);
  const twin = await open(twinFile);
  held.push(twin);
  ortMs += performance.now() - t0;
  const acc = new FidelityAccumulator();
  const ranges = [...batchRanges(data, opts.batchSize)];
  let k = 0;
  for (const [start, n] of ranges) {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Cancelled during evaluation.');
    const b = data.batch(start, n);
    const feeds = feedsOf(b.feeds);
    t0 = performance.now();
    const po = await parent.run(feeds);
    const to = await twin.run(feeds);
    ortMs += performance.now() - t0;
    const names = parent.outputNames.filter((o) => po[o] && to[o] && po[o].type !== 'string');
    acc.add(
      names.map((o) => ({ name: o, data: asFloat32(po[o]), dims: po[o].dims })),
      names.map((o) => asFloat32(to[o])),
      data.labels?.subarray(start, start + n),
    );
    opts.progress?.(++k, ranges.length, 'fidelity');
  }
  const fidelity = acc.result();
  if (!opts.latency) return { fidelity, ortMs };
  // Latency: the first batch the model accepts (its fixed batch, else one sample), parent and
  // twin interleaved: first in the sessions above, then in fresh ones per pass.
  const first = firstBatch(data);
  const feeds = feedsOf(first.feeds);
  t0 = performance.now();
  opts.progress?.(0, 1, 'latency');
  const [p, t] = await timeSteadyMany([{ src: parentFile, feeds, session: parent }, { src: twinFile, feeds, session: twin }], {
    warmup: Math.max(opts.latency.warmup, 5),
    budgetMs: Math.max(600, opts.latency.runs * 75),
    signal: opts.signal,
  });
  opts.progress?.(1, 1, 'latency');
  const latencyMs = performance.now() - t0;
  ortMs += latencyMs;
  const latency: LatencyReport = {
    parent: p.bestBlockMs,
    twin: t.bestBlockMs,
    speedup: p.bestBlockMs / t.bestBlockMs,
    runs: Math.min(p.rounds, t.rounds),
    p10: { parent: p.p10Ms, twin: t.p10Ms },
    p90: { parent: p.p90Ms, twin: t.p90Ms },
    median: { parent: p.medianMs, twin: t.medianMs },
    batch: first.count,
    sessions: Math.min(p.sessions ?? 1, t.sessions ?? 1),
    protocol: 'steady',
  };
  const timedShapes = Object.fromEntries(Object.entries(first.feeds).map(([k, v]) => [k, v.dims]));
  return { fidelity, latency, timedShapes, ortMs, latencyMs };
}
