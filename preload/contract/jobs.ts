// Long work as jobs: states, progress snapshots, the jobs.* calls.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';
import { Id, JobId, NoArgs, call } from './args';
import type { ErrorEnvelope } from './errors';

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

export const jobsCalls = {
  'jobs.list': call<JobSnapshot[]>()(NoArgs, 'Every job of this session, newest first.'),
  'jobs.get': call<JobSnapshot>()(JobId, 'One job by id.'),
  'jobs.cancel': call<JobSnapshot>()(JobId, 'Cancels a queued or running job.'),
  'jobs.log': call<{ lines: string[]; next: number }>()(
    z.object({ id: Id, since: z.number().int().min(0).optional() }).strict(),
    'A job log from line `since`.',
  ),
  'jobs.selftest': call<JobSnapshot>()(
    z.object({ steps: z.number().int().min(1).max(10_000).optional(), stepMs: z.number().int().min(0).max(10_000).optional() }).strict(),
    'Starts a diagnostic job that checks workers, progress and cancel.',
  ),
} as const;
