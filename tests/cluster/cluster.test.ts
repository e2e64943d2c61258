// The scale-out acceptance path with real parts: a private redis-server, `twinforge worker`
// processes started through the CLI, the coordinator (`twinforge run GRID --zoo --queue`) in this
// process. Scaled to CI: two demo models (the full grid: 2 methods × 50/70/90 % and 2:4 = 16
// twins) for the comparison with the single-machine run, the magnitude half (8 twins) for the
// fault tests. The full 14-model demo zoo runs the same code (`twinforge bench queue`).
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { closeZoo } from '../../main/core/zoo/db';
import { RedisProcess, WorkerProcess } from '../../main/core/cluster/harness';
import { tempDir } from '../core/zoo/helpers';
import { cli, demoZoo, gridFile, readZoo, TOKEN } from './helpers';

const MODELS = ['mlp-w16-s1', 'cnn-c4-s1'];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeZoo();
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(nWorkers: number, lockMs = 3000) {
  const t = tempDir('tf-cluster-');
  cleanups.push(t.cleanup);
  const redis = await RedisProcess.start();
  cleanups.push(() => redis.stop('SIGKILL'));
  const coord = path.join(t.dir, 'coord');
  await demoZoo(coord, MODELS);
  const workers = Array.from({ length: nWorkers }, (_, i) => new WorkerProcess({ url: redis.url, dataDir: path.join(t.dir, `w${i}`), token: TOKEN, lockMs }));
  for (const w of workers) cleanups.push(() => w.stop('SIGKILL'));
  await Promise.all(workers.map((w) => w.ready(90_000)));
  return { dir: t.dir, redis, coord, workers };
}

function runGrid(coord: string, grid: string, url: string) {
  return cli(coord, ['run', grid, '--zoo', 'demo', '--queue', url, '--token', TOKEN]);
}

describe('twinforge run --zoo --queue with twinforge worker', () => {
  it('runs the demo grid through two workers: every twin once, same metrics as one machine', async () => {
    const { dir, redis, coord, workers } = await setup(2);
    const grid = gridFile(dir);
    const r = await runGrid(coord, grid, redis.url);
    const done = r.lines.at(-1);
    expect(done.failures).toEqual([]);
    expect(r.code).toBe(0);
    expect(done).toMatchObject({ models: 2, cells: 8, tasks: 16, made: 16, failed: 0 });
    // Both workers took part, and the coordinator saw who ran what.
    expect(Object.keys(done.workers)).toHaveLength(2);
    expect(r.lines.filter((l) => l.type === 'start').map((l) => l.worker)).toEqual(expect.arrayContaining(workers.map((w) => expect.stringContaining(':'))));

    const cluster = readZoo(coord);
    expect(cluster.integrity).toBe('ok');
    expect(cluster.twins).toHaveLength(16);
    expect(new Set(cluster.twins.map((t) => t.grid_key)).size).toBe(16);
    expect(cluster.jobs).toEqual([{ state: 'done', n: 16 }]);

    // The same grid on one machine (local worker pool) gives the same twins and scores.
    const local = path.join(dir, 'local');
    await demoZoo(local, MODELS);
    const l = await cli(local, ['run', grid, '--zoo', 'demo']);
    expect(l.code).toBe(0);
    const single = readZoo(local);
    expect(single.twins.map((t) => t.grid_key)).toEqual(cluster.twins.map((t) => t.grid_key));
    for (const [i, a] of cluster.twins.entries()) {
      const b = single.twins[i];
      // (The files themselves differ: the twin's metadata records the data paths each machine used.)
      expect(a.mask_hash).toBe(b.mask_hash);
      expect(a.sparsity).toBe(b.sparsity);
      expect(a.agreement).toBe(b.agreement);
      expect(a.cosine).toBeCloseTo(b.cosine!, 6);
      expect(a.accuracy).toBe(b.accuracy);
    }

    // A rerun (or a second coordinator) queues nothing new.
    const again = await runGrid(coord, grid, redis.url);
    expect(again.lines.at(-1)).toMatchObject({ tasks: 16, skipped: 16, made: 0, failed: 0 });
  }, 240_000);

  it('finishes with every twin once when a worker is SIGKILLed mid-job', async () => {
    const { dir, redis, coord, workers } = await setup(2);
    const grid = gridFile(dir, ['magnitude']);
    const [victim] = workers;
    // Kill the first worker as soon as it has a job in hand (its second, so the grid is under way).
    let killedJob = '';
    void victim.waitFor((l) => l.type === 'start' && victim.lines.filter((x) => x.type === 'start').length >= 2, 120_000).then(async (l) => {
      killedJob = String(l.job);
      await victim.stop('SIGKILL');
    });
    const r = await runGrid(coord, grid, redis.url);
    const done = r.lines.at(-1);
    expect(killedJob).not.toBe('');
    expect(victim.lines.some((l) => l.type === 'done' && l.job === killedJob)).toBe(false); // it never finished there
    expect(workers[1].lines.some((l) => l.type === 'done' && l.job === killedJob)).toBe(true); // retried elsewhere
    expect(done.failures).toEqual([]);
    expect(done).toMatchObject({ tasks: 8, made: 8, failed: 0 });
    const z = readZoo(coord);
    expect(z.integrity).toBe('ok');
    expect(z.twins).toHaveLength(8);
    expect(new Set(z.twins.map((t) => t.grid_key)).size).toBe(8);
  }, 240_000);

  it('finishes when Redis restarts (empty) in the middle of the grid', async () => {
    const { dir, redis, coord, workers } = await setup(2);
    const grid = gridFile(dir, ['magnitude']);
    let restarted = false;
    void Promise.race(workers.map((w) => w.waitFor((l) => l.type === 'done', 120_000))).then(async () => {
      await redis.restart(800);
      restarted = true;
    });
    const r = await runGrid(coord, grid, redis.url);
    const done = r.lines.at(-1);
    expect(restarted).toBe(true);
    expect(done.failures).toEqual([]);
    expect(done).toMatchObject({ tasks: 8, made: 8, failed: 0 });
    expect(done.requeued).toBeGreaterThan(0); // the jobs Redis lost were queued again
    const z = readZoo(coord);
    expect(z.integrity).toBe('ok');
    expect(z.twins).toHaveLength(8);
  }, 240_000);
});
