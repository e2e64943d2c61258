// A twin against its parent on the same inputs, both through ONNX Runtime: fidelity metrics
// batch by batch, and latency of both measured in the same run (interleaved, no spinning).
import type { Dataset } from '../data/dataset';
import { batchRanges } from '../data/dataset';
import { TwinforgeError } from '../errors';
import { measureLatency } from '../runtime/latency';
import { FidelityAccumulator, type Fidelity } from './metrics';
import { asFloat32, feedsOf, openSession } from './ort';

export interface LatencyReport {
  parent: number;
  twin: number;
  /** parent / twin (> 1: the twin is faster). */
  speedup: number;
  runs: number;
  p10: { parent: number; twin: number };
  p90: { parent: number; twin: number };
}

export interface EvaluationOptions {
  batchSize: number;
  signal?: AbortSignal;
  latency?: { warmup: number; runs: number } | false;
  progress?: (done: number, total: number, detail?: string) => void;
}

export interface Evaluation {
  fidelity: Fidelity;
  latency?: LatencyReport;
  ortMs: number;
}

/** Runs parent and twin over the dataset and compares their outputs; then times both. */
export async function evaluateTwin(parentFile: string, twinFile: string, data: Dataset, opts: EvaluationOptions): Promise<Evaluation> {
  const parent = await openSession(parentFile);
  let twin;
  let ortMs = 0;
  try {
    twin = await openSession(twinFile);
    const acc = new FidelityAccumulator();
    const ranges = [...batchRanges(data, opts.batchSize)];
    let k = 0;
    for (const [start, n] of ranges) {
      if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Cancelled during evaluation.');
      const b = data.batch(start, n);
      const feeds = feedsOf(b.feeds);
      const t0 = performance.now();
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
    let latency: LatencyReport | undefined;
    if (opts.latency) {
      await twin.release();
      twin = undefined;
      await parent.release();
      const first = data.batch(0, 1);
      const t0 = performance.now();
      const [p, t] = await measureLatency([parentFile, twinFile], { feeds: feedsOf(first.feeds), warmup: opts.latency.warmup, runs: opts.latency.runs, signal: opts.signal });
      ortMs += performance.now() - t0;
      if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Cancelled during latency measurement.');
      latency = { parent: p.medianMs, twin: t.medianMs, speedup: p.medianMs / t.medianMs, runs: p.runs, p10: { parent: p.p10Ms, twin: t.p10Ms }, p90: { parent: p.p90Ms, twin: t.p90Ms } };
      return { fidelity, latency, ortMs };
    }
    return { fidelity, ortMs };
  } finally {
    await twin?.release().catch(() => undefined);
    await parent.release().catch(() => undefined);
  }
}
