// The batch's job queue, kept small on purpose: enqueue, dequeue, ack, fail. The local
// implementation is an in-process FIFO feeding the worker pool; a distributed deployment puts
// the same TwinTask objects on an existing Redis-backed queue (BullMQ) with workers elsewhere,
// by implementing this interface — the batch runner does not change.
import type { ErrorEnvelope } from '../errors';

/** One twin to make: a zoo model × one grid cell. Plain JSON, so any queue can carry it. */
export interface TwinTask {
  /** Deterministic key of (parent content, cell recipe): the twin's grid key in the zoo. */
  key: string;
  /** Parent model row and its file in the store. */
  parentId: number;
  parentSha256: string;
  parentName: string;
  parentFile: string;
  parentFormat: 'onnx' | 'safetensors';
  /** Grid cell id ('' when the recipe has no grid) and its values. */
  cellId: string;
  cellValues: Record<string, number | string | boolean>;
  /** The cell's complete recipe (model set to the parent file), and its verbatim YAML. */
  recipe: Record<string, unknown>;
  recipeYaml: string;
  /** Folder the recipe's relative paths are resolved against. */
  baseDir: string;
}

export interface QueuedJob<T> {
  id: string;
  data: T;
  attempts: number;
}

export interface JobQueue<T> {
  /** Adds a job; a job with an id already queued or running is not added twice. */
  enqueue(id: string, data: T): Promise<void>;
  /** The next job to run, or undefined when the queue is empty. */
  dequeue(): Promise<QueuedJob<T> | undefined>;
  /** The job finished; it leaves the queue. */
  ack(id: string): Promise<void>;
  /** The job failed; it leaves the queue, or goes back for another try when retry is set. */
  fail(id: string, error: ErrorEnvelope, retry?: boolean): Promise<void>;
  /** Jobs waiting (not counting those handed out). */
  size(): Promise<number>;
}

/** In-process FIFO: the local implementation behind the worker pool. */
export class LocalQueue<T> implements JobQueue<T> {
  private waiting: QueuedJob<T>[] = [];
  private active = new Map<string, QueuedJob<T>>();
  readonly failures = new Map<string, ErrorEnvelope>();

  async enqueue(id: string, data: T): Promise<void> {
    if (this.active.has(id) || this.waiting.some((j) => j.id === id)) return;
    this.waiting.push({ id, data, attempts: 0 });
  }

  async dequeue(): Promise<QueuedJob<T> | undefined> {
    const j = this.waiting.shift();
    if (!j) return undefined;
    j.attempts++;
    this.active.set(j.id, j);
    return j;
  }

  async ack(id: string): Promise<void> {
    this.active.delete(id);
  }

  async fail(id: string, error: ErrorEnvelope, retry = false): Promise<void> {
    const j = this.active.get(id);
    this.active.delete(id);
    if (retry && j) this.waiting.push(j);
    else this.failures.set(id, error);
  }

  async size(): Promise<number> {
    return this.waiting.length;
  }
}
