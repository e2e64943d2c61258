// The renderer's one client over the contract (preload/contract.ts): typed calls that resolve to
// the call's result or throw ApiError {code, message, hint}; typed event subscriptions; the
// connection state. Stores use this; components never call the transport themselves.
import type { CallArgs, CallName, CallResult, EventName, EventPayloads } from '../../../preload/contract';
import { ApiError } from './errors';
import { createTransport, type ConnectionState, type Transport } from './transport';

let transport: Transport | undefined;
function t(): Transport {
  return (transport ??= createTransport());
}

/** Calls the engine; resolves with the typed result or throws ApiError. */
export async function call<N extends CallName>(name: N, ...rest: {} extends CallArgs<N> ? [args?: CallArgs<N>] : [args: CallArgs<N>]): Promise<CallResult<N>> {
  const env = await t().invoke(name, rest[0] ?? {});
  if (env.ok) return env.value as CallResult<N>;
  throw new ApiError(env.error.code, env.error.message, env.error.hint, env.error.details, name);
}

/** Subscribes to an engine event; returns the unsubscribe function. */
export function on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void {
  return t().on(event, listener as (p: unknown) => void);
}

/** 'electron' (IPC through the preload) or 'web' (HTTP + WebSocket to the local host). */
export function transportKind(): 'electron' | 'web' {
  return t().kind;
}

export function connectionState(): ConnectionState {
  return t().state;
}

/** Calls `listener` when the event stream connects or drops; `reconnected` after a drop. */
export function onConnection(listener: (s: ConnectionState, reconnected: boolean) => void): () => void {
  return t().onState(listener);
}

/** The native file/folder dialog; undefined where there is none (browser mode). */
export function nativePicker(): ((kind: 'file' | 'folder') => Promise<string | null>) | undefined {
  const tr = t();
  return tr.kind === 'electron' && tr.pickPath ? (kind) => tr.pickPath!(kind) : undefined;
}

/** Uploads a file to the engine (browser mode); undefined where the host has no upload (Electron). */
export function uploader(): ((file: File, onProgress?: (sent: number, total: number) => void) => Promise<{ path: string; bytes: number }>) | undefined {
  const tr = t();
  if (!tr.upload) return undefined;
  return async (file, onProgress) => {
    const env = await tr.upload!(file, onProgress);
    if (env.ok) return env.value as { path: string; bytes: number };
    throw new ApiError(env.error.code, env.error.message, env.error.hint, env.error.details, 'upload');
  };
}

export type { ConnectionState };
