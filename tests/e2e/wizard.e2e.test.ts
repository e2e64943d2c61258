// The wizard end to end in a real browser against the real engine: open a fixture CNN through
// the browser-mode file picker → choose a target → 2:4 magnitude + int8 → synthetic data → run →
// results → export. Then, in Node: the exported twin loads and runs in ONNX Runtime, and the twin
// is in the zoo with its parent. A screenshot of every step lands in tests/e2e/artifacts/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { zooShow, zooTwins } from '../../main/core/api/zoo';
import { parseRecipe } from '../../main/core/recipe/recipe';
import { buildFixture } from '../fixtures/models';
import { describeE2E, startApp, type App } from './support/harness';

const ZOO = 'e2e-twins';

describeE2E('the wizard, end to end', () => {
  let app: App;
  let modelFile = '';
  beforeAll(async () => {
    app = await startApp({ prepare: (dataDir) => void (modelFile = buildFixture('cnn', path.join(dataDir, 'models'))) });
    app.page.on('dialog', (d) => void d.accept());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('walks model → target → method → data → run → results → export', async () => {
    const { page } = app;
    const step = () => page.locator('[aria-current="step"]').getAttribute('data-step');
    await page.getByTestId('version').waitFor();

    // 1. Model: the browser-mode picker over the allowed folders.
    await page.getByTestId('open-file').click();
    await page.getByTestId('file-picker').waitFor();
    await page.locator('[data-test=file-picker] .entry', { hasText: 'Twinforge data folder' }).dblclick();
    await page.locator('[data-test=file-picker] [data-name="models"]').dblclick();
    await page.locator('[data-test=file-picker] [data-name="cnn.onnx"]').click();
    await page.getByTestId('picker-choose').click();
    await page.getByTestId('model-summary').waitFor();
    expect(await page.getByTestId('params').getAttribute('title')).toBe((634).toLocaleString('en-US'));
    expect(await page.getByTestId('fmt').textContent()).toBe('onnx');
    // sortable layer table: sort by FLOPs, the histogram of the chosen layer has data
    await page.locator('th button[data-sort=flops]').click();
    await expect.poll(() => page.getByTestId('chart-histogram').getAttribute('data-points').then(Number)).toBeGreaterThan(0);
    expect(Number(await page.getByTestId('chart-layers').getAttribute('data-points'))).toBeGreaterThan(0);
    await app.shot('wizard-1-model');

    // 2. Target: the CPU reference machine's profile (x86 AVX-512 VNNI) with ONNX Runtime; the explainer's verdicts.
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('target');
    await page.getByTestId('target-profile').selectOption('x86-avx512-vnni');
    await page.getByTestId('explainer').locator('table tbody tr').first().waitFor();
    await page.getByTestId('explainer').locator('table tbody tr').first().click();
    await page.locator('.reasons li').first().waitFor();
    await app.shot('wizard-2-target');

    // 3. Method: advanced, 2:4 magnitude + int8; the engine accepts the recipe and estimates it.
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('method');
    await page.locator('label.mode', { hasText: 'Advanced' }).click();
    await page.getByTestId('prune-enabled').check();
    await page.getByTestId('prune-method').selectOption('magnitude');
    await page.getByTestId('prune-pattern').selectOption('2:4');
    await page.getByTestId('quant-enabled').check();
    await page.getByTestId('quant-method').selectOption('int8');
    await expect.poll(() => page.getByTestId('method-summary').textContent()).toBe('magnitude 2:4 + int8');
    await page.getByTestId('recipe-ok').waitFor();
    await page.getByTestId('est-latency').waitFor();
    await app.shot('wizard-3-method');

    // 4. Data: synthetic, with its warning.
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('data');
    await page.locator('label.kind', { hasText: 'Synthetic inputs' }).click();
    await page.getByTestId('synthetic-warning').waitFor();
    await app.shot('wizard-4-data');

    // 5. Run: registered in a zoo; progress streams until done.
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('run');
    await page.getByTestId('register-zoo').fill(ZOO);
    await page.getByTestId('start').click();
    await page.getByTestId('job-progress').waitFor();
    await page.locator('[data-test=job-progress][data-state=done]').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('job-percent').textContent()).toBe('100%');
    await app.shot('wizard-5-run');

    // 6. Results: parent vs twin.
    await page.getByTestId('to-results').click();
    await expect.poll(step).toBe('results');
    await expect.poll(() => page.getByTestId('m-cosine').textContent()).not.toBe('—');
    await page.getByTestId('compare').waitFor();
    expect(Number(await page.getByTestId('chart-sparsity').getAttribute('data-points'))).toBeGreaterThan(0);
    await page.getByTestId('chart-siblings').waitFor();
    await app.shot('wizard-6-results');

    // 7. Export: copy the files out, save the recipe.
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(step).toBe('export');
    const dest = path.join(app.dataDir, 'exported');
    await page.getByTestId('export-dir').fill(dest);
    await page.getByTestId('export').click();
    await page.getByTestId('exported').waitFor();
    await page.getByTestId('registered').waitFor();
    await page.getByTestId('recipe-path').fill(path.join(dest, 'recipe.yaml'));
    await page.getByTestId('save-recipe').click();
    await page.getByTestId('recipe-saved').waitFor();
    await app.shot('wizard-7-export');

    // In Node: the exported twin loads and runs in ONNX Runtime...
    const twin = path.join(dest, 'twin.onnx');
    expect(existsSync(twin)).toBe(true);
    const session = await ort.InferenceSession.create(twin);
    const input = session.inputNames[0];
    const out = await session.run({ [input]: new ort.Tensor('float32', new Float32Array(1 * 3 * 16 * 16).fill(0.5), [1, 3, 16, 16]) });
    const y = out[session.outputNames[0]];
    expect(y.dims.at(-1)).toBeGreaterThan(1);
    expect([...(y.data as Float32Array)].every(Number.isFinite)).toBe(true);
    // ...the twin is in the zoo as a child of the parent, made by 2:4 magnitude + int8...
    const zoo = zooShow({ dataDir: app.dataDir }, { name: ZOO });
    expect(zoo.models.map((m) => m.name)).toContain('cnn');
    const twins = zooTwins({ dataDir: app.dataDir }, { model: String(zoo.models.find((m) => m.name === 'cnn')!.id) }).twins;
    expect(twins).toHaveLength(1);
    expect(twins[0]).toMatchObject({ method: 'magnitude', pattern: '2:4', quantization: 'int8' });
    // ...and the saved recipe is a valid one naming the same model and stages.
    const recipe = parseRecipe(readFileSync(path.join(dest, 'recipe.yaml'), 'utf8'));
    expect(recipe.model).toBe(modelFile);
    expect(recipe.stages?.map((s) => `${s.type}:${s.method}`)).toEqual(['prune:magnitude', 'quantize:int8']);
  });

  it('keeps the wizard and reattaches after a reload', async () => {
    const { page } = app;
    await page.reload();
    await page.getByTestId('version').waitFor();
    expect(await page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('export');
    await page.getByTestId('registered').waitFor();
    await page.keyboard.press('Alt+1');
    await page.getByTestId('model-summary').waitFor();
  });

  it('logged no console errors, failed requests or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
