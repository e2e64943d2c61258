import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runBatch, type BatchEvent } from '../../../main/core/batch/index';
import { expandCells, loadBatchRecipe, planBatch } from '../../../main/core/batch/plan';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { createZoo } from '../../../main/core/zoo/repo/zoos';
import { importModels } from '../../../main/core/zoo/importer';
import { analyzeZoo } from '../../../main/core/zoo/analytics';
import { listJobs } from '../../../main/core/zoo/repo/jobs';
import { collectGarbage } from '../../../main/core/zoo/maintenance';
import { packageRoot } from '../../../main/core/paths';
import { devLoaderUrl } from '../../../main/core/jobs/dev-loader';
import { tempDir } from '../zoo/helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const RECIPE = path.join(here, 'grid.yaml');
const FAKE = path.join(here, 'fake-job.ts');
const DEMO = path.join(packageRoot, 'resources', 'demo-zoo', 'models');
const MODELS = ['mlp-w16-s1', 'cnn-c4-s1', 'mlp-w32-s2'].map((m) => path.join(DEMO, `${m}.onnx`));

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});
async function zooWith(models: string[]): Promise<string> {
  const t = tempDir('tf-batch-');
  dirs.push(t.cleanup);
  const db = openZoo(t.dir);
  createZoo(db, { name: 'pop' });
  await importModels(db, 'pop', models);
  return t.dir;
}

// node itself with tsx's loader (not the tsx CLI, which would put a second process in between
// and SIGKILL would hit the wrong one)
function tsx(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, ['--import', devLoaderUrl()!, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function consistency(dataDir: string) {
  const db = new Database(path.join(dataDir, 'zoo.sqlite'));
  const integrity = db.pragma('integrity_check');
  const fk = db.pragma('foreign_key_check');
  const twins = db.prepare('SELECT m.id, m.sha256 FROM twins t JOIN models m ON m.id = t.model_id').all() as { id: number; sha256: string }[];
  const missing = twins.filter((t) => !existsSync(path.join(dataDir, 'store', t.sha256.slice(0, 2), t.sha256)));
  const halfTwins = (db.prepare('SELECT count(*) AS n FROM twins t WHERE NOT EXISTS (SELECT 1 FROM layer_stats l WHERE l.model_id = t.model_id)').get() as { n: number }).n;
  db.close();
  return { integrity, fk, twins: twins.length, missing: missing.length, halfTwins };
}

describe('batch grid expansion', () => {
  it('crosses methods × patterns × levels, N:M cells dropping their level, with stable keys', async () => {
    const { recipe } = loadBatchRecipe(RECIPE);
    const cells = expandCells(recipe);
    expect(cells.map((c) => c.id)).toEqual([
      'method-magnitude_pattern-unstructured_sparsity-0.5',
      'method-magnitude_pattern-unstructured_sparsity-0.7',
      'method-magnitude_pattern-unstructured_sparsity-0.9',
      'method-magnitude_pattern-2-4',
      'method-sparsegpt_pattern-unstructured_sparsity-0.5',
      'method-sparsegpt_pattern-unstructured_sparsity-0.7',
      'method-sparsegpt_pattern-unstructured_sparsity-0.9',
      'method-sparsegpt_pattern-2-4',
    ]);
    const d = await zooWith(MODELS.slice(0, 2));
    const a = planBatch(openZoo(d), RECIPE, 'pop');
    const b = planBatch(openZoo(d), RECIPE, 'pop');
    expect(a.tasks).toHaveLength(16);
    expect(new Set(a.tasks.map((t) => t.key)).size).toBe(16);
    expect(a.tasks.map((t) => t.key)).toEqual(b.tasks.map((t) => t.key));
    expect(a.tasks[0].recipeYaml).toMatch(/^version: 1/);
    expect(a.tasks[0].recipe.model).toMatch(/^zoo:[0-9a-f]{64}$/);
  });

  it('refuses a zoo without models and a bad recipe', async () => {
    const d = await zooWith(MODELS.slice(0, 1));
    createZoo(openZoo(d), { name: 'empty' });
    expect(() => planBatch(openZoo(d), RECIPE, 'empty')).toThrow(/has no models/);
    expect(() => planBatch(openZoo(d), path.join(here, 'nope.yaml'), 'pop')).toThrow(/does not exist/);
    expect(() => planBatch(openZoo(d), { version: 1, model: 'x', stages: [{ type: 'prune', method: 'nosuch', sparsity: 0.5 }] }, 'pop')).toThrow(/nosuch/);
  });
});

describe('batch runs', () => {
  it('makes every twin in parallel workers, registers them with stats and evaluations, and a rerun does no new work', async () => {
    const d = await zooWith(MODELS);
    const events: BatchEvent[] = [];
    const s = await runBatch(RECIPE, { zoo: 'pop', dataDir: d, concurrency: 2, jobModule: FAKE, onEvent: (e) => events.push(e) });
    expect(s).toMatchObject({ models: 3, cells: 8, tasks: 24, skipped: 0, made: 24, failed: 0, cancelled: false });
    expect(events.filter((e) => e.type === 'twin')).toHaveLength(24);
    const a = analyzeZoo(openZoo(d), 'pop');
    expect(a.twins).toBe(24);
    expect(a.cells).toHaveLength(8);
    const c = a.cells.find((x) => x.method === 'magnitude' && x.level === 0.9)!;
    expect(c.twins).toBe(3);
    expect(c.agreement!.mean).toBeLessThan(1);
    expect(c.sparsity!.mean).toBeGreaterThan(0.85);
    expect(a.cells.find((x) => x.pattern === '2:4' && x.method === 'magnitude')!.level).toBe(0.5);
    expect(a.disparateImpact.twins.length).toBeGreaterThan(0);
    expect(a.dataset?.name).toBe('eval.npz');
    expect(a.layerProfiles[0].layers.length).toBeGreaterThan(0);
    // magnitude and "sparsegpt" of the stand-in job give the same masks: soup candidates
    expect(a.sharedMasks.length).toBeGreaterThan(0);
    expect(listJobs(openZoo(d), { kind: 'zoo.twin', state: 'done' })).toHaveLength(24);

    const again = await runBatch(RECIPE, { zoo: 'pop', dataDir: d, concurrency: 2, jobModule: FAKE });
    expect(again).toMatchObject({ tasks: 24, skipped: 24, made: 0, failed: 0 });
    expect(consistency(d)).toMatchObject({ integrity: [{ integrity_check: 'ok' }], fk: [], twins: 24, missing: 0, halfTwins: 0 });
  });

  it('records a failing cell and goes on; the rerun retries only it', async () => {
    const d = await zooWith(MODELS.slice(0, 1));
    process.env.FAKE_JOB_FAIL_CELL = 'method-magnitude_pattern-2-4';
    try {
      const s = await runBatch(RECIPE, { zoo: 'pop', dataDir: d, concurrency: 1, jobModule: FAKE });
      expect(s).toMatchObject({ made: 7, failed: 1 });
      expect(s.failures[0]).toMatchObject({ cell: 'method-magnitude_pattern-2-4', error: { code: 'BAD_INPUT' } });
    } finally {
      delete process.env.FAKE_JOB_FAIL_CELL;
    }
    const s2 = await runBatch(RECIPE, { zoo: 'pop', dataDir: d, concurrency: 1, jobModule: FAKE });
    expect(s2).toMatchObject({ skipped: 7, made: 1, failed: 0 });
  });

  it('stops on cancel (CANCELLED, summary attached) and resumes on the next run', async () => {
    const d = await zooWith(MODELS.slice(0, 1));
    const ac = new AbortController();
    process.env.FAKE_JOB_DELAY_MS = '150';
    let err: unknown;
    try {
      await runBatch(RECIPE, { zoo: 'pop', dataDir: d, concurrency: 1, jobModule: FAKE, signal: ac.signal, onEvent: (e) => e.type === 'twin' && ac.abort() });
    } catch (e) {
      err = e;
    } finally {
      delete process.env.FAKE_JOB_DELAY_MS;
    }
    expect(err).toMatchObject({ code: 'CANCELLED', details: { cancelled: true } });
    const made = (err as { details: { made: number } }).details.made;
    expect(made).toBeGreaterThanOrEqual(1);
    expect(made).toBeLessThan(8);
    const s = await runBatch(RECIPE, { zoo: 'pop', dataDir: d, concurrency: 2, jobModule: FAKE });
    expect(s).toMatchObject({ skipped: made, made: 8 - made, failed: 0 });
  });

  it('survives SIGKILL mid-run: the database is consistent and the rerun completes the grid', async () => {
    const d = await zooWith(MODELS);
    closeZoo(d);
    const child = tsx([path.join(here, 'run-batch.ts'), d, 'pop', RECIPE, '2'], { FAKE_JOB_DELAY_MS: '120' });
    let out = '';
    child.stderr.on('data', () => {});
    // kill once a few twins are registered (and others are in flight)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no twins after 30 s: ${out}`)), 30_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if ((out.match(/"type":"twin"/g) ?? []).length >= 5) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    // let the orphaned workers notice and exit
    await new Promise((r) => setTimeout(r, 300));
    const after = consistency(d);
    expect(after.integrity).toEqual([{ integrity_check: 'ok' }]);
    expect(after.fk).toEqual([]);
    expect(after.missing).toBe(0);
    expect(after.halfTwins).toBe(0);
    expect(after.twins).toBeGreaterThanOrEqual(5);
    expect(after.twins).toBeLessThan(24);

    const events: BatchEvent[] = [];
    const s = await runBatch(RECIPE, { zoo: 'pop', dataDir: d, concurrency: 2, jobModule: FAKE, onEvent: (e) => events.push(e) });
    expect(s.skipped).toBe(after.twins);
    expect(s.made).toBe(24 - after.twins);
    expect(s.failed).toBe(0);
    expect(consistency(d)).toMatchObject({ integrity: [{ integrity_check: 'ok' }], twins: 24, missing: 0, halfTwins: 0 });
    // files the killed run stored but never registered are garbage; collecting them keeps every twin whole
    const gc = collectGarbage(openZoo(d), 0);
    expect(gc.removed + gc.temps).toBeGreaterThanOrEqual(0);
    expect(consistency(d)).toMatchObject({ twins: 24, missing: 0 });
    // the killed run is marked interrupted
    const runs = openZoo(d).stmt<{ state: string }>('SELECT state FROM batch_runs ORDER BY id').all();
    expect(runs.map((r) => r.state)).toEqual(['failed', 'done']);
  });

  it('two processes reading while one writes never see a partial twin', async () => {
    const d = await zooWith(MODELS);
    closeZoo(d);
    const writer = tsx([path.join(here, 'run-batch.ts'), d, 'pop', RECIPE, '2'], { FAKE_JOB_DELAY_MS: '60' });
    const readers = [0, 1].map(() => tsx([path.join(here, 'read-twins.ts'), d, '24']));
    const collect = (p: ReturnType<typeof tsx>) =>
      new Promise<string>((resolve) => {
        let s = '';
        p.stdout.on('data', (b: Buffer) => (s += b.toString()));
        p.stderr.on('data', (b: Buffer) => (s += b.toString()));
        p.on('exit', () => resolve(s));
      });
    const [w, ...rs] = await Promise.all([collect(writer), ...readers.map(collect)]);
    expect(w).toContain('"made":24');
    for (const r of rs) {
      const res = JSON.parse(r.trim().split('\n').pop()!);
      expect(res.problems).toEqual([]);
      expect(res.maxSeen).toBe(24);
      // it watched the zoo grow, not just the end state
      expect(res.distinct).toBeGreaterThan(2);
    }
  });
});
