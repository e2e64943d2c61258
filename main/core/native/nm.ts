// N:M masks along the input dimension: keep the N largest of every M (ties keep the lower index).
import { loadAddon } from './addon';
import { callNative, PinnedBuffers, runPinnedJob, type NativeAsyncOptions, type NativeJobHandle } from './jobs';
import { axis01, count, f32, length, options, u8, shape } from './validate';
import { badInput } from '../errors';

export interface NmOptions {
  rows: number;
  cols: number;
  n: number;
  m: number;
  /** Axis the groups run along (the input dimension): 1 = within a row ([out, in], PyTorch Linear / Gemm transB), 0 = down a column ([in, out], ONNX MatMul B). Default 1. */
  axis?: 0 | 1;
  /** Rank by |score| (default true) or by signed score. */
  magnitude?: boolean;
  /** Reuse this mask buffer (length rows*cols). */
  out?: Uint8Array;
}

interface NmAddon {
  nmMask(s: Float32Array, rows: number, cols: number, n: number, m: number, axis: number, magnitude: boolean, mask: Uint8Array): void;
  nmMaskAsync(s: Float32Array, rows: number, cols: number, n: number, m: number, axis: number, magnitude: boolean, mask: Uint8Array, onProgress?: unknown): NativeJobHandle<void>;
}
const addon = () => loadAddon() as unknown as NmAddon;

interface NmArgs {
  rows: number;
  cols: number;
  n: number;
  m: number;
  axis: 0 | 1;
  magnitude: boolean;
  mask: Uint8Array;
}

function parse(scores: unknown, opts: unknown): NmArgs {
  const s = f32(scores, 'scores');
  const o = options(opts, 'opts');
  const { rows, cols } = shape(s, o.rows, o.cols, 'scores');
  const m = count(o.m, 'm', { min: 2, max: 16 });
  const n = count(o.n, 'n', { min: 1 });
  if (n >= m) throw badInput(`n must be smaller than m (N:M with N < M <= 16), got ${n}:${m}`, 'Use e.g. n=2, m=4 for 2:4.', { argument: 'n' });
  const axis = o.axis === undefined ? 1 : axis01(o.axis);
  if (o.magnitude !== undefined && typeof o.magnitude !== 'boolean') throw badInput('magnitude must be a boolean', undefined, { argument: 'magnitude' });
  const mask = o.out === undefined ? new Uint8Array(s.length) : u8(o.out, 'out');
  length(mask, s.length, 'out');
  return { rows, cols, n, m, axis, magnitude: o.magnitude !== false, mask };
}

/** N:M keep-mask (1 keep) of scores [rows, cols]; a tail group of t < M keeps ceil(N*t/M). NaN scores are BAD_INPUT. */
export function nmMask(scores: Float32Array, opts: NmOptions): Uint8Array {
  const a = parse(scores, opts);
  callNative(() => addon().nmMask(scores, a.rows, a.cols, a.n, a.m, a.axis, a.magnitude, a.mask));
  return a.mask;
}

/** nmMask off the JS thread, with progress and AbortSignal. */
export async function nmMaskAsync(scores: Float32Array, opts: NmOptions, asyncOpts: NativeAsyncOptions = {}): Promise<Uint8Array> {
  const a = parse(scores, opts);
  const pin = new PinnedBuffers(); // the caller may detach its arrays while the job runs
  const s = pin.own(scores);
  const mask = pin.out(a.mask);
  await runPinnedJob(pin, (onProgress) => addon().nmMaskAsync(s, a.rows, a.cols, a.n, a.m, a.axis, a.magnitude, mask, onProgress), asyncOpts);
  return a.mask;
}

/** Parses "2:4" into {n, m} (N < M <= 16). */
export function parseNm(text: string): { n: number; m: number } {
  const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(String(text));
  if (!match) throw badInput(`N:M pattern must look like "2:4", got ${JSON.stringify(text)}`, undefined, { argument: 'pattern' });
  const n = Number(match[1]);
  const m = Number(match[2]);
  if (!(n >= 1 && n < m && m <= 16)) throw badInput(`N:M needs 1 <= N < M <= 16, got ${n}:${m}`, undefined, { argument: 'pattern' });
  return { n, m };
}
