// The job runner: a queue of named jobs, each run in its own worker process so a native crash
// or a long kernel never freezes or kills the process serving the UI. One AbortSignal per job
// reaches the worker's loops; progress snapshots stream out as 'update' events.
import { EventEmitter } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TwinforgeError } from '../errors';
import { jobKinds } from './kinds';
import type { ParentMessage, WorkerMessage } from './protocol';
import type { JobProgress, JobSnapshot } from './types';
import { cancelWorker, engineModule, forkWorker, sendToWorker } from './worker-launch';

const LOG_TAIL = 20;
const LOG_MAX = 5000;

interface JobRecord {
  snap: JobSnapshot;
  params: unknown;
  log: string[];
  modulePath: string;
  child?: ReturnType<typeof forkWorker>;
  settled: Promise<JobSnapshot>;
  settle: (s: JobSnapshot) => void;
  killTimer?: NodeJS.Timeout;
  /** Set once cancel was asked for, so a worker killed after the grace period ends 'cancelled'. */
  cancelRequested?: boolean;
}

export interface JobRunnerOptions {
  dataDir: string;
  /** How many jobs run at once (default: the number of cores). */
  concurrency?: number;
  /** Extra job kinds: name -> absolute module path (tests and hosts may add their own). */
  extraKinds?: Record<string, string>;
}

export interface SubmitOptions {
  title?: string;
}

/** Runs jobs in worker processes; emits 'update' with a JobSnapshot on every change. */
export class JobRunner extends EventEmitter {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: string[] = [];
  private running = 0;
  private readonly concurrency: number;
  private readonly kinds: Record<string, string>;

  constructor(private readonly opts: JobRunnerOptions) {
    super();
    this.concurrency = Math.max(1, opts.concurrency ?? os.availableParallelism());
    this.kinds = {};
    // built entries next to this code when it runs built, the sources in development
    for (const [k, rel] of Object.entries(jobKinds)) this.kinds[k] = engineModule(path.posix.join('core/jobs', rel.replace(/\.ts$/, '')));
    Object.assign(this.kinds, opts.extraKinds ?? {});
  }

  /** Kinds this runner can start. */
  kindNames(): string[] {
    return Object.keys(this.kinds);
  }

  /** Queues a job; it starts as soon as a slot is free. */
  submit(kind: string, params: unknown, opts: SubmitOptions = {}): JobSnapshot {
    const modulePath = this.kinds[kind];
    if (!modulePath) throw new TwinforgeError('BAD_INPUT', `Unknown job kind '${kind}'.`, `Known kinds: ${this.kindNames().join(', ')}.`);
    const id = randomUUID();
    let settle!: (s: JobSnapshot) => void;
    const settled = new Promise<JobSnapshot>((r) => (settle = r));
    const snap: JobSnapshot = {
      id,
      kind,
      title: opts.title ?? kind,
      state: 'queued',
      progress: { done: 0, total: 0, stage: 'queued' },
      createdAt: new Date().toISOString(),
      logTail: [],
    };
    this.jobs.set(id, { snap, params, log: [], modulePath, settled, settle });
    this.queue.push(id);
    this.emitUpdate(id);
    this.pump();
    return { ...snap };
  }

  list(): JobSnapshot[] {
    return [...this.jobs.values()].map((j) => ({ ...j.snap })).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(id: string): JobSnapshot {
    return { ...this.record(id).snap };
  }

  /** The job's whole log (bounded), from line `since`. */
  log(id: string, since = 0): { lines: string[]; next: number } {
    const rec = this.record(id);
    return { lines: rec.log.slice(since), next: rec.log.length };
  }

  /** Resolves when the job reaches done, failed or cancelled. */
  wait(id: string): Promise<JobSnapshot> {
    return this.record(id).settled;
  }

  /** Cancels a queued job at once, a running one through its signal (killed after a grace period). */
  cancel(id: string): JobSnapshot {
    const rec = this.record(id);
    const s = rec.snap.state;
    if (s === 'queued') {
      this.queue.splice(this.queue.indexOf(id), 1);
      this.finish(rec, 'cancelled', { error: { code: 'CANCELLED', message: 'The job was cancelled before it started.' } });
    } else if (s === 'running' && rec.child) {
      const msg: ParentMessage = { type: 'cancel' };
      rec.cancelRequested = true;
      rec.killTimer ??= cancelWorker(rec.child, msg);
      rec.snap.progress = { ...rec.snap.progress, stage: 'cancelling' };
      this.emitUpdate(id);
    }
    return { ...rec.snap };
  }

  /** Cancels everything and waits for the workers to end (host shutdown). */
  async shutdown(): Promise<void> {
    const live = [...this.jobs.values()].filter((j) => j.snap.state === 'queued' || j.snap.state === 'running');
    for (const j of live) this.cancel(j.snap.id);
    await Promise.all(live.map((j) => j.settled));
  }

  private record(id: string): JobRecord {
    const rec = this.jobs.get(id);
    if (!rec) throw new TwinforgeError('NOT_FOUND', `No job with id '${id}'.`, 'List jobs with jobs.list.');
    return rec;
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length) {
      const id = this.queue.shift()!;
      this.start(this.jobs.get(id)!);
    }
  }

  private start(rec: JobRecord): void {
    this.running++;
    rec.snap.state = 'running';
    rec.snap.startedAt = new Date().toISOString();
    rec.snap.progress = { done: 0, total: 0, stage: 'starting' };
    let outcome: WorkerMessage | undefined;
    const child = forkWorker(engineModule('core/jobs/worker-entry'));
    rec.child = child;
    const stderr: string[] = [];
    child.stderr?.on('data', (d: Buffer) => {
      const text = d.toString();
      stderr.push(text);
      for (const line of text.split('\n')) if (line.trim()) this.appendLog(rec, `[stderr] ${line}`);
    });
    child.stdout?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) this.appendLog(rec, line);
    });
    child.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'progress') {
        if (rec.snap.state !== 'running') return;
        // Keep showing 'cancelling' once asked: the worker's last snapshots may still arrive.
        rec.snap.progress = rec.cancelRequested ? { ...(msg.progress as JobProgress), stage: 'cancelling' } : (msg.progress as JobProgress);
        this.emitUpdate(rec.snap.id);
      } else if (msg.type === 'log') {
        this.appendLog(rec, msg.line);
      } else {
        outcome = msg;
      }
    });
    child.on('exit', (code, signal) => {
      this.running--;
      if (rec.killTimer) clearTimeout(rec.killTimer);
      rec.child = undefined;
      const cancelling = rec.cancelRequested === true;
      if (outcome?.type === 'result') this.finish(rec, 'done', { result: outcome.value });
      else if (outcome?.type === 'error') this.finish(rec, outcome.error.code === 'CANCELLED' ? 'cancelled' : 'failed', { error: outcome.error });
      else if (cancelling) this.finish(rec, 'cancelled', { error: { code: 'CANCELLED', message: 'The job was cancelled (its worker was stopped).' } });
      else {
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        const lastErr = stderr.join('').trim().split('\n').slice(-3).join(' | ');
        this.finish(rec, 'failed', {
          error: {
            code: 'INTERNAL',
            message: `The job's worker process crashed (${how}).${lastErr ? ` Last output: ${lastErr}` : ''}`,
            hint: 'The app is unaffected; see the job log. If it repeats, report it with the log.',
          },
        });
      }
      this.pump();
    });
    const msg: ParentMessage = { type: 'start', kind: rec.snap.kind, modulePath: rec.modulePath, params: rec.params, dataDir: this.opts.dataDir };
    sendToWorker(child, msg);
    this.emitUpdate(rec.snap.id);
  }

  private appendLog(rec: JobRecord, line: string): void {
    rec.log.push(line);
    if (rec.log.length > LOG_MAX) rec.log.splice(0, rec.log.length - LOG_MAX);
    rec.snap.logTail = rec.log.slice(-LOG_TAIL);
  }

  private finish(rec: JobRecord, state: JobSnapshot['state'], extra: Partial<JobSnapshot>): void {
    Object.assign(rec.snap, extra);
    rec.snap.state = state;
    rec.snap.endedAt = new Date().toISOString();
    if (state === 'done') rec.snap.progress = { ...rec.snap.progress, done: rec.snap.progress.total || 1, total: rec.snap.progress.total || 1 };
    this.emitUpdate(rec.snap.id);
    rec.settle({ ...rec.snap });
  }

  private emitUpdate(id: string): void {
    const rec = this.jobs.get(id);
    if (rec) this.emit('update', { ...rec.snap });
  }
}
