// One intra-op thread count for every ONNX Runtime session Twinforge opens: timing, calibration,
// evaluation and plan checks must agree, or an estimate made for N threads is checked against a
// twin timed on M. ORT's own default (physical cores as it detects them) read 1 on the 2-vCPU
// reference machine (docs/MEASURED-FACTS.md), where everything else ran on 2.
import os from 'node:os';

/** TWINFORGE_THREADS when set, else every logical core the process may use. */
export function defaultThreads(): number {
  const env = Number(process.env.TWINFORGE_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, os.availableParallelism());
}
