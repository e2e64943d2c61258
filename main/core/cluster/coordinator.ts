// The coordinator side of `twinforge run GRID --zoo NAME --queue URL`: plans the batch exactly as a
// local run does (same tasks, same grid keys, same skip of twins already made), puts one BullMQ job
// per twin on its target's queue (job id = grid key, so adding twice adds once), and registers each
// result in the zoo as it completes — this process stays the only writer of the SQLite zoo. It
// learns of results from BullMQ's event stream and, to survive missed events (its own restart, a
// Redis restart), from a sweep over the jobs it still waits for: a finished job is registered, a
// job Redis lost is added again.
import { createHash } from 'node:crypto';
import os from 'node:os';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { isEnvelope, TwinforgeError, type ErrorEnvelope } from '../errors';
import { registerResult, TWIN_JOB_KIND, type BatchSummary } from '../batch/index';
import { planBatch } from '../batch/plan';
import { markInterruptedRuns } from '../zoo/stale';
import type { TwinTask } from '../batch/queue';
import type { TwinResult } from '../batch/protocol';
import type { JobProgress } from '../jobs/types';
import { now, openZoo } from '../zoo/db';
import { existingGridKeys } from '../zoo/repo/twins';
import { putJob, setJobProgress, setJobState } from '../zoo/repo/jobs';
import { toJson } from '../zoo/repo/json';
import { ModelStore } from '../zoo/store';
import { parseRedisUrl, probeRedis, redact } from './connection';
import { GRIDS_KEY, jobIdOf, PREFIX, queueNameOf, type ClusterJobData, type ClusterJobResult, type StoreFile } from './jobs';
import { verifyStored } from './transfer';
import { estimatesFor, jobDataOf } from './job-data';

/** Tries per job for failures that may pass (a crash, a network error); deterministic ones fail at once. */
export const JOB_ATTEMPTS = 3;
/** Finished jobs stay in Redis this long, so a restarted coordinator can still collect them. */
const KEEP_FINISHED_S = 7 * 24 * 3600;

export type ClusterEvent =
  | { type: 'plan'; zoo: string; runId: number; grid: string; models: number; cells: number; tasks: number; skipped: number; todo: number; queues: string[]; redis: string }
  | { type: 'start'; key: string; model: string; cell: string; worker: string }
  | { type: 'progress'; key: string; model: string; cell: string; worker: string; progress: JobProgress }
  | { type: 'twin'; key: string; model: string; cell: string; worker: string; twinId: number; agreement: number | null; cosine: number | null; sparsity: number | null; done: number; total: number }
  | { type: 'failed'; key: string; model: string; cell: string; worker: string | null; error: ErrorEnvelope; done: number; total: number }
  | { type: 'requeued'; key: string; model: string; cell: string; reason: string }
  | { type: 'end'; summary: ClusterSummary };

export interface ClusterSummary extends BatchSummary {
  grid: string;
  /** Twins per worker that made them. */
  workers: Record<string, number>;
  /** Jobs added again because Redis no longer had them. */
  requeued: number;
}

export interface ClusterRunOptions {
  zoo: string;
  dataDir: string;
  redisUrl: string;
  /** The coordinator's web host as workers reach it (null: workers use a shared store folder). */
  storeUrl: string | null;
  signal?: AbortSignal;
  onEvent?: (e: ClusterEvent) => void;
  /** How often to check every outstanding job (ms). */
  sweepMs?: number;
}

interface Pending {
  task: TwinTask;
  data: ClusterJobData;
  queue: Queue;
  worker: string | null;
}

/** Runs a grid over a zoo on the cluster; resolves with the summary once every twin is made or failed. */
export async function runClusterBatch(recipe: string | Record<string, unknown>, opts: ClusterRunOptions): Promise<ClusterSummary> {
  const t0 = Date.now();
  const conn = parseRedisUrl(opts.redisUrl);
  (await probeRedis(opts.redisUrl)).disconnect(); // unreachable or refused: say so now, do not wait
  const db = openZoo(opts.dataDir);
  const plan = planBatch(db, recipe, opts.zoo);
  const todo = plan.tasks.filter((t) => !plan.done.has(t.key));
  const grid = createHash('sha256').update(`twinforge-grid-v1\0${plan.zoo.name}\0${plan.tasks.map((t) => t.key).sort().join(',')}`).digest('hex').slice(0, 32);
  const store = new ModelStore(db.dataDir);
  const emit = opts.onEvent ?? (() => {});
  const fileCache = new Map<string, StoreFile>();
  const jobs = todo.map((t) => jobDataOf(t, grid, store, fileCache, opts.storeUrl));
  const estimates = await estimatesFor(db.dataDir, jobs);

  markInterruptedRuns(db, { ownRunsStale: true }); // a coordinator killed earlier: its run says so
  const runId = db.tx(() => {
    const id = Number(
      db
        .stmt('INSERT INTO batch_runs (zoo_id, recipe, cells, state, summary, started_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(plan.zoo.id, plan.recipeText, plan.cells.length, 'running', toJson({ pid: process.pid, tasks: plan.tasks.length, skipped: plan.done.size, grid, queue: redact(opts.redisUrl) }), now()).lastInsertRowid,
    );
    for (const t of todo) putJob(db, { id: dbJobId(t), kind: TWIN_JOB_KIND, title: `${t.parentName} ${t.cellId || '(no grid)'}`, params: { runId: id, key: t.key, parentId: t.parentId, cell: t.cellValues, grid } });
    return id;
  });

  const queues = new Map<string, Queue>();
  const events: QueueEvents[] = [];
  const pending = new Map<string, Pending>();
  const summary: ClusterSummary = { zoo: plan.zoo.name, runId, grid, models: new Set(plan.tasks.map((t) => t.parentId)).size, cells: plan.cells.length, tasks: plan.tasks.length, skipped: plan.done.size, made: 0, failed: 0, cancelled: false, failures: [], durationMs: 0, workers: {}, requeued: 0 };
  const label = (t: TwinTask) => t.cellId || '(no grid)';
  const finished = () => summary.made + summary.failed;
  let wake: () => void = () => {};

  const queueFor = (target: string | null): Queue => {
    const name = queueNameOf(target);
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: conn, prefix: PREFIX });
      q.on('error', () => {}); // reconnects by itself; the sweep notices lost work
      queues.set(name, q);
      const ev = new QueueEvents(name, { connection: conn, prefix: PREFIX });
      ev.on('error', () => {});
      ev.on('completed', ({ jobId }) => void settle(jobId));
      ev.on('failed', ({ jobId }) => void settle(jobId));
      ev.on('progress', ({ jobId, data }) => onProgress(jobId, data as unknown));
      events.push(ev);
    }
    return q;
  };
  for (const d of jobs) pending.set(jobIdOf(d.data.key), { task: d.task, data: d.data, queue: queueFor(d.data.target), worker: null });
  emit({ type: 'plan', zoo: plan.zoo.name, runId, grid, models: summary.models, cells: summary.cells, tasks: summary.tasks, skipped: summary.skipped, todo: todo.length, queues: [...queues.keys()], redis: redact(opts.redisUrl) });

  const gridRecord = (state: string) => JSON.stringify({ grid, zoo: plan.zoo.name, runId, total: todo.length, queues: [...queues.keys()], coordinator: `${os.hostname()}:${process.pid}`, state, startedAt: new Date(t0).toISOString() });
  const control = queues.size ? [...queues.values()][0] : undefined;
  const redis = new Redis({ ...conn });
  redis.on('error', () => {}); // reconnects by itself

  function onProgress(jobId: string, raw: unknown): void {
    const p = pending.get(jobId);
    if (!p || !raw || typeof raw !== 'object') return;
    const data = raw as JobProgress & { worker?: string };
    const worker = typeof data.worker === 'string' ? data.worker : 'unknown';
    if (p.worker !== worker) {
      p.worker = worker;
      setJobState(db, dbJobId(p.task), 'running');
      emit({ type: 'start', key: p.task.key, model: p.task.parentName, cell: label(p.task), worker });
    }
    const progress: JobProgress = { done: Number(data.done) || 0, total: Number(data.total) || 1, stage: String(data.stage ?? 'run'), ...(data.detail ? { detail: String(data.detail) } : {}) };
    setJobProgress(db, dbJobId(p.task), { ...progress, worker } as JobProgress);
    emit({ type: 'progress', key: p.task.key, model: p.task.parentName, cell: label(p.task), worker, progress });
  }

  // Settling one job: called by events and the sweep alike; at most once per job (pending guard).
  const settling = new Set<string>();
  const redone = new Set<string>();
  async function settle(jobId: string): Promise<void> {
    const p = pending.get(jobId);
    if (!p || settling.has(jobId)) return;
    settling.add(jobId);
    try {
      // State first, then the job: a job read before it finished would carry no return value.
      const state = await p.queue.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed') return;
      const job = await Job.fromId<ClusterJobData, ClusterJobResult>(p.queue, jobId);
      if (!job) return;
      if (state === 'completed') {
        const r = job.returnvalue as ClusterJobResult | undefined;
        const sha = r?.result?.model?.sha256;
        // Made earlier for another coordinator (same grid key, another store): make it again here, once.
        if (sha && !store.has(sha) && !redone.has(jobId) && !existingGridKeys(db, [p.task.key]).size) {
          redone.add(jobId);
          await job.remove();
          await enqueue(p);
          summary.requeued++;
          emit({ type: 'requeued', key: p.task.key, model: p.task.parentName, cell: label(p.task), reason: 'its twin was uploaded to another coordinator store' });
          return;
        }
        pending.delete(jobId);
        register(p, r);
      } else if (state === 'failed') {
        pending.delete(jobId);
        fail(p, parseReason(job.failedReason), job.processedBy ?? p.worker);
      }
    } catch {
      // Redis unreachable for now: the next sweep tries again
    } finally {
      settling.delete(jobId);
      wake();
    }
  }

  function register(p: Pending, r: ClusterJobResult | undefined): void {
    const worker = r?.worker?.name ?? p.worker ?? 'unknown';
    if (!r?.result?.model?.sha256) return fail(p, { code: 'INTERNAL', message: 'The worker returned no twin.' }, worker);
    if (existingGridKeys(db, [p.task.key]).size) return; // registered already (a second coordinator on this zoo)
    if (!verifyStored(store, r.result.model.sha256)) {
      return fail(p, { code: 'INTERNAL', message: `The twin file ${r.result.model.sha256.slice(0, 12)} is not in the store (or does not match its hash).`, hint: 'The upload from the worker did not arrive; rerun the grid to redo this twin.' }, worker);
    }
    try {
      const twinId = registerResult(db, p.task, withEstimate(r, p, estimates));
      summary.made++;
      summary.workers[worker] = (summary.workers[worker] ?? 0) + 1;
      const ev = r.result.evaluations[0];
      emit({ type: 'twin', key: p.task.key, model: p.task.parentName, cell: label(p.task), worker, twinId, agreement: ev?.agreement ?? null, cosine: ev?.cosine ?? null, sparsity: r.result.twin.sparsity, done: finished(), total: todo.length });
    } catch (e) {
      fail(p, e instanceof TwinforgeError ? e.toJSON() : { code: 'INTERNAL', message: (e as Error).message }, worker);
    }
  }

  function fail(p: Pending, error: ErrorEnvelope, worker: string | null): void {
    summary.failed++;
    summary.failures.push({ key: p.task.key, model: p.task.parentName, cell: label(p.task), error });
    setJobState(db, dbJobId(p.task), error.code === 'CANCELLED' ? 'cancelled' : 'failed', { error });
    emit({ type: 'failed', key: p.task.key, model: p.task.parentName, cell: label(p.task), worker, error, done: finished(), total: todo.length });
  }

  async function enqueue(p: Pending): Promise<void> {
    await p.queue.add('twin', p.data, {
      jobId: jobIdOf(p.data.key),
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: KEEP_FINISHED_S },
      removeOnFail: { age: KEEP_FINISHED_S },
    });
  }

  // One pass over every job still outstanding: collect finished ones, re-add lost ones.
  async function sweep(): Promise<void> {
    const ids = [...pending.keys()];
    for (let i = 0; i < ids.length; i += 200) {
      await Promise.all(
        ids.slice(i, i + 200).map(async (id) => {
          const p = pending.get(id);
          if (!p) return;
          const job = await Job.fromId<ClusterJobData, ClusterJobResult>(p.queue, id);
          if (!job) {
            await enqueue(p);
            summary.requeued++;
            emit({ type: 'requeued', key: p.task.key, model: p.task.parentName, cell: label(p.task), reason: 'Redis no longer had this job (restarted without persistence?)' });
            return;
          }
          const state = await job.getState();
          if (state === 'completed' || state === 'failed') await settle(id);
          else if (state === 'active' && job.progress && typeof job.progress === 'object') onProgress(id, job.progress);
        }),
      );
    }
  }

  let cancelled = false;
  const onAbort = () => {
    cancelled = true;
    wake();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (control) {
      await redis.hset(GRIDS_KEY, grid, gridRecord('running'));
      // A job left failed by an earlier run of this grid is tried again; a completed one is collected.
      for (const [id, p] of pending) {
        const old = await Job.fromId(p.queue, id);
        if (old && (await old.getState()) === 'failed') await old.remove();
      }
      for (const p of pending.values()) await enqueue(p);
      await Promise.all(events.map((e) => e.waitUntilReady()));
      await sweep();
    }
    const sweepMs = opts.sweepMs ?? 2000;
    while (pending.size && !cancelled) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        // Events do the work; the sweep is the safety net, spaced out for big grids (~2 commands per job).
        setTimeout(resolve, Math.max(sweepMs, pending.size * 5)).unref();
      });
      wake = () => {};
      if (!pending.size || cancelled) break;
      try {
        const rec = await redis.hget(GRIDS_KEY, grid);
        if (rec && (JSON.parse(rec) as { state?: string }).state === 'cancelled') cancelled = true;
        else if (!rec) await redis.hset(GRIDS_KEY, grid, gridRecord('running')); // Redis lost it: say again
        if (!cancelled) await sweep();
      } catch {
        // Redis down: keep waiting; ioredis reconnects and the next sweep catches up
      }
    }
    if (cancelled) await cancelGridJobs(grid, [...queues.values()]).catch(() => {});
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    summary.cancelled = cancelled;
    if (cancelled) {
      db.stmt(`UPDATE jobs SET state = 'cancelled', ended_at = ? WHERE kind = ? AND state IN ('queued', 'running') AND json_extract(params, '$.runId') = ?`).run(now(), TWIN_JOB_KIND, runId);
    }
    summary.durationMs = Date.now() - t0;
    const state = cancelled ? 'cancelled' : summary.failed ? 'failed' : pending.size ? 'failed' : 'done';
    db.stmt('UPDATE batch_runs SET state = ?, summary = ?, ended_at = ? WHERE id = ?').run(state, toJson({ pid: process.pid, ...summary, queue: redact(opts.redisUrl), failures: summary.failures.slice(0, 100) }), now(), runId);
    if (control) await redis.hset(GRIDS_KEY, grid, gridRecord(cancelled ? 'cancelled' : state)).catch(() => {});
    redis.disconnect();
    await Promise.all(events.map((e) => e.close().catch(() => {})));
    await Promise.all([...queues.values()].map((q) => q.close().catch(() => {})));
  }
  emit({ type: 'end', summary });
  if (cancelled) throw new TwinforgeError('CANCELLED', `Grid cancelled after ${summary.made} new twin(s); rerun the same command to resume.`, undefined, summary);
  return summary;
}

/** Removes a grid's jobs that no worker has taken yet (the ones in hand finish and are collected by a rerun). */
export async function cancelGridJobs(grid: string, queues: Queue[]): Promise<number> {
  let removed = 0;
  for (const q of queues) {
    for (let start = 0; ; start += 500) {
      const batch = await q.getJobs(['waiting', 'delayed', 'prioritized'], start, start + 499, true);
      if (!batch.length) break;
      for (const j of batch) {
        if ((j?.data as ClusterJobData | undefined)?.grid !== grid) continue;
        await q.remove(j.id!).catch(() => 0);
        removed++;
      }
      if (batch.length < 500) break;
    }
  }
  return removed;
}

function dbJobId(t: TwinTask): string {
  return `twin:${t.key}`;
}

function parseReason(text: string | undefined): ErrorEnvelope {
  try {
    const env = JSON.parse(text ?? '') as unknown;
    if (isEnvelope(env)) return env;
  } catch {
    // a plain message (BullMQ's own, e.g. a stalled job given up on)
  }
  return { code: 'INTERNAL', message: text || 'The job failed without a reason.' };
}

/** For a twin made for a named target: the latency model's estimate, next to the latency measured there. */
function withEstimate(r: ClusterJobResult, p: Pending, estimates: Map<string, { parent: number; twin: number }>): TwinResult {
  const result = r.result;
  const est = estimates.get(p.task.key);
  if (!est || !p.data.target) return result;
  return {
    ...result,
    benchmarks: [...result.benchmarks, { target: p.data.target, runtime: 'estimate', latencyMs: est.twin, estimated: true, host: null }],
    parentBenchmarks: [...(result.parentBenchmarks ?? []), { target: p.data.target, runtime: 'estimate', latencyMs: est.parent, estimated: true, host: null }],
  };
}
