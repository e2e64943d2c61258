// A twin against its parent on the same inputs, both through ONNX Runtime: fidelity metrics
// batch by batch, and latency of both measured in the same run (interleaved, no spinning).
import type { Dataset } from '../data/dataset';
import { batchRanges } from '../data/dataset';
import { TwinforgeError } from '../errors';
import { median, percentile } from '../runtime/ort';
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
  let ortMs = 0;
  let t0 = performance.now();
  const parent = await openSession(parentFile);
  let twin;
  try {
    twin = await openSession(twinFile);
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
    // Latency in the same run, same sessions (spinning off), same input, interleaved A B B A.
    const feeds = feedsOf(data.batch(0, 1).feeds);
    const sessions = [parent, twin];
    const times: number[][] = [[], []];
    t0 = performance.now();
    for (let w = 0; w < opts.latency.warmup; w++) for (const s of sessions) await s.run(feeds);
    for (let r = 0; r < opts.latency.runs; r++) {
      if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Cancelled during latency measurement.');
      const order = r % 2 ? [1, 0] : [0, 1];
      for (const i of order) {
        const t = performance.now();
        await sessions[i].run(feeds);
        times[i].push(performance.now() - t);
      }
      if (r % 10 === 9) opts.progress?.(r + 1, opts.latency.runs, 'latency');
    }
    ortMs += performance.now() - t0;
    const [p, t] = times;
    const latency: LatencyReport = {
      parent: median(p),
      twin: median(t),
      speedup: median(p) / median(t),
      runs: p.length,
      p10: { parent: percentile(p, 10), twin: percentile(t, 10) },
      p90: { parent: percentile(p, 90), twin: percentile(t, 90) },
    };
    return { fidelity, latency, ortMs };
  } finally {
    await twin?.release().catch(() => undefined);
    await parent.release().catch(() => undefined);
  }
}
