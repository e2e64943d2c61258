// The cluster's edges without Redis: the connection URL (credentials and TLS passed through, bad
// URLs refused clearly), what a worker accepts as a job, queue names per target, and the store's
// blob routes on a real web host (hash checked both ways, token required).
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseRedisUrl, redact } from '../../main/core/cluster/connection';
import { queueNameOf, validateJob, jobIdOf, type ClusterJobData } from '../../main/core/cluster/jobs';
import { fetchToStore, uploadFromStore } from '../../main/core/cluster/transfer';
import { JobRunner } from '../../main/core/jobs/runner';
import { ModelStore } from '../../main/core/zoo/store';
import { startWebHost } from '../../main/web/server';
import { tempDir } from '../core/zoo/helpers';
import { TOKEN } from './helpers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('Redis URL', () => {
  it('passes user, password, database and TLS through', () => {
    const c = parseRedisUrl('rediss://alice:s%40cret@redis.example:6380/3', { TWINFORGE_REDIS_TLS_INSECURE: '1' });
    expect(c).toMatchObject({ host: 'redis.example', port: 6380, db: 3, username: 'alice', password: 's@cret', maxRetriesPerRequest: null, tls: { servername: 'redis.example', rejectUnauthorized: false } });
    expect(parseRedisUrl('redis://127.0.0.1').port).toBe(6379);
    expect(parseRedisUrl('redis://h:1', { TWINFORGE_REDIS_PASSWORD: 'pw' }).password).toBe('pw');
    expect(parseRedisUrl('redis://h:1').tls).toBeUndefined();
    expect(redact('redis://alice:s%40cret@h:1/0')).toBe('redis://alice:***@h:1/0');
  });
  it('refuses what is not a Redis URL, naming the fix', () => {
    expect(() => parseRedisUrl('localhost:6379')).toThrow(/not (a|a Redis) URL/);
    expect(() => parseRedisUrl('http://h:1')).toThrow(/not a Redis URL \(scheme http:\)/);
    expect(() => parseRedisUrl('redis://h:1/x')).toThrow(/database number/);
    expect(() => parseRedisUrl('rediss://h:1', { TWINFORGE_REDIS_CA: '/no/such.pem' })).toThrow(/TWINFORGE_REDIS_CA/);
  });
});

describe('jobs', () => {
  const parent = 'a'.repeat(64);
  const data = 'b'.repeat(64);
  const good = (): ClusterJobData => ({
    v: 1,
    grid: 'c'.repeat(32),
    key: 'd'.repeat(64),
    parent: { sha256: parent, bytes: 10, name: 'm', format: 'onnx' },
    cellId: 'x',
    cellValues: {},
    recipe: { version: 1, model: `zoo:${parent}`, calibration: { source: `store:${data}` }, evaluation: { source: 'synthetic' } },
    recipeYaml: 'version: 1',
    files: { [`store:${data}`]: { sha256: data, bytes: 5, ext: '.npz' } },
    target: null,
    store: { url: 'http://127.0.0.1:1' },
  });
  it('accepts a job naming only store files, and routes by target', () => {
    expect(validateJob(good()).key).toBe('d'.repeat(64));
    expect(queueNameOf(null)).toBe('tf-any');
    expect(queueNameOf('nvidia-hopper:ort-cuda')).toBe('tf-nvidia-hopper~ort-cuda');
    expect(jobIdOf('d'.repeat(64))).not.toContain(':');
  });
  it('refuses jobs reaching outside the coordinator store', () => {
    const cases: [string, (j: ClusterJobData) => void][] = [
      ['a data path', (j) => ((j.recipe.calibration as Record<string, unknown>).source = '/etc/passwd')],
      ['labels path', (j) => ((j.recipe.evaluation as Record<string, unknown>).labels = '../labels.npy')],
      ['another model', (j) => (j.recipe.model = '/models/x.onnx')],
      ['a profile file', (j) => (j.recipe.target = '/tmp/p.json')],
      ['a bad hash', (j) => (j.parent.sha256 = '../../etc')],
      ['a forged file entry', (j) => (j.files[`store:${data}`].sha256 = parent)],
    ];
    for (const [what, spoil] of cases) {
      const j = good();
      spoil(j);
      expect(() => validateJob(j), what).toThrow(/Refused a cluster job/);
    }
  });
});

describe('store blobs over the web host', () => {
  it('serves by hash, stores only bodies that hash to their name, needs the token', async () => {
    const t = tempDir('tf-blobs-');
    cleanups.push(t.cleanup);
    const coord = path.join(t.dir, 'coord');
    const jobs = new JobRunner({ dataDir: coord });
    const web = await startWebHost({ port: 0, dataDir: coord, jobs, rendererDir: path.join(t.dir, 'ui'), token: TOKEN });
    cleanups.push(async () => {
      await jobs.shutdown();
      await web.close();
    });
    const base = `http://127.0.0.1:${web.port}/api/blobs/`;
    const body = Buffer.from('twin bytes '.repeat(1000));
    const h = { 'x-twinforge-token': TOKEN };

    expect((await fetch(base + sha(body), { method: 'PUT', body })).status).toBe(401);
    const bad = await fetch(base + sha('other'), { method: 'PUT', body, headers: h });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/hash mismatch/);
    expect(new ModelStore(coord).list()).toEqual([]);
    expect((await fetch(base + 'not-a-hash', { headers: h })).status).toBe(400);
    expect((await fetch(base + sha('missing'), { headers: h })).status).toBe(404);

    const ok = await fetch(base + sha(body), { method: 'PUT', body, headers: h });
    expect(ok.status).toBe(201);
    const got = await fetch(base + sha(body), { headers: h });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);

    // The worker side: fetch into its own store, upload from it, both verified.
    const worker = new ModelStore(path.join(t.dir, 'worker'));
    const access = { url: `http://127.0.0.1:${web.port}`, token: TOKEN };
    const file = await fetchToStore(access, sha(body), worker);
    expect(readFileSync(file).equals(body)).toBe(true);
    const twin = path.join(t.dir, 'twin.bin');
    writeFileSync(twin, 'a new twin');
    const stored = worker.importFile(twin);
    await uploadFromStore(access, stored.sha256, worker);
    expect(new ModelStore(coord).has(stored.sha256)).toBe(true);
    await expect(fetchToStore({ ...access, token: 'wrong-token-wrong-token' }, sha('x'), worker)).rejects.toThrow(/401/);
  });
});
