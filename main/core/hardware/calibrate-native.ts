// Measures Twinforge's own CPU kernels (copy bandwidth, dense / CSR / N:M / block-sparse / int8
// GEMV and GEMM) into a `twinforge-cpu` runtime for the this-machine profile.
import { TwinforgeError } from '../errors';
import type { LayerCost } from './costs';
import type { LayerOption } from './options';

export interface NativeCalibration {
  /** Copy bandwidth of a buffer far larger than the caches, bytes/s. */
  dramBandwidth?: number;
  /** Best dense fp32 GEMM rate, FLOP/s, and int8 GEMM rate, OP/s. */
  gemmFlops?: number;
  int8Ops?: number;
  /** The runtime entry (profile document form) built from the measurements. */
  runtime: Record<string, unknown>;
  log: string[];
}

export interface NativeOptions {
  effort?: number;
  threads?: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number, stage: string) => void;
}

/** Not wired yet: the measuring kernels' facade (main/core/native/measure.ts) has not landed. */
export async function measureNativeRuntime(_opts: NativeOptions = {}): Promise<NativeCalibration | undefined> {
  throw new TwinforgeError('NOT_IMPLEMENTED', 'the native measuring kernels are not available yet');
}

/** Times one layer's GEMM view dense and under an option with the native kernels. */
export async function measureNativeOption(_layer: LayerCost, _option: LayerOption, _opts: { effort?: number; signal?: AbortSignal } = {}): Promise<{ speedup: number; denseSeconds: number }> {
  throw new TwinforgeError('NOT_IMPLEMENTED', 'the native measuring kernels are not available yet');
}
