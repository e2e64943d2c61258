// The job vocabulary shared by the runner, the worker processes, the contract and the UI.
import type { ErrorEnvelope } from '../errors';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A progress snapshot: later ones replace earlier ones, so they may be coalesced. */
export interface JobProgress {
  done: number;
  total: number;
  /** Short name of the current stage, e.g. 'calibrate', 'prune', 'export'. */
  stage: string;
  /** Optional finer position, e.g. the layer being processed. */
  detail?: string;
  /** Optional per-item progress inside the stage (e.g. per layer), for UIs that show it. */
  items?: { name: string; done: number; total: number }[];
}

export interface JobSnapshot {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  progress: JobProgress;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  error?: ErrorEnvelope;
  /** Present once state is 'done'. */
  result?: unknown;
  /** Last few log lines (the whole log is available through jobs.log). */
  logTail: string[];
}

/** What a job function receives: the cancel signal, and channels for progress and log lines. */
export interface JobContext {
  signal: AbortSignal;
  progress(p: JobProgress): void;
  log(line: string): void;
  dataDir: string;
}

/** A job kind's module exports `run` with this shape; it runs inside a worker process. */
export type JobFunction<P = unknown, R = unknown> = (params: P, ctx: JobContext) => Promise<R>;
