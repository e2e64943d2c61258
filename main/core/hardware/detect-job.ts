// The hw.detect job: measures this machine in a worker process (timing must not share the
// UI's thread) and stores the `this-machine` profile in the zoo.
import type { JobFunction } from '../jobs/types';
import type { DetectMode } from './detect-plan';
import { hwDetect, type DetectSummary } from './profile-store';

export interface DetectJobParams {
  /** full (default) or quick (detect-plan.ts). */
  mode?: DetectMode;
  effort?: number;
  native?: boolean;
  threads?: number;
  models?: { path: string; inputShapes?: Record<string, number[]> }[];
}

export const run: JobFunction<DetectJobParams, DetectSummary> = async (params, ctx) => {
  return hwDetect(
    {
      ...params,
      signal: ctx.signal,
      progress: (done, total, stage, detail) => ctx.progress({ done, total, stage, detail }),
      log: (line) => ctx.log(line),
    },
    { dataDir: ctx.dataDir, signal: ctx.signal },
  );
};
