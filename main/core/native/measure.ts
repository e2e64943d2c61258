// Measuring kernels for hardware awareness: timed inside C++ (median of repeats after a
// warm-up) on operands it synthesizes from a seed, so any machine can answer "is this pattern
// faster here?" without a model. Products follow ONNX MatMul: Y[m, n] = X[m, k] · W, with the
// sparse W stored [n, k] (outputs x inputs) in CSR, N:M-compressed or BSR form.
import { loadAddon } from './addon';
import { callNative, runNativeJob, type NativeAsyncOptions, type NativeJobHandle } from './jobs';
import { count, fraction, options } from './validate';
import { parseNm } from './nm';
import { requireCuda } from './cuda';
import { badInput } from '../errors';

export { cudaInfo } from './cuda';
export type { CudaInfo, CudaDevice } from './cuda';

/**
 * gemm_packed: the dense weight packed once outside the timing (kernels/pgemm, as a loaded model
 * and ONNX Runtime's pre-packed MatMul weights); sp24 / sp24_f16: 2:4 packed weights (fp32 / fp16
 * values + 2-bit positions, kernels/sp24).
 */
export type MeasureKernel = 'copy' | 'gemm' | 'gemm_packed' | 'gemv' | 'csr' | 'nm' | 'bsr' | 'sp24' | 'sp24_f16' | 'int8' | 'cuda_copy';
export const MEASURE_KERNELS: readonly MeasureKernel[] = ['copy', 'gemm', 'gemm_packed', 'gemv', 'csr', 'nm', 'bsr', 'sp24', 'sp24_f16', 'int8', 'cuda_copy'];

export interface MeasureParams {
  /** Activation rows (batch); gemv is m = 1. Default 1. */
  m?: number;
  /** Outputs. Default 4096. */
  n?: number;
  /** Inputs (reduction). Default 4096. */
  k?: number;
  /** csr/bsr: fraction of weights (blocks) kept, in [0, 1]. Default 0.1 (90% sparse). */
  density?: number;
  /** nm: the pattern, "2:4" (keep 2 of every 4 inputs); k must be a multiple of M. */
  pattern?: string;
  /** bsr: block shape [rows, cols], dividing n and k. Default [4, 4]. */
  block?: [number, number];
  /** copy / cuda_copy: bytes per buffer. Default 64 MiB. */
  bytes?: number;
  repeats?: number;
  warmup?: number;
  /** Also check 64 sampled outputs against a double-precision dot product (maxRelError). */
  verify?: boolean;
  seed?: number;
}

export interface Measurement {
  kernel: MeasureKernel;
  /** Median seconds per call. */
  seconds: number;
  minSeconds: number;
  /** Bytes the call must read and write once (operands + result). */
  bytes: number;
  /** Floating-point (or int8 multiply-add x2) operations; 0 for copies. */
  flops: number;
  repeats: number;
  /** The CPU ISA the kernel ran with, or 'cuda'. */
  isa: string;
  maxRelError?: number;
  GBps: number;
  gflops?: number;
}

interface MeasureAddon {
  measure(kernel: string, params: object): Omit<Measurement, 'kernel' | 'GBps' | 'gflops'>;
  measureAsync(kernel: string, params: object, onProgress?: unknown): NativeJobHandle<Omit<Measurement, 'kernel' | 'GBps' | 'gflops'>>;
}
const addon = () => loadAddon() as unknown as MeasureAddon;

function nativeParams(kernel: unknown, params: unknown): { kernel: MeasureKernel; p: Record<string, unknown> } {
  if (!MEASURE_KERNELS.includes(kernel as MeasureKernel)) {
    throw badInput(`kernel must be one of ${MEASURE_KERNELS.join(', ')}, got ${JSON.stringify(kernel)}`, undefined, { argument: 'kernel' });
  }
  const k = kernel as MeasureKernel;
  const o = options(params, 'params');
  const p: Record<string, unknown> = {};
  const dim = (key: 'm' | 'n' | 'k', max: number) => {
    if (o[key] !== undefined) p[key] = count(o[key], key, { min: 1, max });
  };
  dim('m', 1 << 16);
  dim('n', 1 << 20);
  dim('k', 1 << 20);
  if (o.density !== undefined) p.density = fraction(o.density, 'density', 0, 1, true);
  if (o.pattern !== undefined) {
    const { n, m } = parseNm(String(o.pattern));
    p.nmN = n;
    p.nmM = m;
    if ((o.k === undefined ? 4096 : (o.k as number)) % m !== 0) throw badInput(`k must be a multiple of the pattern's M (${m})`, undefined, { argument: 'k' });
  } else if (k === 'nm') {
    throw badInput('nm needs a pattern such as "2:4"', undefined, { argument: 'pattern' });
  }
  if ((k === 'sp24' || k === 'sp24_f16') && ((o.k as number | undefined) ?? 4096) % 4 !== 0) {
    throw badInput('sp24 needs k to be a multiple of 4 (groups of 4 inputs)', undefined, { argument: 'k' });
  }
  if (o.block !== undefined) {
    if (!Array.isArray(o.block) || o.block.length !== 2) throw badInput('block must be [rows, cols]', undefined, { argument: 'block' });
    p.blockRows = count(o.block[0], 'block', { min: 1, max: 1024 });
    p.blockCols = count(o.block[1], 'block', { min: 1, max: 1024 });
    const n = (o.n as number | undefined) ?? 4096;
    const kk = (o.k as number | undefined) ?? 4096;
    if (n % (p.blockRows as number) !== 0 || kk % (p.blockCols as number) !== 0) throw badInput('block must divide n and k', undefined, { argument: 'block' });
  }
  if (o.bytes !== undefined) p.bytes = count(o.bytes, 'bytes', { min: 16, max: 2 ** 34 });
  if (o.repeats !== undefined) p.repeats = count(o.repeats, 'repeats', { min: 1, max: 100000 });
  if (o.warmup !== undefined) p.warmup = count(o.warmup, 'warmup', { min: 0, max: 1000 });
  if (o.seed !== undefined) p.seed = count(o.seed, 'seed', { min: 0 });
  if (o.verify !== undefined) {
    if (typeof o.verify !== 'boolean') throw badInput('verify must be a boolean', undefined, { argument: 'verify' });
    p.verify = o.verify;
  }
  if (k === 'cuda_copy') requireCuda();
  return { kernel: k, p };
}

function finish(kernel: MeasureKernel, r: Omit<Measurement, 'kernel' | 'GBps' | 'gflops'>): Measurement {
  const out: Measurement = { kernel, ...r, GBps: r.seconds > 0 ? r.bytes / r.seconds / 1e9 : 0 };
  if (r.flops > 0 && r.seconds > 0) out.gflops = r.flops / r.seconds / 1e9;
  return out;
}

/** Runs one measuring kernel synchronously (blocks the calling thread for repeats x its time). */
export function measure(kernel: MeasureKernel, params: MeasureParams = {}): Measurement {
  const a = nativeParams(kernel, params);
  return finish(a.kernel, callNative(() => addon().measure(a.kernel, a.p)));
}

/** measure off the JS thread, with progress (one snapshot per repeat) and AbortSignal. */
export async function measureAsync(kernel: MeasureKernel, params: MeasureParams = {}, asyncOpts: NativeAsyncOptions = {}): Promise<Measurement> {
  const a = nativeParams(kernel, params);
  return finish(a.kernel, await runNativeJob((p) => addon().measureAsync(a.kernel, a.p, p), asyncOpts));
}

/** The in-process copy bandwidth in GB/s (bytes read + written), the yardstick of every ratio. */
export function copyBandwidth(bytes = 64 << 20, repeats = 10): number {
  return measure('copy', { bytes, repeats }).GBps;
}
