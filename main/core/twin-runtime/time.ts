// Times a twin folder through the runtime end to end next to its parent in plain ONNX Runtime,
// with the steady protocol of hardware/ort-time.ts: same thread count, no spinning, the two run
// interleaved round by round (machine noise hits both), `sessions` passes each with a fresh
// parent session and a freshly loaded twin, and per model the quietest block of rounds kept.
import type * as ort from 'onnxruntime-node';
import { makeFeeds, medianOfRounds, openSession, timeInterleaved, timingSessionOptions, type ModelSource, type TimedModel, type TimingOptions } from '../hardware/ort-time';
import { defaultThreads } from '../runtime/threads';
import { loadTwin } from './twin';

export interface TwinTiming {
  threads: number;
  parent: TimedModel;
  twin: TimedModel;
  /** Median over rounds of parent time / twin time (drift cancels within a round). */
  speedup: number;
  /** Further ONNX models timed in the same rounds (opts.alsoOrt), e.g. the twin in plain ORT. */
  others: TimedModel[];
  /** How the twin ran: ONNX Runtime segments and Twinforge sparse layers. */
  ortSegments: number;
  sparseLayers: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] : NaN;
}

function merge(passes: TimedModel[]): TimedModel {
  const samples = passes.flatMap((p) => p.samples);
  const sorted = [...samples].sort((a, b) => a - b);
  const best = passes.reduce((a, p) => (p.bestBlockMs < a.bestBlockMs ? p : a));
  return { ...best, medianMs: quantile(sorted, 0.5), p10Ms: quantile(sorted, 0.1), p90Ms: quantile(sorted, 0.9), rounds: samples.length, samples };
}

/** Parent (ONNX file or bytes, plain ORT) vs twin folder (loadTwin), same feeds, steady protocol. */
export async function timeParentAndTwin(
  parent: ModelSource,
  twinDir: string,
  shapes: Record<string, number[]>,
  opts: TimingOptions & { sessions?: number; feeds?: Record<string, ort.Tensor>; alsoOrt?: ModelSource[] } = {},
): Promise<TwinTiming> {
  const threads = opts.threads ?? defaultThreads();
  const n = Math.max(1, opts.sessions ?? 3);
  const budget = (opts.budgetMs ?? 1500) / n;
  const pp: TimedModel[] = [];
  const tp: TimedModel[] = [];
  const ratios: number[] = [];
  const op: TimedModel[][] = (opts.alsoOrt ?? []).map(() => []);
  let plan = { ortSegments: 0, sparseLayers: 0 };
  for (let i = 0; i < n; i++) {
    const session = await openSession(parent, timingSessionOptions(threads));
    const twin = await loadTwin(twinDir, { threads });
    const others: ort.InferenceSession[] = [];
    try {
      for (const src of opts.alsoOrt ?? []) others.push(await openSession(src, timingSessionOptions(threads)));
      plan = twin.plan;
      const feeds = opts.feeds ?? makeFeeds(session, shapes);
      // timeInterleaved only calls run(feeds): the twin stands in for a session.
      const asSession = { run: (f: Record<string, ort.Tensor>) => twin.run(f) } as unknown as ort.InferenceSession;
      const [p, t, ...o] = await timeInterleaved([{ session, feeds }, { session: asSession, feeds }, ...others.map((s) => ({ session: s, feeds }))], { ...opts, threads, budgetMs: budget });
      pp.push(p);
      tp.push(t);
      o.forEach((x, j) => op[j].push(x));
      ratios.push(medianOfRounds([p, t], ([a, b]) => a / b));
    } finally {
      await session.release().catch(() => undefined);
      for (const s of others) await s.release().catch(() => undefined);
      await twin.release();
    }
  }
  ratios.sort((a, b) => a - b);
  return { threads, parent: merge(pp), twin: merge(tp), speedup: quantile(ratios, 0.5), others: op.map(merge), ...plan };
}
