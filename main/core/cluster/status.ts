// `twinforge queue status` and `queue cancel`: what the cluster's Redis holds — every Twinforge
// queue with its job counts, the live workers with what they advertise, and the grids with their
// state — and cancelling a grid (jobs no worker has taken yet are removed; the coordinator and
// the workers see the grid marked cancelled and stop).
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { badInput, TwinforgeError } from '../errors';
import { parseRedisUrl, probeRedis, redact } from './connection';
import { cancelGridJobs } from './coordinator';
import { GRIDS_KEY, PREFIX, type WorkerIdentity } from './jobs';
import { WORKERS_KEY } from './worker';

/** A worker whose heartbeat is older than this is reported gone. */
const WORKER_STALE_MS = 30_000;

export interface QueueStatus {
  redis: string;
  queues: { name: string; target: string; waiting: number; active: number; delayed: number; completed: number; failed: number }[];
  workers: (WorkerIdentity & { concurrency: number; seenMsAgo: number })[];
  grids: { grid: string; zoo: string; runId: number; total: number; state: string; coordinator: string; startedAt: string; queues: string[] }[];
}

async function queueNames(r: Redis): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await r.scan(cursor, 'MATCH', `${PREFIX}:tf-*:meta`, 'COUNT', 500);
    cursor = next;
    for (const k of keys) names.add(k.slice(PREFIX.length + 1, -':meta'.length));
  } while (cursor !== '0');
  return [...names].sort();
}

/** Counts per queue, live workers and grids, read from Redis. */
export async function queueStatus(url: string): Promise<QueueStatus> {
  const r = await probeRedis(url);
  const conn = parseRedisUrl(url);
  try {
    const out: QueueStatus = { redis: redact(url), queues: [], workers: [], grids: [] };
    for (const name of await queueNames(r)) {
      const q = new Queue(name, { connection: conn, prefix: PREFIX });
      try {
        const c = await q.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
        out.queues.push({ name, target: name.slice(3).replace(/~/g, ':'), waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0, completed: c.completed ?? 0, failed: c.failed ?? 0 });
      } finally {
        await q.close();
      }
    }
    const nowMs = Date.now();
    for (const [name, text] of Object.entries(await r.hgetall(WORKERS_KEY))) {
      try {
        const w = JSON.parse(text) as WorkerIdentity & { concurrency: number; seen: number };
        if (nowMs - w.seen > WORKER_STALE_MS) continue;
        out.workers.push({ name, host: w.host, targets: w.targets, isa: w.isa, gpu: w.gpu, concurrency: w.concurrency, seenMsAgo: nowMs - w.seen });
      } catch {
        // a foreign entry: skip it
      }
    }
    for (const text of Object.values(await r.hgetall(GRIDS_KEY))) {
      try {
        out.grids.push(JSON.parse(text) as QueueStatus['grids'][number]);
      } catch {
        // skip
      }
    }
    out.grids.sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt)));
    return out;
  } finally {
    r.disconnect();
  }
}

/** Marks a grid cancelled (id or unique prefix) and removes its jobs not yet taken; returns how many. */
export async function cancelGrid(url: string, gridPrefix: string): Promise<{ grid: string; removed: number }> {
  if (!/^[0-9a-f]{4,64}$/.test(gridPrefix)) throw badInput(`'${gridPrefix}' is not a grid id.`, '`twinforge queue status` lists the grids (a unique prefix of 4+ characters is enough).');
  const r = await probeRedis(url);
  const conn = parseRedisUrl(url);
  try {
    const all = await r.hgetall(GRIDS_KEY);
    const hits = Object.keys(all).filter((g) => g.startsWith(gridPrefix));
    if (hits.length !== 1) throw new TwinforgeError(hits.length ? 'BAD_INPUT' : 'NOT_FOUND', hits.length ? `Grid prefix '${gridPrefix}' matches ${hits.length} grids.` : `No grid '${gridPrefix}' on ${redact(url)}.`, '`twinforge queue status` lists the grids.');
    const grid = hits[0];
    const rec = JSON.parse(all[grid]) as { queues?: string[] };
    await r.hset(GRIDS_KEY, grid, JSON.stringify({ ...rec, state: 'cancelled' }));
    const queues = (rec.queues ?? []).map((n) => new Queue(n, { connection: conn, prefix: PREFIX }));
    try {
      return { grid, removed: await cancelGridJobs(grid, queues) };
    } finally {
      await Promise.all(queues.map((q) => q.close()));
    }
  } finally {
    r.disconnect();
  }
}
