// The wizard's channel pruning end to end in a real browser: a PyTorch-exported CNN (fixed batch
// 16, Flatten into Gemm), pattern 'Channels (removed)' shows the channel groups in the method
// step, and the results screen shows the groups before -> after with parameters and FLOPs.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E, startApp, type App } from './support/harness';

describeE2E('channel pruning in the wizard', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({
      prepare: (dataDir) => {
        mkdirSync(path.join(dataDir, 'models'), { recursive: true });
        copyFileSync(path.resolve(__dirname, '../fixtures/torch/cnn_batch16_op17.onnx'), path.join(dataDir, 'models', 'cnn16.onnx'));
      },
    });
    app.page.on('dialog', (d) => void d.accept());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('method step lists the coupled layers; results show channels before -> after', async () => {
    const { page } = app;
    const step = () => page.locator('[aria-current="step"]').getAttribute('data-step');
    await page.getByTestId('version').waitFor();
    await page.getByTestId('open-file').click();
    await page.getByTestId('file-picker').waitFor();
    await page.locator('[data-test=file-picker] .entry', { hasText: 'Twinforge data folder' }).dblclick();
    await page.locator('[data-test=file-picker] [data-name="models"]').dblclick();
    await page.locator('[data-test=file-picker] [data-name="cnn16.onnx"]').click();
    await page.getByTestId('picker-choose').click();
    await page.getByTestId('model-summary').waitFor();

    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('target');
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('method');
    await page.locator('label.mode', { hasText: 'Advanced' }).click();
    await page.getByTestId('prune-enabled').check();
    await page.getByTestId('prune-method').selectOption('magnitude');
    await page.getByTestId('prune-pattern').selectOption('channel');
    await page.getByTestId('channel-groups').locator('summary').click();
    const rows = page.locator('[data-test=group-table] tbody tr');
    await rows.first().waitFor();
    // conv1 (16), conv2 (32, read by fc1 through Flatten), fc1 (64), and the logits group that stays.
    expect(await rows.count()).toBe(4);
    await expect.poll(() => page.getByTestId('group-table').textContent()).toContain("reaches the graph output 'logits'");
    await app.shot('structured-method');

    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('data');
    await page.locator('label.kind', { hasText: 'Synthetic inputs' }).click();
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('run');
    await page.getByTestId('start').click();
    await page.locator('[data-test=job-progress][data-state=done]').waitFor({ timeout: 120_000 });
    await page.getByTestId('to-results').click();
    await expect.poll(step).toBe('results');
    await page.getByTestId('structured-results').waitFor();
    const text = await page.getByTestId('structured-results').textContent();
    expect(text).toMatch(/16 → \d+/);
    expect(text).toMatch(/Parameters/);
    await page.getByTestId('group-totals').waitFor();
    await app.shot('structured-results');
  });
});
