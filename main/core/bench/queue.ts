// `twinforge bench queue`: the demo grid through the cluster with 1 and then 2 workers, in one
// run on one machine — throughput (twins per second) of each and their ratio — and the queue's
// overhead per job: what a twin costs beyond the worker's own time (enqueue, pickup, events,
// transfer, registration), plus BullMQ's bare round trip for a job that does nothing. Everything
// is real: a private redis-server, `twinforge worker` processes, the coordinator in this process.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { badInput } from '../errors';
import { packageRoot } from '../paths';
import { closeZoo, openZoo } from '../zoo/db';
import { importModels } from '../zoo/importer';
import { createZoo } from '../zoo/repo/zoos';
import { runClusterBatch, type ClusterSummary } from '../cluster/coordinator';
import { parseRedisUrl } from '../cluster/connection';
import { RedisProcess, ServeProcess, WorkerProcess } from '../cluster/harness';
import { registerBench, type BenchArgs, type BenchContext } from './registry';

const DEMO = path.join(packageRoot, 'resources', 'demo-zoo');

export interface QueueRun {
  workers: number;
  twins: number;
  wallMs: number;
  twinsPerSecond: number;
  /** Sum of the workers' own time per twin (fetch, make, upload). */
  workerMs: number;
  /** (workers × wall − worker time) / twins: time a worker slot spent not making a twin, per twin. */
  overheadMsPerJob: number;
  byWorker: Record<string, number>;
}

export interface BenchQueueResult {
  models: number;
  cells: number;
  cores: number;
  loadavg: number[];
  runs: QueueRun[];
  ratio: number;
  /** BullMQ alone: add → processed → completion event seen, for an empty job (ms per job, sequential). */
  bareRoundTripMs: number;
}

async function gridRun(nWorkers: number, models: string[], dir: string, log: (l: string) => void): Promise<QueueRun> {
  // A fresh Redis per run: the second run must not find the first run's finished jobs.
  const redis = await RedisProcess.start();
  const coord = path.join(dir, `coord-${nWorkers}`);
  const db = openZoo(coord);
  createZoo(db, { name: 'demo' });
  await importModels(db, 'demo', models);
  closeZoo();
  // The coordinator's store is served as in production: the web host, in its own process here.
  const web = await ServeProcess.start(coord);
  const workers = Array.from({ length: nWorkers }, (_, i) => new WorkerProcess({ url: redis.url, dataDir: path.join(dir, `w${nWorkers}-${i}`), token: web.token, concurrency: 1 }));
  try {
    await Promise.all(workers.map((w) => w.ready(120_000)));
    log(`${nWorkers} worker(s) ready; running the grid`);
    const t0 = performance.now();
    const s: ClusterSummary = await runClusterBatch(path.join(DEMO, 'grid.yaml'), { zoo: 'demo', dataDir: coord, redisUrl: redis.url, storeUrl: web.url, sweepMs: 1000 });
    const wallMs = performance.now() - t0;
    if (s.failed) throw new Error(`${s.failed} twin(s) failed: ${s.failures[0]?.error.message}`);
    const workerMs = workers.flatMap((w) => w.lines.filter((l) => l.type === 'done').map((l) => Number(l.ms))).reduce((a, b) => a + b, 0);
    return { workers: nWorkers, twins: s.made, wallMs, twinsPerSecond: s.made / (wallMs / 1000), workerMs, overheadMsPerJob: (nWorkers * wallMs - workerMs) / s.made, byWorker: s.workers };
  } finally {
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    await web.stop();
    closeZoo();
    await redis.stop('SIGKILL');
  }
}

/** BullMQ's own cost per job: sequential add → no-op worker → completed event, on the same Redis. */
async function bareRoundTrip(url: string, n = 200): Promise<number> {
  const connection = parseRedisUrl(url);
  const name = `tf-bench-${process.pid}`;
  const q = new Queue(name, { connection, prefix: 'twinforge-bench' });
  const ev = new QueueEvents(name, { connection, prefix: 'twinforge-bench' });
  const w = new Worker(name, async () => 1, { connection, prefix: 'twinforge-bench' });
  try {
    await Promise.all([ev.waitUntilReady(), w.waitUntilReady()]);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const job = await q.add('noop', { i });
      await job.waitUntilFinished(ev, 10_000);
    }
    return (performance.now() - t0) / n;
  } finally {
    await w.close();
    await ev.close();
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
  }
}

export async function benchQueue(opts: { models?: number; log?: (l: string) => void }): Promise<BenchQueueResult> {
  const all = readdirSync(path.join(DEMO, 'models')).filter((f) => f.endsWith('.onnx')).sort().map((f) => path.join(DEMO, 'models', f));
  const models = all.slice(0, opts.models ?? all.length);
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-bench-queue-'));
  try {
    const redis = await RedisProcess.start();
    const bare = await bareRoundTrip(redis.url).finally(() => redis.stop('SIGKILL'));
    log(`BullMQ bare round trip: ${bare.toFixed(2)} ms/job`);
    const one = await gridRun(1, models, dir, log);
    log(`1 worker: ${one.twins} twins in ${(one.wallMs / 1000).toFixed(1)} s`);
    const two = await gridRun(2, models, dir, log);
    log(`2 workers: ${two.twins} twins in ${(two.wallMs / 1000).toFixed(1)} s`);
    return { models: models.length, cells: one.twins / models.length, cores: os.availableParallelism(), loadavg: os.loadavg(), runs: [one, two], ratio: two.twinsPerSecond / one.twinsPerSecond, bareRoundTripMs: bare };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

registerBench({
  name: 'queue',
  summary: 'Cluster throughput: the demo grid through BullMQ with 1 vs 2 workers, and queue overhead per job',
  options: { models: { type: 'string' } },
  usage: '  --models N   use the first N demo-zoo models (default: all 14; 8 twins each)',
  async run(args: BenchArgs, ctx: BenchContext) {
    const n = args.values.models === undefined ? undefined : Number(args.values.models);
    if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw badInput(`--models must be a positive whole number, not '${String(args.values.models)}'.`);
    const r = await benchQueue({ models: n, log: (l) => ctx.err(`${l}\n`), });
    if (ctx.json) return void ctx.out(JSON.stringify(r) + '\n');
    const lines = [
      `demo grid on ${r.models} model(s) × ${r.cells} cell(s), single-threaded workers, ${r.cores} cores (load ${r.loadavg.map((x) => x.toFixed(1)).join(' ')})`,
      ...r.runs.map((x) => `  ${x.workers} worker(s): ${x.twins} twins in ${(x.wallMs / 1000).toFixed(1)} s = ${x.twinsPerSecond.toFixed(2)} twins/s; queue overhead ${x.overheadMsPerJob.toFixed(0)} ms/job (worker time ${(x.workerMs / x.twins).toFixed(0)} ms/twin)`),
      `  throughput ratio 2 vs 1 workers: ${r.ratio.toFixed(2)}x`,
      `  BullMQ bare round trip (empty job, sequential): ${r.bareRoundTripMs.toFixed(2)} ms/job`,
    ];
    ctx.out(lines.join('\n') + '\n');
  },
});
