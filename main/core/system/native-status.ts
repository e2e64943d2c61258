// Whether the native addon loaded, which ISA it dispatches to, and whether CUDA is usable.
// Failures are reported as data: `info` must work on a machine that never built the addon.
import { nativeInfo } from '../native/addon';

export interface NativeStatus {
  loaded: boolean;
  isa: string;
  available: string[];
  threads: number;
  cuda: { built: boolean; devices: number; error?: string };
  error?: string;
}

let cached: NativeStatus | undefined;

/** The addon's state, computed once per process. */
export function nativeStatus(): NativeStatus {
  if (cached) return cached;
  try {
    const info = nativeInfo();
    cached = { loaded: true, isa: info.isa, available: info.available, threads: info.threads, cuda: info.cuda };
  } catch (err) {
    cached = { loaded: false, isa: 'none', available: [], threads: 0, cuda: { built: false, devices: 0 }, error: err instanceof Error ? err.message : String(err) };
  }
  return cached;
}
