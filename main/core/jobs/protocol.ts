// Messages between the job runner (parent) and a worker process (child), over the fork IPC channel.
import type { ErrorEnvelope } from '../errors';
import type { JobProgress } from './types';

export type ParentMessage =
  | { type: 'start'; kind: string; modulePath: string; params: unknown; dataDir: string }
  | { type: 'cancel' };

export type WorkerMessage =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'log'; line: string }
  | { type: 'result'; value: unknown }
  | { type: 'error'; error: ErrorEnvelope };
