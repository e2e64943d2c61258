// The wizard with models made by the real PyTorch exporter (tests/fixtures/torch), in Chromium
// against the real engine: an input with open height/width set in the shape editor; an export
// made twice never overwrites the first; a second model opened after a run starts a fresh
// workspace (Run, Results, Export empty); an opset-9 CNN through int8 to Results. Screenshots
// land in tests/e2e/artifacts/real-*.png.
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E, root, startApp, type App } from './support/harness';
import { wizardSteps } from './support/wizard-steps';

const TORCH = path.join(root, 'tests', 'fixtures', 'torch');
const MODELS = ['resnet_tiny_op13.onnx', 'mlp_batch2_op9.onnx', 'mobilenetv3_small_op9.onnx'];

function sha(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (d) => h.update(d)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}
async function hashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = await sha(path.join(dir, f));
  return out;
}

describeE2E('real models in the wizard', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({
      prepare: (dataDir) => {
        mkdirSync(path.join(dataDir, 'models'), { recursive: true });
        for (const m of MODELS) copyFileSync(path.join(TORCH, m), path.join(dataDir, 'models', m));
      },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const { step, goStep, openModel, setShape, chooseMethod, startSynthetic } = wizardSteps(() => app);
  async function runIt(): Promise<void> {
    await startSynthetic();
    await app.page.locator('[data-test=job-progress][data-state=done]').waitFor({ timeout: 180_000 });
  }

  it('real-1: open height and width are set in the shape editor, and the FLOPs follow', async () => {
    const { page } = app;
    await page.getByTestId('version').waitFor();
    await openModel('resnet_tiny_op13.onnx');
    expect(await page.getByTestId('flops').textContent()).toBe('unknown');
    await page.getByTestId('shape-editor').waitFor();
    await page.getByTestId('shape-open').waitFor();
    await setShape('input', { 2: 64, 3: 64 });
    const flops = Number((await page.getByTestId('flops').getAttribute('title'))!.replace(/[^0-9]/g, ''));
    expect(flops).toBeGreaterThan(10_000_000); // a 64x64 image, not a 1x1 one
    await app.shot('real-1-shape-editor');
  });

  it('real-3: exporting twice never overwrites the first export', async () => {
    const { page } = app;
    await openModel('mlp_batch2_op9.onnx');
    await chooseMethod('unstructured', undefined);
    await runIt();
    await goStep(7, 'export');
    const dest = path.join(app.dataDir, 'exports', 'mlp');
    await page.getByTestId('export-dir').fill(dest);
    await page.getByTestId('export').click();
    await page.getByTestId('exported').waitFor();
    const first = await hashes(dest);
    expect(Object.keys(first)).toContain('twin.onnx');
    await page.getByTestId('export').click();
    await page.getByTestId('export-clash').waitFor();
    expect(await hashes(dest)).toEqual(first);
    await app.shot('real-3-export-no-overwrite');
    await page.getByTestId('export-new-folder').click();
    await expect.poll(() => page.getByTestId('exported').textContent()).toContain(`${dest}-2`);
    expect(existsSync(path.join(`${dest}-2`, 'twin.onnx'))).toBe(true);
    expect(await hashes(dest)).toEqual(first);
  });

  it('real-2: a second model opened after a run starts with an empty Run, Results and Export', async () => {
    const { page } = app;
    await openModel('mobilenetv3_small_op9.onnx');
    await goStep(5, 'run');
    expect(await page.locator('[data-test=job-progress][data-state=done]').count()).toBe(0);
    await goStep(7, 'export');
    await page.getByText('Nothing to export yet').waitFor();
    await goStep(6, 'results');
    await page.getByText('No twin yet').waitFor();
    await app.shot('real-2-second-model');
  });

  it('real-4: an opset-9 CNN goes through int8 to Results', async () => {
    const { page } = app;
    await goStep(1, 'model');
    await setShape('input', { 2: 64, 3: 64 });
    await chooseMethod(undefined, 'int8');
    await runIt();
    await page.getByTestId('to-results').click();
    await expect.poll(step).toBe('results');
    await expect.poll(() => page.getByTestId('m-cosine').textContent()).not.toBe('—');
    const cos = Number(await page.getByTestId('m-cosine').textContent());
    expect(cos).toBeGreaterThanOrEqual(0.99);
    await app.shot('real-4-old-opset-int8');
  });

  it('logged no console errors, failed requests or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
