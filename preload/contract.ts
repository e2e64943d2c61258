// THE API contract between the UI and the engine: every call (name, argument schema, result
// type) and every event. Electron IPC, the web host and the CLI bind exactly this; the renderer
// talks to one client built on it. Arguments are validated with these schemas at each host's
// edge (strict: unknown fields are errors). Results are typed here and produced by main/core/api.
// This file imports nothing but zod, so the renderer and the preload can both include it.
import { z } from 'zod';

// ---------- shared data types (results) ----------

export type ErrorCode =
  | 'BAD_INPUT' | 'NOT_FOUND' | 'UNSUPPORTED' | 'CORRUPT_MODEL' | 'NO_DEVICE' | 'CANCELLED'
  | 'GATE_FAILED' | 'NOT_IMPLEMENTED' | 'UNAUTHORIZED' | 'INTERNAL';

/** How every failed call arrives, whatever the transport. */
export interface ErrorEnvelope {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: unknown;
}

export interface AppInfo {
  version: string;
  platform: string;
  arch: string;
  node: string;
  host: 'electron' | 'web' | 'cli';
  hostname: string;
  cpu: { model: string; cores: number; arch: string; features: string[] };
  native: { loaded: boolean; isa: string; available: string[]; threads: number; cuda: { built: boolean; devices: number; error?: string }; error?: string };
  dataDir: string;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface JobProgress {
  done: number;
  total: number;
  stage: string;
  detail?: string;
  items?: { name: string; done: number; total: number }[];
}

export interface JobSnapshot {
  id: string;
  kind: string;
  title: string;
  state: JobState;
  progress: JobProgress;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  error?: ErrorEnvelope;
  result?: unknown;
  logTail: string[];
}

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: (number | string | null)[];
}

export interface LayerRow {
  name: string;
  op: string;
  weight: string;
  shape: number[];
  parameters: number;
  nonzeros: number;
  flops: number;
  [extra: string]: unknown;
}

export interface ModelSummary {
  format: string;
  producer: string;
  opsets: Record<string, number> | { domain: string; version: number }[];
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  totals: { weightTensors: number; parameters: number; nonzeros: number; bytes: number; flops: number };
  layers: LayerRow[];
  [extra: string]: unknown;
}

// ---------- argument schemas ----------

const MAX_PATH = 4096;
const Id = z.string().min(1).max(128);
const FilePath = z.string().min(1, 'a path is required').max(MAX_PATH);
/** NAME -> dims, fixing dynamic input dimensions (e.g. {input: [1,3,48,192]}). */
const InputShapes = z.record(z.string().max(256), z.array(z.number().int().positive().max(1 << 24)).max(8)).refine((r) => Object.keys(r).length <= 64, 'at most 64 inputs');

const NoArgs = z.object({}).strict();

// A call declares its argument schema; its result type rides along as a phantom for TypeScript:
// call<Result>()(argsSchema, doc).
function call<R>() {
  return <A extends z.ZodType>(args: A, doc: string): { args: A; doc: string; _result?: R } => ({ args, doc });
}

const JobId = z.object({ id: Id }).strict();

export const calls = {
  'app.info': call<AppInfo>()(NoArgs, 'Version, platform, CPU/GPU features, native kernels and the data folder.'),

  'jobs.list': call<JobSnapshot[]>()(NoArgs, 'Every job of this session, newest first.'),
  'jobs.get': call<JobSnapshot>()(JobId, 'One job by id.'),
  'jobs.cancel': call<JobSnapshot>()(JobId, 'Cancels a queued or running job.'),
  'jobs.log': call<{ lines: string[]; next: number }>()(
    z.object({ id: Id, since: z.number().int().min(0).optional() }).strict(),
    'A job log from line `since`.',
  ),
  'jobs.selftest': call<JobSnapshot>()(
    z.object({ steps: z.number().int().min(1).max(10_000).optional(), stepMs: z.number().int().min(0).max(10_000).optional() }).strict(),
    'Starts a diagnostic job that checks workers, progress and cancel.',
  ),

  'model.inspect': call<ModelSummary>()(
    z.object({ path: FilePath, inputShapes: InputShapes.optional() }).strict(),
    'Reads a model file: format, producer, inputs/outputs, totals and the per-layer table.',
  ),
} as const;

export type CallName = keyof typeof calls;
export type CallArgs<N extends CallName> = z.input<(typeof calls)[N]['args']>;
export type CallResult<N extends CallName> = NonNullable<(typeof calls)[N]['_result']>;
export const callNames = Object.keys(calls) as CallName[];

// ---------- events (engine -> UI) ----------

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
