// The job vocabulary shared by the runner, the worker processes, the contract and the UI.
// The snapshot types are the contract's own (preload/contract.ts): the UI receives exactly them.
import type { JobProgress } from '../../../preload/contract';

export type { JobProgress, JobSnapshot, JobState } from '../../../preload/contract';

/** What a job function receives: the cancel signal, and channels for progress and log lines. */
export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
  log(line: string): void;
  dataDir: string;
}

/** A job kind's module exports `run` with this shape; it runs inside a worker process. */
export type JobFunction<P = unknown, R = unknown> = (params: P, ctx: JobContext) => Promise<R>;
