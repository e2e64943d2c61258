// Events from the engine to the UI, the size limit on arguments and the Electron bridge.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import type { ErrorEnvelope } from './errors';
import type { JobSnapshot } from './jobs';

export interface EventPayloads {
  /** A job changed: state or progress (snapshots; the latest wins). */
  'jobs.progress': JobSnapshot;
}

export type EventName = keyof EventPayloads;

export const eventNames: EventName[] = ['jobs.progress'];

/** Largest serialised argument object a host accepts (bytes of JSON). */
export const MAX_ARGS_BYTES = 1 << 20;

/** What window.twinforge exposes in Electron (built by preload/index.ts). */
export interface TwinforgeBridge {
  invoke(name: string, args: unknown): Promise<{ ok: true; value: unknown } | { ok: false; error: ErrorEnvelope }>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Electron only: the native open dialog for a model file or a data folder (null if dismissed). */
  pickPath?(kind: 'file' | 'folder'): Promise<string | null>;
}
