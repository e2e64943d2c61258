// Routing and refusal on a real cluster: cells naming a target run only on the worker that serves
// that target, and the zoo holds the latency measured there next to the latency model's estimate;
// a job naming a file outside the coordinator store fails once (no retry) on whichever worker
// takes it; a worker naming an unknown target stops at once with a clear error.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Job, Queue } from 'bullmq';
import { closeZoo } from '../../main/core/zoo/db';
import { parseRedisUrl } from '../../main/core/cluster/connection';
import { PREFIX, queueNameOf } from '../../main/core/cluster/jobs';
import { RedisProcess, WorkerProcess } from '../../main/core/cluster/harness';
import { tempDir } from '../core/zoo/helpers';
import { cli, DEMO, demoZoo, TOKEN } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  closeZoo();
  while (cleanups.length) await cleanups.pop()!();
});

describe('cluster routing and refusal', () => {
  it('sends targeted cells only to that target, records measured and estimated latency, refuses foreign files once', async () => {
    const t = tempDir('tf-route-');
    cleanups.push(t.cleanup);
    const redis = await RedisProcess.start();
    cleanups.push(() => redis.stop('SIGKILL'));
    const coord = path.join(t.dir, 'coord');
    await demoZoo(coord, ['mlp-w16-s1']);

    // An unknown target is refused before the worker connects anywhere.
    const bad = await cli(path.join(t.dir, 'w-bad'), ['worker', '--queue', redis.url, '--targets', 'no-such-target']);
    expect(bad.code).toBe(2);

    const plain = new WorkerProcess({ url: redis.url, dataDir: path.join(t.dir, 'w-plain'), token: TOKEN, lockMs: 3000 });
    const avx2 = new WorkerProcess({ url: redis.url, dataDir: path.join(t.dir, 'w-avx2'), token: TOKEN, lockMs: 3000, targets: ['x86-avx2'] });
    cleanups.push(() => plain.stop('SIGKILL'), () => avx2.stop('SIGKILL'));
    const [pReady, aReady] = await Promise.all([plain.ready(90_000), avx2.ready(90_000)]);
    expect(pReady.queues).toEqual(['tf-any']);
    expect(aReady.queues).toEqual(['tf-any', 'tf-x86-avx2']);

    const recipe = path.join(t.dir, 'routed.yaml');
    writeFileSync(
      recipe,
      ['version: 1', 'name: routed', `model: ${DEMO}/models/mlp-w16-s1.onnx`, 'target: x86-avx2', 'stages:', '  - type: prune', '    method: magnitude', '    sparsity: 0.5', 'grid:', '  stages[0].pattern: [unstructured, "2:4"]', '  stages[0].sparsity: [0.5, 0.7]', ''].join('\n'),
    );
    const pending = cli(coord, ['run', recipe, '--zoo', 'demo', '--queue', redis.url, '--token', TOKEN]);
    const r = await pending;
    const done = r.lines.at(-1);
    expect(done.failures).toEqual([]);
    expect(done).toMatchObject({ tasks: 3, made: 3, failed: 0 });
    expect(Object.keys(done.workers)).toEqual([aReady.worker && (aReady.worker as { name: string }).name]);
    expect(plain.lines.some((l) => l.type === 'start')).toBe(false);

    // The zoo (what the GUI's panel reads) names the worker that held each twin.
    const db = new Database(path.join(coord, 'zoo.sqlite'), { readonly: true });
    try {
      const held = db.prepare(`SELECT json_extract(progress, '$.worker') AS worker FROM jobs WHERE kind = 'zoo.twin'`).all() as { worker: string }[];
      expect(held.map((h) => h.worker)).toEqual(Array(3).fill((aReady.worker as { name: string }).name));
      const rows = db.prepare(`SELECT b.target, b.runtime, b.estimated, b.host FROM benchmarks b JOIN twins t ON t.model_id = b.model_id ORDER BY b.estimated`).all() as { target: string; runtime: string; estimated: number; host: string | null }[];
      expect(rows.filter((x) => x.estimated === 0).length).toBe(3);
      expect(rows.filter((x) => x.estimated === 1).length).toBe(3);
      for (const x of rows) expect(x.target).toBe('x86-avx2');
      for (const x of rows.filter((y) => y.estimated === 0)) expect(x.host).toBeTruthy();
    } finally {
      db.close();
    }

    // A forged job naming a file outside the store: refused, failed after one try.
    const q = new Queue(queueNameOf(null), { connection: parseRedisUrl(redis.url), prefix: PREFIX });
    cleanups.push(() => q.close());
    const parent = 'e'.repeat(64);
    await q.add(
      'twin',
      { v: 1, grid: 'f'.repeat(32), key: '1'.repeat(64), parent: { sha256: parent, bytes: 1, name: 'x', format: 'onnx' }, cellId: '', cellValues: {}, recipe: { version: 1, model: `zoo:${parent}`, calibration: { source: '/etc/passwd' } }, recipeYaml: '', files: {}, target: null, store: { url: null } },
      { jobId: 'forged', attempts: 3 },
    );
    let job: Job | undefined;
    for (let i = 0; i < 200; i++) {
      job = await Job.fromId(q, 'forged');
      if (job && (await job.getState()) === 'failed') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(await job!.getState()).toBe('failed');
    // read again now that it failed: the copy fetched before the state check can predate the attempt count
    job = await Job.fromId(q, 'forged');
    expect(job!.attemptsMade).toBe(1);
    expect(JSON.parse(job!.failedReason)).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('/etc/passwd') });
  }, 240_000);
});
