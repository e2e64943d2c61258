// A job's worker process: receives one 'start', imports the kind's module, runs it with a
// JobContext wired to the IPC channel, reports the result or error, and exits. A crash here
// (native fault, out of memory) ends only this process; the runner reports the job failed.
import { pathToFileURL } from 'node:url';
import { toEnvelope, TwinforgeError } from '../errors';
import type { ParentMessage, WorkerMessage } from './protocol';
import type { JobContext, JobFunction, JobProgress } from './types';
import { closeChannel, exitWhenOrphaned, onParentMessage, requireParent, send as sendAny } from './worker-channel';

requireParent('The job worker');
const controller = new AbortController();
const send = (msg: WorkerMessage) => sendAny(msg);

onParentMessage<ParentMessage>(async (msg) => {
  if (msg.type === 'cancel') {
    controller.abort(new TwinforgeError('CANCELLED', 'The job was cancelled.'));
    return;
  }
  if (msg.type !== 'start') return;
  // Progress snapshots replace each other: coalesce to at most one message per 50 ms.
  let pending: JobProgress | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (pending) void send({ type: 'progress', progress: pending });
    pending = undefined;
  };
  const ctx: JobContext = {
    signal: controller.signal,
    dataDir: msg.dataDir,
    progress(p) {
      // The last snapshot of a stage is never coalesced away: it says the stage finished (a quick
      // stage such as magnitude pruning would otherwise never show up in the UI at all).
      if (pending && pending.stage !== p.stage) void send({ type: 'progress', progress: pending });
      pending = p;
      if (!timer) timer = setTimeout(flush, 50);
    },
    log(line) {
      void send({ type: 'log', line: String(line) });
    },
  };
  try {
    const mod = (await import(pathToFileURL(msg.modulePath).href)) as { run?: JobFunction };
    if (typeof mod.run !== 'function') throw new TwinforgeError('INTERNAL', `Job kind '${msg.kind}' has no run() export.`);
    const value = await mod.run(msg.params, ctx);
    if (timer) clearTimeout(timer);
    flush();
    await send({ type: 'result', value: value ?? null });
  } catch (err) {
    if (timer) clearTimeout(timer);
    flush();
    const aborted = controller.signal.aborted;
    await send({ type: 'error', error: aborted ? { code: 'CANCELLED', message: 'The job was cancelled.' } : toEnvelope(err) });
  }
  closeChannel();
  setTimeout(() => process.exit(0), 20).unref();
});

// Orphaned workers (the host died) exit instead of running on.
exitWhenOrphaned(100);
