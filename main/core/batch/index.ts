// Batch compression over a zoo: `twinforge run RECIPE --zoo NAME`. Every model of the zoo × every
// grid cell is one task with a deterministic key; tasks whose twin exists are skipped (a rerun
// resumes). Workers write each twin's file into the store; this process alone writes the rows,
// each twin in one transaction after its file is in place — so a kill at any moment leaves a
// consistent database with no twin row lacking its file.
import os from 'node:os';
import path from 'node:path';
import { engineModule } from '../jobs/worker-launch';
import { TwinforgeError, type ErrorEnvelope } from '../errors';
import type { JobProgress } from '../jobs/types';
import { now, openZoo, type ZooDb } from '../zoo/db';
import { addBenchmark } from '../zoo/repo/benchmarks';
import { putEvaluation } from '../zoo/repo/evaluations';
import { putJob, setJobState, appendJobLog } from '../zoo/repo/jobs';
import { toJson } from '../zoo/repo/json';
import { registerTwin } from '../zoo/repo/twins';
import { cellFacets, planBatch } from './plan';
import { runPool } from './pool';
import { markInterruptedRuns } from '../zoo/stale';
import type { TwinResult } from './protocol';
import { LocalQueue, type JobQueue, type TwinTask } from './queue';

/** The job module that makes a real twin (compression pipeline + evaluation + statistics). */
export const DEFAULT_JOB_MODULE = engineModule('core/batch/twin-job');
export const TWIN_JOB_KIND = 'zoo.twin';

export type BatchEvent =
  | { type: 'plan'; zoo: string; runId: number; models: number; cells: number; tasks: number; skipped: number; todo: number; concurrency: number }
  | { type: 'start'; key: string; model: string; cell: string }
  | { type: 'progress'; key: string; model: string; cell: string; progress: JobProgress }
  | { type: 'log'; key: string; line: string }
  | { type: 'twin'; key: string; model: string; cell: string; twinId: number; agreement: number | null; cosine: number | null; sparsity: number | null; done: number; total: number }
  | { type: 'failed'; key: string; model: string; cell: string; error: ErrorEnvelope; done: number; total: number }
  | { type: 'end'; summary: BatchSummary };

export interface BatchSummary {
  zoo: string;
  runId: number;
  models: number;
  cells: number;
  tasks: number;
  /** Twins already in the zoo before this run (not redone). */
  skipped: number;
  made: number;
  failed: number;
  cancelled: boolean;
  failures: { key: string; model: string; cell: string; error: ErrorEnvelope }[];
  durationMs: number;
}

export interface BatchOptions {
  zoo: string;
  dataDir: string;
  signal?: AbortSignal;
  onEvent?: (e: BatchEvent) => void;
  /** Worker processes (default: the number of cores). */
  concurrency?: number;
  /** Module exporting makeTwin (tests use a stand-in; default: the real pipeline). */
  jobModule?: string;
  /** Where tasks wait (default: the in-process queue feeding the local pool). */
  queue?: JobQueue<TwinTask>;
}

/**
 * Applies a recipe's grid to every model of a zoo, in worker processes, registering twins as
 * they finish. Resolves with a summary (failed twins are listed, not thrown); throws CANCELLED
 * (summary in details) when the signal aborts.
 */
export async function runBatch(recipe: string | Record<string, unknown>, opts: BatchOptions): Promise<BatchSummary> {
  const t0 = Date.now();
  const db = openZoo(opts.dataDir);
  const plan = planBatch(db, recipe, opts.zoo);
  const todo = plan.tasks.filter((t) => !plan.done.has(t.key));
  const concurrency = Math.max(1, Math.min(opts.concurrency ?? os.availableParallelism(), todo.length || 1));
  const emit = opts.onEvent ?? (() => {});

  markInterruptedRuns(db, { ownRunsStale: true });
  const runId = db.tx(() => {
    const id = Number(
      db
        .stmt('INSERT INTO batch_runs (zoo_id, recipe, cells, state, summary, started_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(plan.zoo.id, plan.recipeText, plan.cells.length, 'running', toJson({ pid: process.pid, tasks: plan.tasks.length, skipped: plan.done.size }), now()).lastInsertRowid,
    );
    for (const t of todo) putJob(db, { id: jobId(t), kind: TWIN_JOB_KIND, title: `${t.parentName} ${t.cellId || '(no grid)'}`, params: { runId: id, key: t.key, parentId: t.parentId, cell: t.cellValues } });
    return id;
  });
  const models = new Set(plan.tasks.map((t) => t.parentId)).size;
  emit({ type: 'plan', zoo: plan.zoo.name, runId, models, cells: plan.cells.length, tasks: plan.tasks.length, skipped: plan.done.size, todo: todo.length, concurrency });

  const summary: BatchSummary = {
    zoo: plan.zoo.name,
    runId,
    models,
    cells: plan.cells.length,
    tasks: plan.tasks.length,
    skipped: plan.done.size,
    made: 0,
    failed: 0,
    cancelled: false,
    failures: [],
    durationMs: 0,
  };

  const queue = opts.queue ?? new LocalQueue<TwinTask>();
  for (const t of todo) await queue.enqueue(t.key, t);
  const label = (t: TwinTask) => t.cellId || '(no grid)';
  const finished = () => summary.made + summary.failed;

  if (todo.length) {
    await runPool({
      queue,
      concurrency,
      jobModule: opts.jobModule ?? DEFAULT_JOB_MODULE,
      dataDir: db.dataDir,
      signal: opts.signal,
      handlers: {
        onStart(t) {
          setJobState(db, jobId(t), 'running');
          emit({ type: 'start', key: t.key, model: t.parentName, cell: label(t) });
        },
        onProgress(t, p) {
          emit({ type: 'progress', key: t.key, model: t.parentName, cell: label(t), progress: p });
        },
        onLog(t, line) {
          appendJobLog(db, jobId(t), [line]);
          emit({ type: 'log', key: t.key, line });
        },
        onResult(t, r) {
          const twinId = registerResult(db, t, r);
          summary.made++;
          const ev = r.evaluations[0];
          emit({ type: 'twin', key: t.key, model: t.parentName, cell: label(t), twinId, agreement: ev?.agreement ?? null, cosine: ev?.cosine ?? null, sparsity: r.twin.sparsity, done: finished(), total: todo.length });
        },
        onFailure(t, error) {
          summary.failed++;
          summary.failures.push({ key: t.key, model: t.parentName, cell: label(t), error });
          setJobState(db, jobId(t), error.code === 'CANCELLED' ? 'cancelled' : 'failed', { error });
          emit({ type: 'failed', key: t.key, model: t.parentName, cell: label(t), error, done: finished(), total: todo.length });
        },
      },
    });
  }

  summary.cancelled = Boolean(opts.signal?.aborted);
  if (summary.cancelled) {
    // Tasks never handed out stay queued in the jobs table: mark them cancelled.
    db.stmt(`UPDATE jobs SET state = 'cancelled', ended_at = ? WHERE kind = ? AND state IN ('queued', 'running') AND json_extract(params, '$.runId') = ?`).run(now(), TWIN_JOB_KIND, runId);
  }
  summary.durationMs = Date.now() - t0;
  db.stmt('UPDATE batch_runs SET state = ?, summary = ?, ended_at = ? WHERE id = ?').run(
    summary.cancelled ? 'cancelled' : summary.failed ? 'failed' : 'done',
    toJson({ pid: process.pid, ...summary, failures: summary.failures.slice(0, 100) }),
    now(),
    runId,
  );
  emit({ type: 'end', summary });
  if (summary.cancelled) throw new TwinforgeError('CANCELLED', `Batch cancelled after ${summary.made} new twin(s); rerun the same command to resume.`, undefined, summary);
  return summary;
}

function jobId(t: TwinTask): string {
  return `twin:${t.key}`;
}

/** Writes one finished twin (and its parent's own scores) in one transaction. */
export function registerResult(db: ZooDb, t: TwinTask, r: TwinResult): number {
  const facets = cellFacets(t.recipe as never);
  return db.tx(() => {
    if (r.parentEvaluation) putEvaluation(db, t.parentId, { ...r.parentEvaluation, referenceId: null });
    for (const b of r.parentBenchmarks ?? []) {
      const has = db.stmt('SELECT 1 FROM benchmarks WHERE model_id = ? AND target = ? AND runtime = ? AND estimated = ?').get(t.parentId, b.target, b.runtime, b.estimated ? 1 : 0);
      if (!has) addBenchmark(db, t.parentId, b);
    }
    const { id } = registerTwin(db, {
      parentId: t.parentId,
      model: r.model,
      twin: {
        ...r.twin,
        method: r.twin.method || facets.method,
        pattern: r.twin.pattern ?? facets.pattern,
        level: r.twin.level ?? facets.level,
        quantization: r.twin.quantization ?? facets.quantization,
        gridKey: t.key,
      },
      layers: r.layers,
      evaluations: r.evaluations.map((e) => ({ ...e, referenceId: t.parentId })),
      benchmarks: r.benchmarks,
    });
    setJobState(db, jobId(t), 'done', { result: { twinId: id } });
    return id;
  });
}

export { planBatch, expandCells, gridKey, cellFacets } from './plan';
export { formatBatchEvent } from './format';
export type { TwinTask, JobQueue } from './queue';
export { LocalQueue } from './queue';
export type { TwinResult, MakeTwin, TwinJobContext } from './protocol';
