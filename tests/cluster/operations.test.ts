// Operating a grid on the cluster: `queue status` and `queue cancel` (the coordinator stops,
// cancelled in the zoo and in the GUI's zoo.grids), and a coordinator SIGKILLed mid-grid whose
// next run collects the twins finished meanwhile from Redis — each made once, none made twice.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { invoke } from '../../main/core/api/index';
import { closeZoo } from '../../main/core/zoo/db';
import { packageRoot } from '../../main/core/paths';
import { RedisProcess, WorkerProcess } from '../../main/core/cluster/harness';
import { GridBars } from '../../main/core/cluster/format';
import { tempDir } from '../core/zoo/helpers';
import { cli, demoZoo, gridFile, readZoo, TOKEN } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeZoo();
  while (cleanups.length) await cleanups.pop()!();
});

async function until<T>(f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('cluster operations', () => {
  it('lists queues and grids, and cancels a grid', async () => {
    const t = tempDir('tf-ops-');
    cleanups.push(t.cleanup);
    const redis = await RedisProcess.start();
    cleanups.push(() => redis.stop('SIGKILL'));
    const coord = path.join(t.dir, 'coord');
    await demoZoo(coord, ['mlp-w16-s1']);
    // No worker: the grid waits in the queue until cancelled.
    const running = cli(coord, ['run', gridFile(t.dir), '--zoo', 'demo', '--queue', redis.url, '--token', TOKEN]);
    const status = await until(async () => {
      const s = (await cli(t.dir, ['queue', 'status', '--queue', redis.url])).lines[0];
      return s.grids.length && s.queues[0]?.waiting === 8 ? s : undefined;
    });
    expect(status.queues).toEqual([expect.objectContaining({ name: 'tf-any', target: 'any', waiting: 8, active: 0 })]);
    expect(status.grids[0]).toMatchObject({ zoo: 'demo', total: 8, state: 'running' });
    const progress = (await invoke({ dataDir: coord, host: 'web' } as never, 'zoo.grids', { name: 'demo' })) as any[];
    expect(progress[0]).toMatchObject({ state: 'running', mode: 'cluster', total: 8, queued: 8, done: 0 });

    const c = await cli(t.dir, ['queue', 'cancel', status.grids[0].grid.slice(0, 8), '--queue', redis.url]);
    expect(c.lines[0]).toMatchObject({ cancelled: status.grids[0].grid, removed: 8 });
    const r = await running;
    expect(r.code).toBe(130);
    const after = (await invoke({ dataDir: coord, host: 'web' } as never, 'zoo.grids', { name: 'demo' })) as any[];
    expect(after[0]).toMatchObject({ state: 'cancelled', cancelled: 8, done: 0 });
    const s2 = (await cli(t.dir, ['queue', 'status', '--queue', redis.url])).lines[0];
    expect(s2.queues[0].waiting).toBe(0);
    expect((await cli(t.dir, ['queue', 'status', '--queue', 'redis://127.0.0.1:1'])).code).toBe(2);
  }, 120_000);

  it('a coordinator killed mid-grid collects on restart what the workers finished meanwhile', async () => {
    const t = tempDir('tf-ops-');
    cleanups.push(t.cleanup);
    const redis = await RedisProcess.start();
    cleanups.push(() => redis.stop('SIGKILL'));
    const coord = path.join(t.dir, 'coord');
    await demoZoo(coord, ['mlp-w16-s1']);
    closeZoo();
    const grid = gridFile(t.dir, ['magnitude']);
    const worker = new WorkerProcess({ url: redis.url, dataDir: path.join(t.dir, 'w'), sharedStore: coord, lockMs: 3000 });
    cleanups.push(() => worker.stop('SIGKILL'));
    await worker.ready(90_000);
    // The coordinator in its own process; files move through the shared store folder.
    const shared = ['run', grid, '--zoo', 'demo', '--queue', redis.url, '--shared-store', '--data-dir', coord, '--json'];
    const first = spawn(process.execPath, [path.join(packageRoot, 'bin', 'twinforge.mjs'), ...shared], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(async () => ((out.match(/"type":"twin"/g) ?? []).length >= 1 ? true : undefined), 90_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    // The worker goes on without its coordinator and finishes the grid.
    await until(async () => (worker.lines.filter((l) => l.type === 'done').length >= 4 ? true : undefined), 90_000);
    const before = readZoo(coord).twins.length;
    expect(before).toBeLessThan(4);

    const again = await cli(coord, ['run', grid, '--zoo', 'demo', '--queue', redis.url, '--shared-store']);
    const done = again.lines.at(-1);
    expect(done.failures).toEqual([]);
    expect(done).toMatchObject({ tasks: 4, skipped: before, made: 4 - before, failed: 0 });
    expect(worker.lines.filter((l) => l.type === 'done')).toHaveLength(4); // nothing made twice
    const z = readZoo(coord);
    expect(z.integrity).toBe('ok');
    expect(z.twins).toHaveLength(4);
    const runs = (await invoke({ dataDir: coord, host: 'web' } as never, 'zoo.grids', { name: 'demo' })) as any[];
    expect(runs.map((r) => r.state)).toEqual(['done', 'failed']); // the killed run is marked interrupted
  }, 240_000);

  it('fails a twin whose pipeline fails deterministically once, with its error, not again and again', async () => {
    const t = tempDir('tf-ops-');
    cleanups.push(t.cleanup);
    const redis = await RedisProcess.start();
    cleanups.push(() => redis.stop('SIGKILL'));
    const coord = path.join(t.dir, 'coord');
    await demoZoo(coord, ['mlp-w16-s1']);
    const worker = new WorkerProcess({ url: redis.url, dataDir: path.join(t.dir, 'w'), token: TOKEN, lockMs: 3000 });
    cleanups.push(() => worker.stop('SIGKILL'));
    await worker.ready(90_000);
    const recipe = path.join(t.dir, 'bad.yaml');
    writeFileSync(recipe, ['version: 1', 'model: x.onnx', 'inputShapes:', '  nope: [1, 64]', 'stages:', '  - type: prune', '    method: magnitude', '    sparsity: 0.5', 'grid:', '  stages[0].sparsity: [0.5, 0.7]', ''].join('\n'));
    const r = await cli(coord, ['run', recipe, '--zoo', 'demo', '--queue', redis.url, '--token', TOKEN]);
    expect(r.code).toBe(1);
    const done = r.lines.at(-1);
    expect(done).toMatchObject({ tasks: 2, made: 0, failed: 2 });
    for (const f of done.failures) expect(f.error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining("no input 'nope'") });
    const starts = worker.lines.filter((l) => l.type === 'start');
    expect(starts).toHaveLength(2);
    for (const s of starts) expect(s.attempt).toBe(1);
    expect(worker.lines.filter((l) => l.type === 'failed').every((l) => l.retry === false)).toBe(true);
  }, 120_000);

  it('passes a Redis password through (URL or environment)', async () => {
    const t = tempDir('tf-ops-');
    cleanups.push(t.cleanup);
    const redis = await RedisProcess.start(undefined, ['--requirepass', 's3cret']);
    cleanups.push(() => redis.stop('SIGKILL'));
    const url = `redis://127.0.0.1:${redis.port}`;
    const denied = await cli(t.dir, ['queue', 'status', '--queue', url]);
    expect(denied.code).toBe(2);
    expect(JSON.stringify(denied.lines)).toMatch(/NOAUTH|auth/i);
    const ok = await cli(t.dir, ['queue', 'status', '--queue', `redis://:s3cret@127.0.0.1:${redis.port}`]);
    expect(ok.code).toBe(0);
    expect(ok.lines[0].redis).toBe(`redis://:***@127.0.0.1:${redis.port}`);
    // Coordinator and worker refuse to start against it without the password, at once.
    const run = await cli(t.dir, ['run', gridFile(t.dir), '--zoo', 'demo', '--queue', url, '--shared-store']);
    expect(run.code).toBe(2);
    expect(JSON.stringify(run.lines)).toMatch(/NOAUTH/);
    expect((await cli(t.dir, ['worker', '--queue', url])).code).toBe(2);
    process.env.TWINFORGE_REDIS_PASSWORD = 's3cret';
    try {
      expect((await cli(t.dir, ['queue', 'status', '--queue', url])).code).toBe(0);
    } finally {
      delete process.env.TWINFORGE_REDIS_PASSWORD;
    }
  });

  it('draws the TTY block: the grid bar and one line per twin in hand with its worker', () => {
    const b = new GridBars();
    b.update({ type: 'plan', zoo: 'z', runId: 1, grid: 'g', models: 1, cells: 2, tasks: 2, skipped: 0, todo: 2, queues: ['tf-any'], redis: 'redis://h:1' });
    const frame = b.update({ type: 'start', key: 'k', model: 'm', cell: 'c1', worker: 'host:42' });
    expect(frame).toContain('0/2');
    expect(frame).toContain('host:42');
    const next = b.update({ type: 'twin', key: 'k', model: 'm', cell: 'c1', worker: 'host:42', twinId: 3, agreement: 1, cosine: 1, sparsity: 0.5, done: 1, total: 2 });
    expect(next).toContain('1/2');
    expect(next).toContain('\x1b[2F'); // redrawn in place over the previous two lines
  });
});
