// The zoo's population view on the demo zoo: three demo classifiers imported and compressed over
// a small grid through the real CLI (magnitude at 50/70 % and 2:4), then the Zoo browser and the
// population view in Chromium. Every analytics chart must have data.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../main/cli/main';
import { packageRoot } from '../../main/core/paths';
import { describeE2E, startApp, type App } from './support/harness';

const DEMO = path.join(packageRoot, 'resources', 'demo-zoo');

async function cli(dataDir: string, ...argv: string[]): Promise<void> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--data-dir', dataDir, '--json'], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, signal: new AbortController().signal });
  if (code !== 0) throw new Error(`twinforge ${argv.join(' ')} exited ${code}: ${err || out}`);
}

describeE2E('the zoo population view on the demo zoo', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({
      prepare: async (dataDir) => {
        const models = ['mlp-w64-s2', 'cnn-c8-s2', 'mlp-w16-s1'].map((m) => path.join(DEMO, 'models', `${m}.onnx`));
        await cli(dataDir, 'zoo', 'import', 'demo', ...models, '--create');
        const grid = path.join(dataDir, 'grid.yaml');
        writeFileSync(
          grid,
          [
            'version: 1',
            'name: e2e grid',
            `model: ${models[0]}`,
            'stages:',
            '  - type: prune',
            '    method: magnitude',
            '    sparsity: 0.5',
            'grid:',
            '  stages[0].pattern: [unstructured, "2:4"]',
            '  stages[0].sparsity: [0.5, 0.7]',
            'export:',
            `  dir: ${path.join(dataDir, 'grid-out')}`,
            '',
          ].join('\n'),
        );
        await cli(dataDir, 'run', grid, '--zoo', 'demo');
      },
    });
  }, 150_000);
  afterAll(async () => {
    await app?.close();
  });

  it('browses the zoo and shows the population charts with data', async () => {
    const { page } = app;
    await page.getByTestId('version').waitFor();
    await page.getByTestId('nav-zoo').click();
    await page.locator('[data-zoo=demo]').click();
    await page.locator('table.data tbody tr', { hasText: 'mlp-w64-s2' }).first().click();
    await page.getByTestId('zoo-model').locator('tbody tr').first().waitFor();
    expect(await page.getByTestId('zoo-model').locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    await app.shot('zoo-1-browser');

    await page.getByTestId('open-population').click();
    await page.getByTestId('view-population').waitFor();
    await expect.poll(() => page.getByTestId('pop-twins').textContent()).not.toBe('0');
    expect(Number(await page.getByTestId('pop-models').textContent())).toBe(3);
    for (const chart of ['chart-agreement', 'chart-correlation', 'chart-heatmap', 'chart-front']) {
      await page.getByTestId(chart).waitFor();
      expect(Number(await page.getByTestId(chart).getAttribute('data-points')), chart).toBeGreaterThan(0);
      expect(await page.getByTestId(chart).locator('canvas').count(), chart).toBeGreaterThan(0);
    }
    expect(await page.getByTestId('disparate').locator('tbody tr').count()).toBeGreaterThan(0);
    await app.shot('zoo-2-population');
    await page.getByTestId('theme-toggle').click();
    await app.shot('zoo-3-population-dark');
    await page.getByTestId('theme-toggle').click();
  });

  it('logged no console errors, failed requests or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
