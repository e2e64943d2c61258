// The sensitivity job: per-layer fidelity loss of a model against sparsity and precision, in a
// worker process (it runs the pipeline and ONNX Runtime many times), stored in the zoo.
// Takes the contract's sensitivity.start arguments ({model, levels, layers, data, inputShapes})
// as well as the full SensitivityArgs.
import type { JobFunction } from '../jobs/types';
import { hwSensitivity, type SensitivityArgs } from './plan-loop';
import type { SensitivityResult } from './sensitivity';

export type SensitivityJobParams = SensitivityArgs & { data?: string };

export const run: JobFunction<SensitivityJobParams, SensitivityResult> = async ({ data, ...params }, ctx) =>
  hwSensitivity(
    { ...params, ...(data && !params.calibration ? { calibration: data } : {}) },
    {
      dataDir: ctx.dataDir,
      signal: ctx.signal,
      progress: (done, total, detail) => ctx.progress({ done, total, stage: 'sensitivity', detail }),
      log: (line) => ctx.log(line),
    },
  );
