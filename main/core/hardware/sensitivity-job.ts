// The sensitivity job: per-layer fidelity loss of a model against sparsity and precision, in a
// worker process (it runs the pipeline and ONNX Runtime many times), stored in the zoo.
import type { JobFunction } from '../jobs/types';
import { hwSensitivity, type SensitivityArgs } from '../api/hardware';
import type { SensitivityResult } from './sensitivity';

export const run: JobFunction<SensitivityArgs, SensitivityResult> = async (params, ctx) =>
  hwSensitivity(params, {
    dataDir: ctx.dataDir,
    signal: ctx.signal,
    progress: (done, total, detail) => ctx.progress({ done, total, stage: 'sensitivity', detail }),
    log: (line) => ctx.log(line),
  });
