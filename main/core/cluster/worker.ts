// `twinforge worker`: pulls twin jobs from BullMQ (the 'any' queue plus one queue per target this
// machine advertises), fetches the parent and data files by sha256 into its own store, makes the
// twin in a worker process with the batch's own job module, uploads the twin (verified by hash on
// both ends) and returns the rows for the coordinator to register. It never writes a zoo.
// Deterministic failures (bad model, bad recipe) fail once with their error; crashes and network
// trouble are retried; a SIGKILLed worker's job is found stalled by BullMQ and run elsewhere.
import { linkSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { toEnvelope, type ErrorEnvelope } from '../errors';
import { DEFAULT_JOB_MODULE } from '../batch/index';
import type { TwinTask } from '../batch/queue';
import type { JobProgress } from '../jobs/types';
import { ModelStore } from '../zoo/store';
import { parseRedisUrl, probeRedis, redact } from './connection';
import { GRIDS_KEY, PREFIX, queueNameOf, validateJob, type ClusterJobData, type ClusterJobResult, type WorkerIdentity } from './jobs';
import { TwinSlot } from './slot';
import { fetchToStore, uploadFromStore, type StoreAccess } from './transfer';

/** Error codes that mean "this job will fail the same way anywhere": no retry. */
const DETERMINISTIC = new Set<ErrorEnvelope['code']>(['BAD_INPUT', 'NOT_FOUND', 'UNSUPPORTED', 'CORRUPT_MODEL', 'GATE_FAILED', 'FORBIDDEN', 'NOT_IMPLEMENTED', 'CANCELLED']);
/** Redis hash of live workers (name -> identity + heartbeat), for `queue status` and the GUI. */
export const WORKERS_KEY = `${PREFIX}:workers`;
const HEARTBEAT_MS = 5000;

export interface ClusterWorkerOptions {
  redisUrl: string;
  /** This worker's own data folder: its store caches parents and holds twins until uploaded. */
  dataDir: string;
  concurrency?: number;
  /** Targets (hardware profile ids) this machine measures for, besides untargeted jobs. */
  targets?: string[];
  token?: string;
  /** The coordinator's data folder, when mounted here (files move by the file system). */
  sharedDataDir?: string;
  /** BullMQ lock: a worker silent this long (killed, cut off) loses its job to another. */
  lockMs?: number;
  /** Test hook: a module exporting makeTwin (default: the real pipeline). */
  jobModule?: string;
  onEvent?: (e: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'ready'; worker: WorkerIdentity; queues: string[]; redis: string }
  | { type: 'start'; job: string; model: string; cell: string; attempt: number }
  | { type: 'done'; job: string; model: string; cell: string; ms: number; twin: string }
  | { type: 'failed'; job: string; model: string; cell: string; error: ErrorEnvelope; retry: boolean }
  | { type: 'error'; message: string };

export interface ClusterWorker {
  identity: WorkerIdentity;
  /** Stops taking jobs, waits for the ones in hand, disconnects. */
  close(): Promise<void>;
}

/** What this machine is: host, the targets it serves, its ISA and GPU (best effort). */
export async function workerIdentity(targets: string[]): Promise<WorkerIdentity> {
  let isa: string | null = null;
  let gpu: string | null = null;
  try {
    const { nativeInfo } = await import('../native/addon');
    isa = nativeInfo().isa;
    const { cudaInfo } = await import('../native/cuda');
    const c = cudaInfo() as { devices: number; deviceList?: { name?: string }[] };
    if (c.devices > 0) gpu = c.deviceList?.[0]?.name ?? `${c.devices} CUDA device(s)`;
  } catch {
    // no addon here: the worker still runs ORT-only work
  }
  return { name: `${os.hostname()}:${process.pid}`, host: os.hostname(), targets, isa, gpu };
}

/** Starts a worker; resolves once it listens on its queues. */
export async function startClusterWorker(opts: ClusterWorkerOptions): Promise<ClusterWorker> {
  const conn = parseRedisUrl(opts.redisUrl);
  (await probeRedis(opts.redisUrl)).disconnect(); // a wrong address or password fails the start, clearly
  const targets = [...new Set(opts.targets ?? [])];
  for (const t of targets) queueNameOf(t); // checks the names
  const identity = await workerIdentity(targets);
  const store = new ModelStore(opts.dataDir);
  const filesDir = path.join(path.resolve(opts.dataDir), 'cluster-files');
  mkdirSync(filesDir, { recursive: true });
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const emit = opts.onEvent ?? (() => {});
  const lockMs = opts.lockMs ?? 30_000;
  const slots = Array.from({ length: concurrency }, () => new TwinSlot());
  const free = [...slots];
  const waiting: ((s: TwinSlot) => void)[] = [];
  // Jobs from several queues share the slots: a job taken while all are busy waits here.
  const takeSlot = () => new Promise<TwinSlot>((resolve) => (free.length ? resolve(free.pop()!) : waiting.push(resolve)));
  const giveSlot = (s: TwinSlot) => (waiting.length ? waiting.shift()!(s) : free.push(s));
  const redis = new Redis({ ...conn, lazyConnect: false });
  redis.on('error', () => {}); // reconnects on its own; the workers report trouble

  const heartbeat = () => redis.hset(WORKERS_KEY, identity.name, JSON.stringify({ ...identity, concurrency, seen: Date.now() })).catch(() => {});
  await heartbeat();
  const beat = setInterval(() => void heartbeat(), HEARTBEAT_MS);

  const processor = async (job: Job<ClusterJobData, ClusterJobResult>): Promise<ClusterJobResult> => {
    const t0 = Date.now();
    let data: ClusterJobData;
    try {
      data = validateJob(job.data);
    } catch (e) {
      throw asJobError(toEnvelope(e));
    }
    const label = { job: job.id ?? '', model: data.parent.name, cell: data.cellId || '(no grid)' };
    emit({ type: 'start', ...label, attempt: job.attemptsMade + 1 });
    const grid = await redis.hget(GRIDS_KEY, data.grid);
    if (grid && (JSON.parse(grid) as { state?: string }).state === 'cancelled') throw asJobError({ code: 'CANCELLED', message: 'The grid was cancelled.' });
    let last = 0;
    const report = (p: Partial<JobProgress>) => {
      const now = Date.now();
      if (now - last < 500 && p.stage !== 'fetch') return;
      last = now;
      void job.updateProgress({ worker: identity.name, done: 0, total: 1, stage: 'run', ...p }).catch(() => {});
    };
    report({ stage: 'fetch' });
    const slot = await takeSlot();
    try {
      const access: StoreAccess = { url: data.store.url, token: opts.token, sharedDataDir: opts.sharedDataDir };
      const parentFile = await fetchToStore(access, data.parent.sha256, store);
      const local = new Map<string, string>();
      for (const [ref, f] of Object.entries(data.files)) local.set(ref, materialize(await fetchToStore(access, f.sha256, store), filesDir, f.sha256, f.ext));
      const recipe = structuredClone(data.recipe);
      for (const k of ['calibration', 'evaluation'] as const) {
        const spec = recipe[k] as Record<string, unknown> | undefined;
        for (const f of ['source', 'labels'] as const) if (spec && typeof spec[f] === 'string' && local.has(spec[f] as string)) spec[f] = local.get(spec[f] as string);
      }
      const task: TwinTask = {
        key: data.key,
        parentId: 0,
        parentSha256: data.parent.sha256,
        parentName: data.parent.name,
        parentFile,
        parentFormat: data.parent.format,
        cellId: data.cellId,
        cellValues: data.cellValues,
        recipe,
        recipeYaml: data.recipeYaml,
        baseDir: filesDir,
      };
      const result = await slot.run({ task, jobModule: opts.jobModule ?? DEFAULT_JOB_MODULE, dataDir: path.resolve(opts.dataDir), onProgress: (p) => report(p) });
      await uploadFromStore(access, result.model.sha256, store);
      // The twin lives on in the coordinator's store; this cache keeps parents only.
      if (!opts.sharedDataDir || new ModelStore(opts.sharedDataDir).root !== store.root) store.remove(result.model.sha256);
      for (const b of [...result.benchmarks, ...(result.parentBenchmarks ?? [])]) if (!b.estimated) b.host = identity.host;
      const ms = Date.now() - t0;
      emit({ type: 'done', ...label, ms, twin: result.model.sha256 });
      return { result, worker: identity, ms };
    } catch (e) {
      const env = toEnvelope(e);
      const retry = !DETERMINISTIC.has(env.code);
      emit({ type: 'failed', ...label, error: env, retry });
      throw asJobError(env);
    } finally {
      giveSlot(slot);
    }
  };

  const queues = ['any', ...targets].map((t) => queueNameOf(t === 'any' ? null : t));
  const workers = queues.map(
    (q) =>
      new Worker<ClusterJobData, ClusterJobResult>(q, processor, {
        connection: conn,
        prefix: PREFIX,
        name: identity.name,
        // One pool of slots serves every queue (takeSlot): with several queues a job may be
        // taken while the slots are busy and wait for one, still locked to this worker.
        concurrency,
        lockDuration: lockMs,
        stalledInterval: Math.max(1000, Math.floor(lockMs / 2)),
        maxStalledCount: 3,
        autorun: false,
      }),
  );
  for (const w of workers) {
    w.on('error', (e) => emit({ type: 'error', message: e.message }));
    void w.run().catch((e: Error) => emit({ type: 'error', message: e.message }));
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  emit({ type: 'ready', worker: identity, queues, redis: redact(opts.redisUrl) });

  return {
    identity,
    async close() {
      clearInterval(beat);
      await Promise.all(workers.map((w) => w.close()));
      for (const s of slots) s.close();
      await redis.hdel(WORKERS_KEY, identity.name).catch(() => {});
      redis.disconnect();
    },
  };
}

/** The error BullMQ records: the envelope as JSON (the coordinator parses it back). */
function asJobError(env: ErrorEnvelope): Error {
  const text = JSON.stringify(env);
  return DETERMINISTIC.has(env.code) ? new UnrecoverableError(text) : new Error(text);
}

/** A data file under its own extension (readers go by it), linked from the store when possible. */
function materialize(stored: string, dir: string, sha: string, ext: string): string {
  const dest = path.join(dir, `${sha}${ext}`);
  if (existsSync(dest)) return dest;
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    linkSync(stored, tmp);
  } catch {
    copyFileSync(stored, tmp);
  }
  try {
    linkSync(tmp, dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return dest;
}

