// Latency of several models measured fairly: one process, worker threads that do not spin
// (session.intra_op.allow_spinning = "0"; spinning sessions starve each other on small
// machines), the same inputs for every model, and runs interleaved (A B B A ...), so drift of a
// noisy machine hits all models alike. Compare ratios from one call, never absolute times.
import { performance } from 'node:perf_hooks';
import type * as ort from 'onnxruntime-node';
import { badInput } from '../errors';
import { type GenerateOptions, type ShapeOptions, generateInputs, resolveInputs } from './inputs';
import { createSession, median, percentile } from './ort';

export interface LatencyOptions extends ShapeOptions, GenerateOptions {
  runs?: number;
  warmup?: number;
  intraOpNumThreads?: number;
  feeds?: Record<string, ort.Tensor>;
  signal?: AbortSignal;
}

export interface LatencyResult {
  model: string;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  meanMs: number;
  runs: number;
  /** Median relative to the first model's median (the baseline). */
  ratioToFirst: number;
}

/** Interleaved latency measurement of models that take the same inputs. */
export async function measureLatency(models: Array<string | Uint8Array>, opts: LatencyOptions = {}): Promise<LatencyResult[]> {
  if (models.length === 0) throw badInput('No models to measure.');
  const sessions: ort.InferenceSession[] = [];
  try {
    for (const m of models) sessions.push(await createSession(m, { allowSpinning: false, intraOpNumThreads: opts.intraOpNumThreads }));
    const specs = resolveInputs(sessions[0], opts);
    const feeds = { ...generateInputs(specs.filter((s) => !opts.feeds?.[s.name]), opts), ...(opts.feeds ?? {}) };
    const warmup = opts.warmup ?? 3;
    const runs = opts.runs ?? 20;
    const times: number[][] = sessions.map(() => []);
    for (let w = 0; w < warmup; w++) for (const s of sessions) await s.run(feeds);
    for (let r = 0; r < runs; r++) {
      if (opts.signal?.aborted) break;
      const order = sessions.map((_, i) => i);
      if (r % 2) order.reverse();
      for (const i of order) {
        const t = performance.now();
        await sessions[i].run(feeds);
        times[i].push(performance.now() - t);
      }
    }
    const base = median(times[0]);
    return times.map((t, i) => ({
      model: typeof models[i] === 'string' ? (models[i] as string) : `<bytes #${i}>`,
      medianMs: median(t),
      p10Ms: percentile(t, 10),
      p90Ms: percentile(t, 90),
      meanMs: t.reduce((a, b) => a + b, 0) / Math.max(1, t.length),
      runs: t.length,
      ratioToFirst: median(t) / base,
    }));
  } finally {
    for (const s of sessions) await s.release();
  }
}
