// One worker process of a cluster worker: the batch's own twin worker (batch/worker.ts, the same
// makeTwin the single-machine run uses), kept alive across jobs so the engine loads once. The
// heavy work runs there, never on this process's event loop, so BullMQ's lock renewal keeps
// ticking however long a twin takes. A crash fails only the job in hand; the next job gets a
// fresh process.
import { TwinforgeError, fromEnvelope } from '../errors';
import type { JobProgress } from '../jobs/types';
import { cancelWorker, forkWorker, sendToWorker, type WorkerProcess } from '../jobs/worker-launch';
import { WORKER_ENTRY } from '../batch/pool';
import type { FromWorker, ToWorker, TwinResult } from '../batch/protocol';
import type { TwinTask } from '../batch/queue';

export interface SlotRun {
  task: TwinTask;
  jobModule: string;
  dataDir: string;
  onProgress?: (p: JobProgress) => void;
  onLog?: (line: string) => void;
}

export class TwinSlot {
  private child?: WorkerProcess;
  private stderr = '';
  private settle?: (m: FromWorker | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null }) => void;
  private key?: string;
  private run_?: SlotRun;

  private spawn(): WorkerProcess {
    const child = forkWorker(WORKER_ENTRY);
    this.stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.stdout?.on('data', () => {});
    child.on('message', (m: FromWorker) => {
      if (!('key' in m) || m.key !== this.key) return;
      if (m.type === 'progress') this.run_?.onProgress?.(m.progress);
      else if (m.type === 'log') this.run_?.onLog?.(m.line);
      else this.settle?.(m);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.settle?.({ type: 'exit', code, signal });
    });
    return child;
  }

  /** Makes one twin in the slot's process; rejects with the job's error (crash: INTERNAL). */
  async run(r: SlotRun): Promise<TwinResult> {
    if (!this.child) this.child = this.spawn();
    const child = this.child;
    this.key = r.task.key;
    this.run_ = r;
    try {
      const reply = await new Promise<FromWorker | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        this.settle = resolve;
        if (!sendToWorker(child, { type: 'task', task: r.task, jobModule: r.jobModule, dataDir: r.dataDir } satisfies ToWorker)) resolve({ type: 'exit', code: null, signal: null });
      });
      if (reply.type === 'done') return reply.result;
      if (reply.type === 'failed') throw fromEnvelope(reply.error);
      if (reply.type === 'exit') {
        throw new TwinforgeError('INTERNAL', `The process making this twin stopped (${reply.signal ?? `exit code ${reply.code}`}).`, this.stderr.trim().split('\n').slice(-3).join(' | ') || 'A native crash or running out of memory; the job is retried.');
      }
      throw new TwinforgeError('INTERNAL', `Unexpected reply '${reply.type}' from the twin process.`);
    } finally {
      this.settle = undefined;
      this.key = undefined;
      this.run_ = undefined;
    }
  }

  /** Stops the process (a job in hand is cancelled, then killed after the grace period). */
  close(): void {
    const c = this.child;
    this.child = undefined;
    if (!c) return;
    if (this.key) cancelWorker(c, { type: 'cancel' } satisfies ToWorker);
    else if (c.connected) c.disconnect();
  }
}
