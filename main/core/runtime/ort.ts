// ONNX Runtime (onnxruntime-node, CPU) as the reference executor: load a model, run it on given or
// generated inputs, return outputs and timings. Errors from ORT become TwinforgeErrors.
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { TwinforgeError } from '../errors';
import { type GenerateOptions, type InputSpec, type ShapeOptions, generateInputs, resolveInputs } from './inputs';
import { defaultThreads } from './threads';

export interface SessionOptions {
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** "0" stops ORT's worker threads from spinning between runs (needed for fair latency numbers). */
  allowSpinning?: boolean;
  /**
   * false: ORT does not prepack weights at load (a second copy of every weight, made before
   * the first run) and maps external data in place: for sessions that run a few times and are
   * never timed. Default true.
   */
  prepack?: boolean;
}

/** Loads a model (path or bytes) into an ORT session; a model ORT refuses is UNSUPPORTED / CORRUPT_MODEL. */
export async function createSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: opts.intraOpNumThreads || defaultThreads(),
  };
  const session: Record<string, unknown> = {};
  if (opts.allowSpinning === false) Object.assign(session, { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } });
  if (opts.prepack === false) session.disable_prepacking = '1';
  if (Object.keys(session).length) options.extra = { session };
  return loadSession(model, options);
}

/**
 * The one place a session is created from full ORT options (timing uses its own thread and
 * spinning settings): a model ORT refuses becomes UNSUPPORTED (an op or type the CPU runtime
 * lacks) or CORRUPT_MODEL, with the first line of ORT's message.
 */
export async function loadSession(model: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    const code = /NOT_IMPLEMENTED|not implemented|Could not find an implementation/i.test(msg) ? 'UNSUPPORTED' : 'CORRUPT_MODEL';
    throw new TwinforgeError(code, `ONNX Runtime cannot load the model: ${msg.split('\n')[0]}`, code === 'UNSUPPORTED' ? 'The model uses an op or type the CPU runtime lacks.' : 'Check the model with `twinforge inspect`; it may be damaged.');
  }
}

export interface OutputValue {
  type: string;
  dims: number[];
  data: ort.Tensor['data'];
}

export interface RunResult {
  inputs: InputSpec[];
  outputs: Record<string, OutputValue>;
  timing: { loadMs: number; firstRunMs: number; runMs: number[]; medianMs: number };
}

export interface RunOptions extends ShapeOptions, GenerateOptions, SessionOptions {
  /** Inputs to use as they are; missing ones are generated. */
  feeds?: Record<string, ort.Tensor>;
  /** Timed runs after the first (0 = only the first run). */
  runs?: number;
}

/** Runs a model once (plus `runs` timed repeats) on given or generated inputs. */
export async function runModel(model: string | Uint8Array, opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  const session = await createSession(model, opts);
  const loadMs = performance.now() - t0;
  try {
    const specs = resolveInputs(session, opts);
    const feeds = { ...generateInputs(specs.filter((s) => !opts.feeds?.[s.name]), opts), ...(opts.feeds ?? {}) };
    const t1 = performance.now();
    const out = await run(session, feeds);
    const firstRunMs = performance.now() - t1;
    const runMs: number[] = [];
    for (let i = 0; i < (opts.runs ?? 0); i++) {
      const t = performance.now();
      await run(session, feeds);
      runMs.push(performance.now() - t);
    }
    const outputs: Record<string, OutputValue> = {};
    for (const [k, v] of Object.entries(out)) outputs[k] = { type: v.type, dims: [...v.dims], data: v.data };
    return { inputs: specs, outputs, timing: { loadMs, firstRunMs, runMs, medianMs: median(runMs.length ? runMs : [firstRunMs]) } };
  } finally {
    await session.release();
  }
}

async function run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feeds);
  } catch (err) {
    throw new TwinforgeError('BAD_INPUT', `ONNX Runtime failed to run the model: ${((err as Error).message ?? String(err)).split('\n')[0]}`, 'Check the input shapes (--input-shape NAME=d1,d2,...).');
  }
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round((p / 100) * (s.length - 1))))];
}
