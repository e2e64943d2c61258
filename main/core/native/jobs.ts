// Calls into the addon: native errors become TwinforgeErrors with the same code, and async
// jobs get an AbortSignal (cancel reaches the C++ loop) and progress snapshots.
import { ErrorCodes, TwinforgeError, type ErrorCode } from '../errors';

export interface NativeProgress {
  done: number;
  total: number;
  stage: string;
}

export interface NativeAsyncOptions {
  /** Aborting rejects with TwinforgeError('CANCELLED'); the native loop stops within ~100 ms. */
  signal?: AbortSignal;
  /** Progress snapshots (coalesced; done never goes back within a stage). */
  onProgress?: (p: NativeProgress) => void;
}

/** What a native ...Async export returns. */
export interface NativeJobHandle<T> {
  promise: Promise<T>;
  cancel(): void;
}

const HINTS: Partial<Record<ErrorCode, string>> = {
  BAD_INPUT: 'Check the argument named in the message.',
  UNSUPPORTED: 'This machine or build lacks the feature; see nativeInfo().',
  INTERNAL: 'This is a bug in the native core; please report it with the log.',
};

/** Converts an error thrown by the addon (it carries `code`, maybe `argument`) into a TwinforgeError. */
export function fromNative(err: unknown): TwinforgeError {
  if (err instanceof TwinforgeError) return err;
  const e = err as { code?: unknown; message?: unknown; argument?: unknown };
  const code = typeof e?.code === 'string' && (ErrorCodes as readonly string[]).includes(e.code) ? (e.code as ErrorCode) : 'INTERNAL';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const details = typeof e?.argument === 'string' ? { argument: e.argument } : undefined;
  return new TwinforgeError(code, code === 'CANCELLED' ? 'The native job was cancelled' : message, HINTS[code], details);
}

/** Runs a synchronous native call, mapping its errors. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}

export function cancelledError(): TwinforgeError {
  return new TwinforgeError('CANCELLED', 'The native job was cancelled');
}

/** Starts a native async job and settles with its result; abort and progress wired through. */
export async function runNativeJob<T>(
  start: (onProgress: ((p: NativeProgress) => void) | undefined) => NativeJobHandle<T>,
  opts: NativeAsyncOptions = {},
): Promise<T> {
  const { signal, onProgress } = opts;
  if (signal?.aborted) throw cancelledError();
  let settled = false;
  const progress = onProgress
    ? (p: NativeProgress) => {
        if (settled) return;
        try {
          onProgress({ done: p.done, total: p.total, stage: p.stage });
        } catch {
          // a listener's bug must not break the job
        }
      }
    : undefined;
  const handle = callNative(() => start(progress));
  const onAbort = () => handle.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await handle.promise;
  } catch (err) {
    throw fromNative(err);
  } finally {
    settled = true;
    signal?.removeEventListener('abort', onAbort);
  }
}

type Typed = Float32Array | Int8Array | Uint8Array;

/**
 * Buffers an async native job works on, owned by the job. A caller's typed array can be detached
 * while the job runs (ArrayBuffer.prototype.transfer, postMessage with a transfer list), which
 * frees the memory the C++ worker thread is reading or writing. So the job gets private copies
 * nobody else can reach (`own`), and outputs go back into the caller's arrays when it ends —
 * unless the caller detached them meanwhile, in which case there is nothing left to write to.
 */
export class PinnedBuffers {
  private outs: Array<[Typed, Typed]> = [];
  private copies = new Map<Typed, Typed>();
  /** A private copy of a read-only input (one copy per array, however often it is passed). */
  own<T extends Typed>(a: T): T {
    let c = this.copies.get(a);
    if (!c) {
      c = a.slice();
      this.copies.set(a, c);
    }
    return c as T;
  }
  /** A private copy of an output (or in-place) array, copied back into `a` by `writeBack`. */
  out<T extends Typed>(a: T): T {
    const c = a.slice() as T;
    this.outs.push([c, a]);
    return c;
  }
  /** Copies outputs into the caller's arrays that are still attached. */
  writeBack(): void {
    for (const [c, a] of this.outs) if (a.byteLength === c.byteLength) a.set(c as never);
  }
}

/** runNativeJob over pinned buffers: outputs are written back only when the job succeeded. */
export async function runPinnedJob<T>(
  pin: PinnedBuffers,
  start: (onProgress: ((p: NativeProgress) => void) | undefined) => NativeJobHandle<T>,
  opts: NativeAsyncOptions = {},
): Promise<T> {
  const r = await runNativeJob(start, opts);
  pin.writeBack();
  return r;
}
