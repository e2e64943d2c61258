// The engine's one worker-process layer (worker side): the channel back to the parent. Job,
// batch and bench workers send through here, so a message is never lost to an early exit.
import { TwinforgeError } from '../errors';

/** Sends one message to the parent; resolves once it is handed over (or at once when orphaned). */
export function send(msg: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

/** Calls fn for every message of the parent. */
export function onParentMessage<T>(fn: (msg: T) => void): void {
  process.on('message', (m) => fn(m as T));
}

/** The worker exits when its parent goes away (orphaned workers never run on). */
export function exitWhenOrphaned(delayMs = 0): void {
  process.on('disconnect', () => {
    if (delayMs <= 0) process.exit(0);
    setTimeout(() => process.exit(0), delayMs).unref();
  });
}

/** Closes the channel so the worker can end once its work is done. */
export function closeChannel(): void {
  if (process.connected) process.disconnect?.();
}

/** A worker file run without a parent (by hand) says so instead of waiting forever. */
export function requireParent(what: string): void {
  if (!process.send) throw new TwinforgeError('INTERNAL', `${what} is a worker process; the engine starts it, it is not run by hand.`);
}
