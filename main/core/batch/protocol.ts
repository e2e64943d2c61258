// Messages between the batch runner and its worker processes (fork IPC), and the contract of
// a twin job module: given a task, make the twin, put its file into the store, and return the
// rows to register. The runner (the only DB writer) registers them in one transaction.
import type { ErrorEnvelope } from '../errors';
import type { JobProgress } from '../jobs/types';
import type { BenchmarkInput, EvaluationInput, LayerStat, NewModel, TwinInfo } from '../zoo/types';
import type { TwinTask } from './queue';

export interface TwinJobContext {
  dataDir: string;
  signal: AbortSignal;
  progress(p: JobProgress): void;
  log(line: string): void;
}

/** What a finished task hands back; its file (model.sha256) is already in the store. */
export interface TwinResult {
  model: Omit<NewModel, 'parentId'>;
  twin: Omit<TwinInfo, 'gridKey'>;
  layers: LayerStat[];
  /** Twin against its parent (referenceId is set by the runner). */
  evaluations: Omit<EvaluationInput, 'referenceId'>[];
  benchmarks: BenchmarkInput[];
  /** The parent's own scores on the same data (recorded once per parent and dataset). */
  parentEvaluation?: Omit<EvaluationInput, 'referenceId'>;
  parentBenchmarks?: BenchmarkInput[];
  warnings?: string[];
}

/** A twin job module exports this. */
export type MakeTwin = (task: TwinTask, ctx: TwinJobContext) => Promise<TwinResult>;

export type ToWorker = { type: 'task'; task: TwinTask; jobModule: string; dataDir: string } | { type: 'cancel' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; key: string; progress: JobProgress }
  | { type: 'log'; key: string; line: string }
  | { type: 'done'; key: string; result: TwinResult }
  | { type: 'failed'; key: string; error: ErrorEnvelope };
