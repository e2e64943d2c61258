// The local worker pool: up to N worker processes pull tasks from a JobQueue and run them; the
// results come back to this process, which alone writes the database. A worker that dies
// (native crash, out of memory) fails only its task; a fresh worker takes its place.
import { TwinforgeError, type ErrorEnvelope } from '../errors';
import type { JobProgress } from '../jobs/types';
import { cancelWorker, engineModule, forkWorker, sendToWorker, type WorkerProcess } from '../jobs/worker-launch';
import type { FromWorker, ToWorker, TwinResult } from './protocol';
import type { JobQueue, TwinTask } from './queue';

// The built entry when this code runs built, the source in development (see worker-launch.ts).
export const WORKER_ENTRY = engineModule('core/batch/worker');

export interface PoolHandlers {
  onStart(task: TwinTask): void;
  /** Called in order of completion; may throw (the task is then failed with that error). */
  onResult(task: TwinTask, result: TwinResult): void;
  onFailure(task: TwinTask, error: ErrorEnvelope): void;
  onProgress?(task: TwinTask, p: JobProgress): void;
  onLog?(task: TwinTask, line: string): void;
}

export interface PoolOptions {
  queue: JobQueue<TwinTask>;
  concurrency: number;
  /** Absolute path of the module exporting makeTwin. */
  jobModule: string;
  dataDir: string;
  signal?: AbortSignal;
  handlers: PoolHandlers;
}

interface Slot {
  child: WorkerProcess;
  task?: TwinTask;
  settle?: (m: FromWorker | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null; stderr: string }) => void;
  stderr: string;
  dead?: boolean;
}

function spawn(): Slot {
  const child = forkWorker(WORKER_ENTRY);
  const slot: Slot = { child, stderr: '' };
  child.stderr?.on('data', (d: Buffer) => {
    slot.stderr = (slot.stderr + d.toString()).slice(-4000);
  });
  child.stdout?.on('data', () => {});
  return slot;
}

/** Runs every queued task through the pool; resolves when the queue is drained (or cancelled). */
export async function runPool(opts: PoolOptions): Promise<void> {
  const { queue, handlers } = opts;
  const n = Math.max(1, Math.min(opts.concurrency, await queue.size()));
  const slots: Slot[] = [];

  const cancelAll = () => {
    for (const s of slots) cancelWorker(s.child, { type: 'cancel' } satisfies ToWorker);
  };
  opts.signal?.addEventListener('abort', cancelAll, { once: true });

  const runOne = (slot: Slot, task: TwinTask) =>
    new Promise<FromWorker | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
      slot.task = task;
      slot.settle = resolve;
      if (!sendToWorker(slot.child, { type: 'task', task, jobModule: opts.jobModule, dataDir: opts.dataDir } satisfies ToWorker)) {
        resolve({ type: 'exit', code: null, signal: null, stderr: slot.stderr });
      }
    });

  const attach = (slot: Slot) => {
    slot.child.on('message', (m: FromWorker) => {
      const t = slot.task;
      if (!t) return;
      if (m.type === 'progress' && m.key === t.key) handlers.onProgress?.(t, m.progress);
      else if (m.type === 'log' && m.key === t.key) handlers.onLog?.(t, m.line);
      else if ((m.type === 'done' || m.type === 'failed') && m.key === t.key) slot.settle?.(m);
    });
    slot.child.on('exit', (code, signal) => {
      slot.dead = true;
      slot.settle?.({ type: 'exit', code, signal, stderr: slot.stderr });
    });
  };

  const lane = async (index: number) => {
    let slot = spawn();
    attach(slot);
    slots[index] = slot;
    try {
      for (;;) {
        if (opts.signal?.aborted) return;
        const job = await queue.dequeue();
        if (!job) return;
        const task = job.data;
        if (slot.dead) {
          slot = spawn();
          attach(slot);
          slots[index] = slot;
        }
        handlers.onStart(task);
        const reply = await runOne(slot, task);
        slot.task = undefined;
        slot.settle = undefined;
        if (reply.type === 'done') {
          try {
            handlers.onResult(task, reply.result);
            await queue.ack(job.id);
          } catch (e) {
            const env = e instanceof TwinforgeError ? e.toJSON() : { code: 'INTERNAL' as const, message: (e as Error).message };
            await queue.fail(job.id, env);
            handlers.onFailure(task, env);
          }
        } else if (reply.type === 'failed') {
          await queue.fail(job.id, reply.error);
          handlers.onFailure(task, reply.error);
        } else if (reply.type === 'exit') {
          const error: ErrorEnvelope = opts.signal?.aborted
            ? { code: 'CANCELLED', message: 'The batch was cancelled.' }
            : {
                code: 'INTERNAL',
                message: `The worker making this twin stopped (${reply.signal ?? `exit code ${reply.code}`}).`,
                hint: reply.stderr.trim().split('\n').slice(-3).join(' | ') || 'A native crash or running out of memory; other twins go on.',
              };
          await queue.fail(job.id, error);
          handlers.onFailure(task, error);
          if (opts.signal?.aborted) return;
          slot = spawn();
          attach(slot);
          slots[index] = slot;
        }
      }
    } finally {
      if (slot.child.connected) slot.child.disconnect();
    }
  };

  try {
    await Promise.all(Array.from({ length: n }, (_, i) => lane(i)));
  } finally {
    opts.signal?.removeEventListener('abort', cancelAll);
  }
}
