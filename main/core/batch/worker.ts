// A batch worker process: runs twin tasks one after another as the runner sends them, so the
// engine is loaded once per worker rather than once per twin. It never writes the database;
// a crash here loses only the task in hand (the runner records it failed and goes on).
import { pathToFileURL } from 'node:url';
import { toEnvelope, TwinforgeError } from '../errors';
import type { FromWorker, MakeTwin, ToWorker } from './protocol';
import { exitWhenOrphaned, onParentMessage, requireParent, send as sendAny } from '../jobs/worker-channel';

requireParent('The batch worker');
let controller = new AbortController();
const modules = new Map<string, MakeTwin>();
const send = (msg: FromWorker) => sendAny(msg);

async function load(modulePath: string): Promise<MakeTwin> {
  let fn = modules.get(modulePath);
  if (!fn) {
    const mod = (await import(pathToFileURL(modulePath).href)) as { makeTwin?: MakeTwin };
    if (typeof mod.makeTwin !== 'function') throw new TwinforgeError('INTERNAL', `Batch job module ${modulePath} has no makeTwin() export.`);
    fn = mod.makeTwin;
    modules.set(modulePath, fn);
  }
  return fn;
}

onParentMessage<ToWorker>(async (msg) => {
  if (msg.type === 'cancel') {
    controller.abort(new TwinforgeError('CANCELLED', 'The batch was cancelled.'));
    return;
  }
  if (msg.type !== 'task') return;
  controller = new AbortController();
  const key = msg.task.key;
  let last = 0;
  try {
    const makeTwin = await load(msg.jobModule);
    const result = await makeTwin(msg.task, {
      dataDir: msg.dataDir,
      signal: controller.signal,
      progress(p) {
        // snapshots: at most one every 100 ms crosses the channel
        const t = Date.now();
        if (t - last < 100 && p.done < p.total) return;
        last = t;
        void send({ type: 'progress', key, progress: p });
      },
      log(line) {
        void send({ type: 'log', key, line: String(line) });
      },
    });
    await send({ type: 'done', key, result });
  } catch (err) {
    await send({ type: 'failed', key, error: controller.signal.aborted ? { code: 'CANCELLED', message: 'The batch was cancelled.' } : toEnvelope(err) });
  }
});

// Orphaned (the runner died, e.g. SIGKILL): stop at once; the rerun redoes the task in hand.
exitWhenOrphaned();
void send({ type: 'ready' });
