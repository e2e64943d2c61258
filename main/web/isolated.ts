// Model reads from the web host run in a worker process with a memory cap and a time limit, so
// a hostile model file (one that loops, or allocates gigabytes) costs that process, never the
// host: every other request keeps being answered, and the caller gets a clear error.
import { engineModule, forkWorker, sendToWorker } from '../core/jobs/worker-launch';
import { TwinforgeError, isEnvelope, fromEnvelope } from '../core/errors';

/** Calls that read a model file the caller names: these never run in the host's own process. */
export const ISOLATED_CALLS = new Set(['model.inspect', 'model.weightHistogram', 'model.groups', 'data.inspect']);

export interface IsolationLimits {
  /** V8 heap cap of the worker (MiB). */
  heapMb: number;
  /** Wall-clock limit (ms). */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: IsolationLimits = { heapMb: 1024, timeoutMs: 120_000 };

/** Runs one contract call in a fresh worker process; rejects with the call's own error or a limit error. */
export function runIsolated(name: string, args: unknown, dataDir: string, limits: IsolationLimits = DEFAULT_LIMITS): Promise<unknown> {
  const entry = engineModule('core/api/inspect-worker');
  // The heap cap travels in NODE_OPTIONS, which the one worker layer passes on to the child.
  const heap = `--max-old-space-size=${limits.heapMb}`;
  const child = forkWorker(entry, [], { NODE_OPTIONS: [process.env.NODE_OPTIONS, heap].filter(Boolean).join(' ') });
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      fn();
    };
    const timer = setTimeout(() => {
      finish(() => reject(new TwinforgeError('BAD_INPUT', `Reading the model took longer than ${Math.round(limits.timeoutMs / 1000)} s and was stopped.`, 'The file may be hostile or far larger than it looks; check where it came from, or use the CLI on the engine machine.')));
    }, limits.timeoutMs);
    timer.unref();
    child.on('message', (reply: { ok: boolean; value?: unknown; error?: unknown }) => {
      finish(() => (reply.ok ? resolve(reply.value) : reject(isEnvelope(reply.error) ? fromEnvelope(reply.error) : new TwinforgeError('INTERNAL', 'The model worker sent a malformed reply.'))));
    });
    child.on('error', (err) => finish(() => reject(new TwinforgeError('INTERNAL', `Could not start the model worker: ${err.message}`))));
    child.on('exit', (code, signal) => {
      finish(() => {
        const oom = /heap out of memory|Allocation failed|ERR_WORKER_OUT_OF_MEMORY|invalid array length/i.test(stderr);
        reject(
          oom || signal === 'SIGABRT' || code === 134
            ? new TwinforgeError('BAD_INPUT', `Reading the model needed more than ${limits.heapMb} MiB and was stopped.`, 'The file may be hostile or damaged; check where it came from, or use the CLI on the engine machine.')
            : new TwinforgeError('INTERNAL', `The model worker stopped unexpectedly (exit ${code ?? signal}).`, stderr.trim().split('\n').slice(-3).join(' ')),
        );
      });
    });
    sendToWorker(child, { name, args, dataDir });
  });
}
