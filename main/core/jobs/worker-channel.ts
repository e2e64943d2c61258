// The engine's one worker-process layer (worker side): the channel back to the parent. Job,
// batch and bench workers talk through here, whichever way they were started: a Node child
// process (process.send / 'message') or, in the desktop app, an Electron utility process
// (process.parentPort). A message is never lost to an early exit.
import { TwinforgeError } from '../errors';

/** Electron's utility-process port (typed here: main/core never imports electron). */
interface ParentPort {
  postMessage(msg: unknown): void;
  on(event: 'message', fn: (e: { data: unknown }) => void): unknown;
}
const port = (process as unknown as { parentPort?: ParentPort }).parentPort;

/** Sends one message to the parent; resolves once it is handed over (or at once when orphaned). */
export function send(msg: unknown): Promise<void> {
  if (port) {
    port.postMessage(msg);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

/** Calls fn for every message of the parent. */
export function onParentMessage<T>(fn: (msg: T) => void): void {
  if (port) port.on('message', (e) => fn(e.data as T));
  else process.on('message', (m) => fn(m as T));
}

/** The worker exits when its parent goes away (orphaned workers never run on). */
export function exitWhenOrphaned(delayMs = 0): void {
  // A utility process ends with the app that started it; a child process sees 'disconnect'.
  if (port) return;
  process.on('disconnect', () => {
    if (delayMs <= 0) process.exit(0);
    setTimeout(() => process.exit(0), delayMs).unref();
  });
}

/** Closes the channel so the worker can end once its work is done. */
export function closeChannel(): void {
  // A utility process's port keeps it alive: end it shortly (after the last message is out).
  if (port) setTimeout(() => process.exit(0), 50);
  else if (process.connected) process.disconnect?.();
}

/** A worker file run without a parent (by hand) says so instead of waiting forever. */
export function requireParent(what: string): void {
  if (!process.send && !port) throw new TwinforgeError('INTERNAL', `${what} is a worker process; the engine starts it, it is not run by hand.`);
}
