// Timing models in ONNX Runtime the way docs/MEASURED-FACTS.md says gives honest numbers: every core as
// intra-op threads (runtime/threads.ts; 2 on the CPU reference machines), no spinning (a spinning pool
// steals the cores of the session being timed), sessions run interleaved round by round so
// machine noise hits baseline and candidate alike.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { TwinforgeError } from '../errors';
import { generateInputs, resolveInputs } from '../runtime/inputs';
import { defaultThreads } from '../runtime/threads';
import { loadSession } from '../runtime/ort';

export type ModelSource = string | Uint8Array;

export interface TimingOptions {
  threads?: number;
  /** Untimed runs per session before timing. */
  warmup?: number;
  /** Most timed rounds (each round runs every session `inner` times); the budget usually ends timing first. */
  rounds?: number;
  /** Fewest rounds, budget or not (default 15: three blocks of five). */
  minRounds?: number;
  /** Runs per session per round; the round's time is their mean (averages the timer's granularity). */
  inner?: number;
  /** Stop once this many milliseconds of timing have passed (after minRounds; default 1500). */
  budgetMs?: number;
  signal?: AbortSignal;
}

export interface TimedModel {
  /** Median over rounds of the per-run time, milliseconds. */
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  rounds: number;
  /** Per-round times (ms), in round order: rounds line up across the models of one call. */
  samples: number[];
  /**
   * The lowest of the medians of three consecutive blocks of rounds (ms): interference on a
   * shared machine only ever adds time, so this is the steadiest figure of what the model costs.
   */
  bestBlockMs: number;
  /** Fresh sessions the model was timed in (timeSteadyMany). */
  sessions?: number;
}

/**
 * Median over rounds of a per-round quantity of several interleaved models, e.g. the ratio of a
 * variant's layer time to the dense one: drift of a busy machine cancels within a round.
 */
export function medianOfRounds(timed: TimedModel[], f: (round: number[]) => number): number {
  const n = Math.min(...timed.map((t) => t.samples.length));
  const vals: number[] = [];
  for (let r = 0; r < n; r++) {
    const v = f(timed.map((t) => t.samples[r]));
    if (Number.isFinite(v)) vals.push(v);
  }
  vals.sort((a, b) => a - b);
  return vals.length ? vals[Math.floor(vals.length / 2)] : NaN;
}

/** Session options every Twinforge latency measurement uses. */
export function timingSessionOptions(threads = defaultThreads(), extra: ort.InferenceSession.SessionOptions = {}): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    extra: { session: { 'intra_op.allow_spinning': '0', 'inter_op.allow_spinning': '0' } },
    ...extra,
  };
}

/** A timing session: the runtime's one session loader with the timing options. */
export function openSession(src: ModelSource, opts: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return loadSession(src, opts);
}

/** Seeded feeds of the given shapes (any input dtype) for every input of the session. */
export function makeFeeds(session: ort.InferenceSession, shapes: Record<string, number[]>): Record<string, ort.Tensor> {
  for (const name of session.inputNames) {
    if (!shapes[name]) throw new TwinforgeError('BAD_INPUT', `No shape known for model input '${name}'.`, `Give it with --input-shape ${name}=1,3,224,224.`);
  }
  return generateInputs(resolveInputs(session, { inputShapes: shapes }), { seed: 7 });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i];
}

/**
 * Times several models interleaved: every round runs each session `inner` times, in rotating
 * order. Returns one summary per model, in the order given.
 */
export async function timeInterleaved(models: { session: ort.InferenceSession; feeds: Record<string, ort.Tensor> }[], opts: TimingOptions = {}): Promise<TimedModel[]> {
  const warmup = opts.warmup ?? 5;
  // Rounds are cheap (a sub-0.05 ms model's round lasts ~0.5 ms) and few of them are noisy: on a
  // shared 2-core machine a dozen rounds can land in one busy stretch, so the budget, not a small
  // round count, decides how long a model is timed.
  const rounds = opts.rounds ?? 400;
  const minRounds = Math.min(rounds, opts.minRounds ?? 15);
  const budget = opts.budgetMs ?? 1500;
  for (const m of models) for (let i = 0; i < warmup; i++) await m.session.run(m.feeds);
  // pick `inner` so that one timed chunk lasts >= ~0.5 ms: sub-0.05 ms models need many runs per sample
  let inner = opts.inner ?? 0;
  if (!inner) {
    const t0 = process.hrtime.bigint();
    for (const m of models) await m.session.run(m.feeds);
    const per = Number(process.hrtime.bigint() - t0) / 1e6 / models.length;
    inner = Math.max(1, Math.min(200, Math.ceil(0.5 / Math.max(per, 1e-4))));
  }
  const samples: number[][] = models.map(() => []);
  const start = Date.now();
  for (let r = 0; r < rounds; r++) {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Timing cancelled.');
    for (let j = 0; j < models.length; j++) {
      const idx = (j + r) % models.length;
      const m = models[idx];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < inner; i++) await m.session.run(m.feeds);
      samples[idx].push(Number(process.hrtime.bigint() - t0) / 1e6 / inner);
    }
    if (r + 1 >= minRounds && Date.now() - start > budget) break;
  }
  return samples.map((s) => {
    const sorted = [...s].sort((a, b) => a - b);
    const third = Math.max(1, Math.floor(s.length / 3));
    const blocks = [s.slice(0, third), s.slice(third, 2 * third), s.slice(2 * third)].filter((b) => b.length);
    const bestBlockMs = Math.min(...blocks.map((b) => quantile([...b].sort((x, y) => x - y), 0.5)));
    return { medianMs: quantile(sorted, 0.5), p10Ms: quantile(sorted, 0.1), p90Ms: quantile(sorted, 0.9), rounds: s.length, samples: s, bestBlockMs };
  });
}

/** A model to time: its bytes or path, and either the shapes of seeded feeds or the feeds themselves. */
export interface TimedSource {
  src: ModelSource;
  shapes?: Record<string, number[]>;
  feeds?: Record<string, ort.Tensor>;
  /**
   * A session of `src` the caller opened with timingSessionOptions and has not timed yet (e.g.
   * the evaluation's, which computed fidelity): used as it is instead of opening one, for the
   * first pass of timeSteadyMany; the caller keeps it and releases it.
   */
  session?: ort.InferenceSession;
}

/** Opens each model (or takes the caller's session), times them interleaved, releases the sessions it opened. */
export async function timeModels(srcs: TimedSource[], opts: TimingOptions = {}): Promise<TimedModel[]> {
  const sessions: ort.InferenceSession[] = [];
  try {
    const models = [];
    for (const s of srcs) {
      let session = s.session;
      if (!session) {
        session = await openSession(s.src, timingSessionOptions(opts.threads ?? defaultThreads()));
        sessions.push(session);
      }
      models.push({ session, feeds: s.feeds ?? makeFeeds(session, s.shapes ?? {}) });
    }
    return await timeInterleaved(models, opts);
  } finally {
    for (const s of sessions) await s.release().catch(() => undefined);
  }
}

/**
 * One model's steady latency: timed in `sessions` fresh sessions one after another, the lowest
 * best-block median kept. On a shared machine whole stretches of seconds run 1.5-2x slow (other
 * tenants, not the model); a single session can sit in one. The median of every round of every
 * session is kept next to it (medianMs), so the noise stays visible.
 */
export async function timeSteady(src: ModelSource, shapes: Record<string, number[]>, opts: TimingOptions & { sessions?: number } = {}): Promise<TimedModel> {
  return (await timeSteadyMany([{ src, shapes }], opts))[0];
}

/**
 * The steady protocol for several models compared with each other (a parent and its twin): each
 * of up to `sessions` passes opens fresh sessions of all of them (the first pass may take the
 * caller's untimed ones, TimedSource.session) and times them interleaved, so a busy stretch of
 * the machine hits every model alike; per model the quietest block is kept. The budget bounds
 * the whole protocol, opening sessions included: a later pass starts only while the time spent
 * is under it. Small models get every pass; a model whose sessions take a second to open and
 * whose rounds outlast the budget is timed in fewer fresh sessions, and `sessions` says how many.
 */
export async function timeSteadyMany(srcs: TimedSource[], opts: TimingOptions & { sessions?: number } = {}): Promise<TimedModel[]> {
  const n = Math.max(1, opts.sessions ?? 3);
  const total = opts.budgetMs ?? 1500;
  const budget = total / n;
  const passes: TimedModel[][] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    if (i > 0 && performance.now() - start >= total) break;
    const fresh = i === 0 ? srcs : srcs.map((s) => ({ src: s.src, shapes: s.shapes, feeds: s.feeds }));
    passes.push(await timeModels(fresh, { ...opts, budgetMs: budget }));
  }
  return srcs.map((_, k) => {
    const runs = passes.map((p) => p[k]);
    const all = runs.flatMap((r) => r.samples).sort((a, b) => a - b);
    const best = runs.reduce((a, r) => (r.bestBlockMs < a.bestBlockMs ? r : a));
    return { ...best, medianMs: quantile(all, 0.5), p10Ms: quantile(all, 0.1), p90Ms: quantile(all, 0.9), rounds: all.length, samples: runs.flatMap((r) => r.samples), sessions: passes.length };
  });
}

export interface NodeTiming {
  /** ORT's node name after graph optimisation (fused nodes carry the fused name). */
  name: string;
  op: string;
  /** Median kernel time over the profiled runs, milliseconds. */
  ms: number;
}

/**
 * Per-node kernel times from ORT's profiler (after its graph optimisations): what "per layer
 * where possible" means for a real model. Profiling adds its own cost, so use the shares, not
 * the sums, next to a plain timing.
 */
export async function profileNodes(src: ModelSource, shapes: Record<string, number[]>, runs = 20, threads = defaultThreads()): Promise<NodeTiming[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'twinforge-prof-'));
  let session: ort.InferenceSession | undefined;
  try {
    session = await openSession(src, timingSessionOptions(threads, { enableProfiling: true, profileFilePrefix: path.join(dir, 'p') }));
    const feeds = makeFeeds(session, shapes);
    for (let i = 0; i < 3; i++) await session.run(feeds);
    for (let i = 0; i < runs; i++) await session.run(feeds);
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) return [];
    const events = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
    const per = new Map<string, { op: string; durs: number[] }>();
    for (const e of events) {
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const name = e.name.slice(0, -'_kernel_time'.length);
      const rec = per.get(name) ?? { op: e.args?.op_name ?? '', durs: [] };
      rec.durs.push(e.dur / 1000);
      per.set(name, rec);
    }
    return [...per.entries()].map(([name, r]) => {
      const sorted = r.durs.slice(-runs).sort((a, b) => a - b);
      return { name, op: r.op, ms: quantile(sorted, 0.5) };
    });
  } finally {
    await session?.release().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The optimised graph's node count and op types as ORT will execute them (fusions applied). */
export async function optimizedOps(src: ModelSource, threads = defaultThreads()): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'twinforge-opt-'));
  const file = path.join(dir, 'opt.onnx');
  let session: ort.InferenceSession | undefined;
  try {
    session = await openSession(src, timingSessionOptions(threads, { optimizedModelFilePath: file }));
    const { fromBinary } = await import('@bufbuild/protobuf');
    const { ModelProtoSchema } = await import('onnx-buf');
    const m = fromBinary(ModelProtoSchema, readFileSync(file));
    return (m.graph?.node ?? []).map((n) => n.opType);
  } finally {
    await session?.release().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
