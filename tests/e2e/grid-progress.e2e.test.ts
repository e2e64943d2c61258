// The zoo view's grid panel on a real cluster run: a demo model's grid made by a `twinforge
// worker` through a private redis-server, then the panel in Chromium — the finished run (done,
// cluster mode), and a second grid waiting in the queue (running, queued) until it is cancelled.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../main/cli/main';
import { packageRoot } from '../../main/core/paths';
import { RedisProcess, WorkerProcess } from '../../main/core/cluster/harness';
import { describeE2E, startApp, type App } from './support/harness';

const DEMO = path.join(packageRoot, 'resources', 'demo-zoo');
const TOKEN = 'e2e-grid-token-0123456789abcdef';

async function cli(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main([...argv, '--data-dir', dataDir, '--json'], { out: (s) => (out += s), err: () => {}, isTTY: false, signal: new AbortController().signal });
  return { code, out };
}

function grid(dir: string, name: string, levels: string): string {
  const f = path.join(dir, `${name}.yaml`);
  writeFileSync(f, ['version: 1', `name: ${name}`, `model: ${DEMO}/models/mlp-w16-s1.onnx`, 'stages:', '  - type: prune', '    method: magnitude', '    sparsity: 0.5', 'grid:', `  stages[0].sparsity: [${levels}]`, ''].join('\n'));
  return f;
}

describeE2E('the zoo view grid panel on a cluster run', () => {
  let app: App;
  let redis: RedisProcess;
  beforeAll(async () => {
    redis = await RedisProcess.start();
    app = await startApp({
      prepare: async (dataDir) => {
        const imp = await cli(dataDir, 'zoo', 'import', 'demo', path.join(DEMO, 'models', 'mlp-w16-s1.onnx'), '--create');
        if (imp.code !== 0) throw new Error(imp.out);
        const worker = new WorkerProcess({ url: redis.url, dataDir: path.join(dataDir, 'worker'), token: TOKEN });
        try {
          await worker.ready(90_000);
          const r = await cli(dataDir, 'run', grid(dataDir, 'first', '0.5, 0.7'), '--zoo', 'demo', '--queue', redis.url, '--token', TOKEN);
          if (r.code !== 0) throw new Error(r.out);
        } finally {
          await worker.stop('SIGTERM');
        }
      },
    });
  }, 150_000);
  afterAll(async () => {
    await app?.close();
    await redis?.stop('SIGKILL');
  });

  it('shows the finished cluster run, then a queued one, then its cancel', async () => {
    const { page } = app;
    await page.getByTestId('nav-zoo').click();
    await page.locator('[data-zoo=demo]').click();
    const panel = page.getByTestId('grid-progress');
    await panel.waitFor();
    expect(await panel.getAttribute('data-state')).toBe('done');
    expect(await page.getByTestId('grid-done').textContent()).toBe('2');
    expect(await panel.textContent()).toContain('cluster');
    await app.shot('grid-1-done');

    // A second grid with no worker alive: it waits in the queue, and the panel says so.
    const second = cli(app.dataDir, 'run', grid(app.dataDir, 'second', '0.9'), '--zoo', 'demo', '--queue', redis.url, '--token', TOKEN);
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    expect(await page.getByTestId('grid-queued').textContent()).toBe('1');
    await page.waitForTimeout(400); // let the bar settle for the screenshot
    await app.shot('grid-2-queued');
    const status = JSON.parse((await cli(app.dataDir, 'queue', 'status', '--queue', redis.url)).out);
    const running = status.grids.find((g: { state: string }) => g.state === 'running');
    expect((await cli(app.dataDir, 'queue', 'cancel', running.grid, '--queue', redis.url)).code).toBe(0);
    expect((await second).code).toBe(130);
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
  });

  it('logged no console errors, failed requests or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
