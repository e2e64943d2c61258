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

  const step = () => app.page.locator('[aria-current="step"]').getAttribute('data-step');
  async function goStep(n: number, id: string): Promise<void> {
    await app.page.keyboard.press(`Alt+${n}`);
    await expect.poll(step).toBe(id);
  }
  async function openModel(name: string): Promise<void> {
    const { page } = app;
    await goStep(1, 'model');
    await page.getByTestId('open-file').click();
    await page.getByTestId('file-picker').waitFor();
    await page.locator('[data-test=file-picker] .entry', { hasText: 'Twinforge data folder' }).dblclick();
    await page.locator('[data-test=file-picker] [data-name="models"]').dblclick();
    await page.locator(`[data-test=file-picker] [data-name="${name}"]`).click();
    await page.getByTestId('picker-choose').click();
    await expect.poll(() => page.getByTestId('model-path').textContent(), { timeout: 60_000 }).toContain(name);
    await page.getByTestId('model-summary').waitFor();
    await expect.poll(() => page.getByText('Reading the model…').count(), { timeout: 60_000 }).toBe(0);
  }
  async function setShape(input: string, dims: Record<number, number>): Promise<void> {
    for (const [i, v] of Object.entries(dims)) await app.page.getByTestId(`dim-${input}-${i}`).fill(String(v));
    await app.page.getByTestId('shape-apply').click();
    // Model reads run in a fresh worker process (the host survives hostile files): give it time.
    await expect.poll(() => app.page.getByTestId('flops').textContent(), { timeout: 60_000 }).not.toBe('unknown');
  }
  async function chooseMethod(prune: string | undefined, quant: string | undefined): Promise<void> {
    const { page } = app;
    await goStep(3, 'method');
    await page.locator('label.mode', { hasText: 'Advanced' }).click();
    if (prune) {
      await page.getByTestId('prune-enabled').check();
      await page.getByTestId('prune-method').selectOption('magnitude');
      await page.getByTestId('prune-pattern').selectOption(prune);
    } else await page.getByTestId('prune-enabled').uncheck();
    if (quant) {
      await page.getByTestId('quant-enabled').check();
      await page.getByTestId('quant-method').selectOption(quant);
    } else await page.getByTestId('quant-enabled').uncheck();
    await page.getByTestId('recipe-ok').waitFor();
  }
  async function runIt(): Promise<void> {
    const { page } = app;
    await goStep(4, 'data');
    await page.locator('label.kind', { hasText: 'Synthetic inputs' }).click();
    await goStep(5, 'run');
    await page.getByTestId('start').click();
    await page.locator('[data-test=job-progress][data-state=done]').waitFor({ timeout: 180_000 });
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
