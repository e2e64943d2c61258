// A model with two inputs in the wizard, in Chromium against the real engine and web host: the
// Data step gives each input its own picker (its type and shape, what the chosen file holds, a
// wrong file refused in words, the mask marked optional because the engine fills it), and the
// chosen files carry a real int8 run to Results. Then the one layer count: the Model step's
// figure (with its definition), Results and the twin page in the zoo all say the same number.
// The Target step's measurement buttons state durations from the engine's budgets.
// Screenshots: real-10-per-input-samples.png (and real-10b-per-input-refused.png), real-11-layer-count.png,
// real-12-target-durations.png.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeNpy } from '../../main/core/data/npy';
import { detectModes } from '../../main/core/api/hardware';
import { duration } from '../../renderer/src/util/format';
import { describeE2E, root, startApp, type App } from './support/harness';
import { wizardSteps } from './support/wizard-steps';

const TORCH = path.join(root, 'tests', 'fixtures', 'torch');
// A PyTorch export nobody here wrote: input_ids and attention_mask, both int64 [batch, sequence]
const MODEL = 'bert_encoder_op13.onnx';
const N = 12;
const SEQ = 16;

describeE2E('one sample file per model input', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({
      viewport: { width: 1280, height: 900 },
      prepare: (dataDir) => {
        mkdirSync(path.join(dataDir, 'models'), { recursive: true });
        copyFileSync(path.join(TORCH, MODEL), path.join(dataDir, 'models', MODEL));
        const dir = path.join(dataDir, 'samples');
        mkdirSync(dir, { recursive: true });
        const ids = new BigInt64Array(N * SEQ).map((_, i) => BigInt((i * 37) % 128)); // vocab 128
        const mask = new BigInt64Array(N * SEQ).map((_, i) => (i % SEQ < 12 ? 1n : 0n)); // last 4 tokens padding
        writeFileSync(path.join(dir, 'ids.npy'), writeNpy({ dtype: 'int64', shape: [N, SEQ], data: ids }));
        writeFileSync(path.join(dir, 'mask.npy'), writeNpy({ dtype: 'int64', shape: [N, SEQ], data: mask }));
        // the token ids saved as floats: the kind of mix-up the picker must catch
        writeFileSync(path.join(dir, 'ids-float.npy'), writeNpy({ dtype: 'float32', shape: [N, SEQ], data: Float32Array.from(ids, Number) }));
      },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const { goStep, openModel, pickInDataFolder, chooseMethod } = wizardSteps(() => app);

  it('real-10: one .npy per input, checked against its input, carries an int8 run to Results', async () => {
    const { page } = app;
    await page.getByTestId('version').waitFor();
    await openModel(MODEL);
    // both inputs share the open size 'sequence'; batch stays open (samples per run)
    await page.getByTestId('dim-input_ids-1').fill(String(SEQ));
    await page.getByTestId('dim-attention_mask-1').fill(String(SEQ));
    await page.getByTestId('shape-apply').click();
    await expect.poll(() => page.getByTestId('flops').textContent(), { timeout: 60_000 }).not.toBe('unknown');
    await chooseMethod(undefined, 'int8');

    await goStep(4, 'data');
    await page.getByTestId('data-files').check();
    // a two-input model starts with one picker per input
    await page.getByTestId('per-input').waitFor();
    const status = (name: string) => page.getByTestId(`input-status-${name}`);
    await expect.poll(() => status('attention_mask').textContent(), { timeout: 60_000 }).toMatch(/Optional: without a file the engine fills this mask input with ones/);
    expect(await status('input_ids').textContent()).toMatch(/Needs a file: int64 values/);
    expect(await page.getByTestId('input-input_ids').textContent()).toContain('int64 [batch×sequence]');

    // the wrong file first: named in words, no command-line flag anywhere
    await page.getByTestId('input-browse-input_ids').click();
    await pickInDataFolder('samples', 'ids-float.npy');
    await expect.poll(() => status('input_ids').textContent(), { timeout: 60_000 }).toMatch(/input 'input_ids' takes int64 whole numbers \(token ids or indices\), but its array holds float32 fractional numbers/);
    expect(await page.getByTestId('step-data').textContent()).not.toMatch(/--[a-z]/);
    // moving on with a refused file is stopped here, in a sentence
    await page.keyboard.press('Alt+5');
    await expect.poll(() => page.getByTestId('data-blocked').textContent(), { timeout: 10_000 }).toMatch(/The file for 'input_ids' cannot be used/);
    expect(await page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('data');
    await app.shot('real-10b-per-input-refused');

    await page.getByTestId('input-browse-input_ids').click();
    await pickInDataFolder('samples', 'ids.npy');
    await page.getByTestId('input-browse-attention_mask').click();
    await pickInDataFolder('samples', 'mask.npy');
    await expect.poll(() => status('input_ids').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`${N} samples · int64 \\[${N}×${SEQ}\\]`));
    await expect.poll(() => status('attention_mask').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`${N} samples · int64 \\[${N}×${SEQ}\\]`));
    await expect.poll(() => page.getByTestId('held-calibration').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`Calibration: ${N} samples`));
    expect(await page.getByTestId('held-calibration').textContent()).toMatch(/input_ids\s*one sample \[16\]/);
    await app.shot('real-10-per-input-samples');

    await goStep(5, 'run');
    expect(await page.getByTestId('step-run').textContent()).toMatch(/input_ids: ids\.npy, attention_mask: mask\.npy/);
    await page.getByTestId('start').click();
    await page.locator('[data-test=job-progress][data-state=done]').waitFor({ timeout: 180_000 });
    await goStep(6, 'results');
    await page.getByTestId('step-results').waitFor();
    const results = (await page.getByTestId('step-results').textContent()) ?? '';
    expect(results).not.toMatch(/Measured on synthetic inputs/);
    expect(app.problems).toEqual([]);
  });

  it('real-11: the Model step, Results, the zoo and the twin page give the model one layer count', async () => {
    const { page } = app;
    await goStep(1, 'model');
    const n = Number(await page.getByTestId('layer-count').textContent());
    expect(n).toBe(13); // 2 encoder blocks x (q, k, v, o, fc1, fc2) + the classifier
    // its definition is shown, and the other counts are named for what they are
    expect(await page.getByTestId('layer-figure').getAttribute('title')).toMatch(/^A layer is a weight matrix a compression method can change/);
    expect(await page.getByTestId('layer-definition').textContent()).toContain(`Layers: ${n}.`);
    expect(Number(await page.getByTestId('weight-tensors').textContent())).toBeGreaterThan(n);
    expect(await page.getByTestId('weighted-nodes').textContent()).toMatch(new RegExp(`, of which ${n} use a layer`));
    const marked = await page.locator('.grid-2.main table tbody tr').evaluateAll((rows) => rows.filter((r) => (r.textContent ?? '').includes('✓')).length);
    expect(marked).toBe(n);
    await page.getByTestId('layer-definition').scrollIntoViewIfNeeded();
    await app.shot('real-11-layer-count');

    await goStep(6, 'results');
    expect(await page.getByTestId('results-layers').textContent()).toContain(`the model has ${n} layers`);

    await goStep(7, 'export');
    const reg = page.getByTestId('registered');
    await reg.waitFor({ timeout: 60_000 });
    await reg.getByRole('button', { name: 'Open in the zoo' }).click();
    await page.getByTestId('view-zoo').waitFor();
    await page.getByTestId('twin-page').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('twin-layer-count').textContent(), { timeout: 30_000 }).toMatch(new RegExp(`^${n} layers`));
    expect(app.problems).toEqual([]);
  });

  it('real-12: the Target step states what each measurement takes from the engine\'s own budgets, and judges layers out of the same count', async () => {
    const { page } = app;
    await goStep(2, 'target');
    const modes = detectModes();
    const full = modes.find((m) => m.mode === 'full')!;
    const quick = modes.find((m) => m.mode === 'quick')!;
    expect(quick.expectedSeconds).toBeLessThan(full.expectedSeconds);
    await expect.poll(() => page.getByTestId('detect-quick').textContent(), { timeout: 30_000 }).toBe(`Quick (≈ ${duration(quick.expectedSeconds)})`);
    expect(await page.getByTestId('detect').textContent()).toContain(`(≈ ${duration(full.expectedSeconds)})`);
    expect(await page.getByTestId('detect-quick').getAttribute('title')).toMatch(new RegExp(`^One pass of small probes at ${Math.round(quick.effort * 100)}% of the full timing budget`));
    await page.getByTestId('target-profile').selectOption('x86-avx512-vnni');
    await page.getByTestId('explainer-summary').waitFor({ timeout: 60_000 });
    const summary = (await page.getByTestId('explainer-summary').textContent()) ?? '';
    for (const m of summary.matchAll(/(\d+)\/(\d+) layers/g)) expect(Number(m[2])).toBe(13);
    // the explainer's rows are layers: never more than the model has
    const rows = await page.getByTestId('explainer').locator('table tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(13);
    await app.shot('real-12-target-durations');
    expect(app.problems).toEqual([]);
  });
});
