// Persisted jobs (state, progress, log, error): the batch records each grid cell here, and the
// job runner may persist its jobs here too so they outlive the process.
import type { ErrorEnvelope } from '../../errors';
import { now, type ZooDb } from '../db';
import type { JobProgress, JobState } from '../../jobs/types';
import { parseJson, toJson } from './json';

const LOG_MAX_CHARS = 200_000;

export interface PersistedJob {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  progress: JobProgress | Record<string, never>;
  params: unknown;
  result: unknown;
  error: ErrorEnvelope | null;
  log: string;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

interface JobRow {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  progress: string;
  params: string;
  result: string | null;
  error: string | null;
  log: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
}

function toJob(r: JobRow): PersistedJob {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    state: r.state,
    progress: parseJson(r.progress, {}),
    params: parseJson(r.params, null),
    result: parseJson(r.result, null),
    error: parseJson(r.error, null),
    log: r.log,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}

/** Creates a job row, or resets an existing one (same id) to queued. */
export function putJob(db: ZooDb, j: { id: string; kind: string; title?: string; params?: unknown }): void {
  db.stmt(
    `INSERT INTO jobs (id, kind, title, state, params, created_at) VALUES (?, ?, ?, 'queued', ?, ?)
     ON CONFLICT(id) DO UPDATE SET state = 'queued', params = excluded.params, title = excluded.title,
       progress = '{}', result = NULL, error = NULL, started_at = NULL, ended_at = NULL`,
  ).run(j.id, j.kind, j.title ?? j.kind, toJson(j.params ?? null), now());
}

/** Moves a job to a new state; 'running' stamps the start, final states stamp the end. */
export function setJobState(db: ZooDb, id: string, state: JobState, extra: { result?: unknown; error?: ErrorEnvelope | null } = {}): void {
  const t = now();
  db.stmt(
    `UPDATE jobs SET state = ?,
       started_at = CASE WHEN ? = 'running' THEN ? ELSE started_at END,
       ended_at = CASE WHEN ? IN ('done', 'failed', 'cancelled') THEN ? ELSE NULL END,
       result = coalesce(?, result), error = ?
     WHERE id = ?`,
  ).run(state, state, t, state, t, extra.result === undefined ? null : toJson(extra.result), extra.error ? toJson(extra.error) : null, id);
}

export function setJobProgress(db: ZooDb, id: string, progress: JobProgress): void {
  db.stmt('UPDATE jobs SET progress = ? WHERE id = ?').run(toJson(progress), id);
}

/** Appends log lines, keeping the newest part when the log grows past its cap. */
export function appendJobLog(db: ZooDb, id: string, lines: string[]): void {
  if (!lines.length) return;
  db.stmt(`UPDATE jobs SET log = substr(log || ?, -${LOG_MAX_CHARS}) WHERE id = ?`).run(lines.map((l) => l + '\n').join(''), id);
}

export function getJob(db: ZooDb, id: string): PersistedJob | undefined {
  const r = db.stmt<JobRow>('SELECT * FROM jobs WHERE id = ?').get(id);
  return r ? toJob(r) : undefined;
}

export function listJobs(db: ZooDb, filter: { kind?: string; state?: JobState } = {}): PersistedJob[] {
  return db
    .stmt<JobRow>('SELECT * FROM jobs WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR state = ?) ORDER BY created_at, id')
    .all(filter.kind ?? null, filter.kind ?? null, filter.state ?? null, filter.state ?? null)
    .map(toJob);
}
