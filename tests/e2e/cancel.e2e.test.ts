// Cancelling from the UI: a compression of a generated 8-layer 1024-wide MLP (long enough to catch
// running) is started in the browser; leaving the Run step asks first; Cancel stops it. Then, in
// Node: the engine reports the job cancelled and finished, nothing is running any more, and the
// run folder holds no file (no half-written twin, no staging folder).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateMlp } from '../../main/core/bench/compress';
import { describeE2E, startApp, type App } from './support/harness';

/** Every file under `dir` (recursively), staging folders' contents included. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [path.join(dir, e.name) + '/', ...filesUnder(path.join(dir, e.name))] : [path.join(dir, e.name)]));
}

describeE2E('cancelling a running compression from the UI', () => {
  let app: App;
  let model = '';
  beforeAll(async () => {
    app = await startApp({
      prepare: (dataDir) => {
        model = path.join(dataDir, 'models', 'mlp.onnx');
        mkdirSync(path.dirname(model), { recursive: true });
        generateMlp(model, 8, 1024);
      },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('asks before leaving, cancels, and the engine stops without leaving files', async () => {
    const { page } = app;
    await page.getByTestId('version').waitFor();
    // Open by typing the path into the browser-mode picker.
    await page.getByTestId('open-file').click();
    await page.getByTestId('picker-path').fill(model);
    await page.getByTestId('picker-path').press('Enter');
    await page.getByTestId('model-summary').waitFor();

    await page.keyboard.press('Alt+3');
    await page.locator('label.mode', { hasText: 'Advanced' }).click();
    await page.getByTestId('prune-enabled').check();
    await page.getByTestId('prune-pattern').selectOption('unstructured');
    await page.getByTestId('quant-enabled').check();
    await page.getByTestId('quant-method').selectOption('int8');
    await page.getByTestId('recipe-ok').waitFor();

    await page.keyboard.press('Alt+4');
    await page.locator('label.kind', { hasText: 'Synthetic inputs' }).click();
    await page.locator('label', { hasText: 'Evaluation samples' }).locator('input').fill('10000');

    await page.keyboard.press('Alt+5');
    await page.getByTestId('register').uncheck();
    await page.getByTestId('start').click();
    await page.locator('[data-test=job-progress][data-state=running]').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('job-percent').textContent(), { timeout: 30_000 }).not.toBe('0%');

    // Leaving the step while it runs asks; "Stay here" keeps us on the Run step.
    await page.keyboard.press('Alt+6');
    await page.getByTestId('leave-dialog').waitFor();
    await app.shot('cancel-1-leave-dialog');
    await page.getByTestId('leave-stay').click();
    expect(await page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('run');

    const jobId = app.jobs.list().find((j) => j.kind === 'compress')!.id;
    expect(app.jobs.get(jobId).state).toBe('running');
    await page.getByTestId('cancel').click();
    await page.locator('[data-test=job-progress][data-state=cancelled], [data-test=job-progress][data-state=failed], [data-test=job-progress][data-state=done]').waitFor({ timeout: 30_000 });
    await page.getByTestId('cancelled').waitFor();
    // The header says how the job ended, not the stage it was in (no "cancelling — …").
    expect(await page.getByTestId('job-headline').textContent()).toMatch(/· cancelled$/);
    await app.shot('cancel-2-cancelled');

    // The engine: cancelled, ended, nothing running, progress frozen.
    const snap = app.jobs.get(jobId);
    expect(snap.state).toBe('cancelled');
    expect(snap.endedAt).toBeTruthy();
    expect(app.jobs.list().filter((j) => j.state === 'running' || j.state === 'queued')).toEqual([]);
    const frozen = JSON.stringify(app.jobs.get(jobId).progress);
    await new Promise((r) => setTimeout(r, 1000));
    expect(JSON.stringify(app.jobs.get(jobId).progress)).toBe(frozen);
    // No partial output anywhere under the run folders.
    const runs = path.join(app.dataDir, 'runs');
    await expect.poll(() => filesUnder(runs).filter((f) => !f.endsWith('/') || f.includes('.twinforge-staging')), { timeout: 10_000 }).toEqual([]);
  });

  it('logged no console errors, failed requests or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
