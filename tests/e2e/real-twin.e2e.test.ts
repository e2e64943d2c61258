// A twin's life after the run, in Chromium against the real engine and web host: "Open in the
// zoo" lands on the twin's own page (metrics, recipe, lineage, layers, evaluations, benchmarks);
// a twin made from that twin shows three generations and compares side by side with its parent
// twin; the twin file, its archive and the zoo copy download through the browser and load in
// ONNX Runtime. Screenshots: tests/e2e/artifacts/real-5-twin-page.png, real-6-download.png.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { extract } from 'tar-stream';
import { writeNpy } from '../../main/core/data/npy';
import { artifacts, describeE2E, root, startApp, type App } from './support/harness';
import { wizardSteps } from './support/wizard-steps';

const TORCH = path.join(root, 'tests', 'fixtures', 'torch');
const MODEL = 'mlp_batch2_op9.onnx'; // a PyTorch export: input x [2, 64]

/** Runs the downloaded model on a fixed input; every output value must be finite. */
async function runsInOrt(bytes: Uint8Array): Promise<number> {
  const s = await ort.InferenceSession.create(bytes);
  try {
    const x = new Float32Array(2 * 64).map((_, i) => Math.sin(i));
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x, [2, 64]) });
    const y = out[s.outputNames[0]!]!.data as Float32Array;
    expect(y.length).toBeGreaterThan(0);
    expect([...y].every(Number.isFinite)).toBe(true);
    return y.length;
  } finally {
    await s.release();
  }
}

/** The entries of a tar archive: name → bytes. */
async function untar(buf: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: unknown) => parts.push(d as Buffer));
      stream.on('end', () => {
        out.set(h.name, Buffer.concat(parts));
        next();
      });
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  Readable.from([buf]).pipe(ex);
  await done;
  return out;
}

describeE2E('a twin in the zoo and in the browser', () => {
  let app: App;
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'tf-e2e-dl-'));
    app = await startApp({
      viewport: { width: 1280, height: 900 },
      prepare: (dataDir) => {
        mkdirSync(path.join(dataDir, 'models'), { recursive: true });
        copyFileSync(path.join(TORCH, MODEL), path.join(dataDir, 'models', MODEL));
        // Samples for the Data step: ten of the model's [64] input, and ten of a wrong width.
        mkdirSync(path.join(dataDir, 'samples'), { recursive: true });
        writeFileSync(path.join(dataDir, 'samples', 'good.npy'), writeNpy({ dtype: 'float32', shape: [10, 64], data: new Float32Array(640).map((_, i) => Math.cos(i)) }));
        writeFileSync(path.join(dataDir, 'samples', 'bad.npy'), writeNpy({ dtype: 'float32', shape: [10, 63], data: new Float32Array(630) }));
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const { step, goStep, chooseMethod, startSynthetic } = wizardSteps(() => app);
  async function runIt(checkLive = false): Promise<void> {
    const { page } = app;
    await startSynthetic();
    if (checkLive) {
      // Every layer's bar is full while the run is still going (export, evaluation, report
      // follow the pruning): the bars fill as stages finish, not when the run ends.
      const seen = await page.waitForFunction(
        () => {
          // Runs in the page (the test's own tsconfig has no DOM types).
          type El = { getAttribute(n: string): string | null };
          const doc = (globalThis as unknown as { document: { querySelector(s: string): El | null; querySelectorAll(s: string): Iterable<El> } }).document;
          const jp = doc.querySelector('[data-test=job-progress]');
          const cells = [...doc.querySelectorAll('[data-test=layer-progress] .cell')];
          if (!jp || !cells.length) return null;
          if (jp.getAttribute('data-state') !== 'running') return jp.getAttribute('data-state');
          return cells.every((c) => c.getAttribute('data-done') === '1') ? 'live' : null;
        },
        undefined,
        { timeout: 180_000, polling: 20 },
      );
      expect(await seen.jsonValue()).toBe('live');
    }
    await page.locator('[data-test=job-progress][data-state=done]').waitFor({ timeout: 180_000 });
    // The header and the bars name layers the same way (node names, not weight ids).
    const bars = await page.locator('[data-test=layer-progress] .cell').evaluateAll((els) => els.map((e) => e.getAttribute('data-layer')));
    expect(bars.length).toBeGreaterThan(0);
    expect(await page.getByTestId('job-headline').textContent()).toMatch(/· finished$/);
  }
  /** From the Export step into the zoo; returns the twin id the Export step registered. */
  async function openInZoo(): Promise<number> {
    const { page } = app;
    await goStep(7, 'export');
    const reg = page.getByTestId('registered');
    await reg.waitFor({ timeout: 60_000 });
    const id = Number(/model #(\d+)/.exec((await reg.textContent()) ?? '')?.[1]);
    expect(id).toBeGreaterThan(0);
    await reg.getByRole('button', { name: 'Open in the zoo' }).click();
    await page.getByTestId('view-zoo').waitFor();
    await expect.poll(() => page.getByTestId('twin-page').getAttribute('data-twin'), { timeout: 30_000 }).toBe(String(id));
    return id;
  }

  let firstTwin = 0;
  it('real-5: "Open in the zoo" shows the twin page; a twin of the twin shows three generations and compares side by side', async () => {
    const { page } = app;
    await page.getByTestId('version').waitFor();
    await goStep(1, 'model');
    await page.getByTestId('open-file').click();
    await page.getByTestId('file-picker').waitFor();
    await page.locator('[data-test=file-picker] .entry', { hasText: 'Twinforge data folder' }).dblclick();
    await page.locator('[data-test=file-picker] [data-name="models"]').dblclick();
    await page.locator(`[data-test=file-picker] [data-name="${MODEL}"]`).click();
    // Icons are the app's own drawings (an emoji font may be missing: empty boxes).
    expect(await page.locator('[data-test=file-picker] .ico svg').count()).toBeGreaterThan(0);
    await app.shot('real-8-file-picker');
    await page.getByTestId('picker-choose').click();
    await page.getByTestId('model-summary').waitFor({ timeout: 60_000 });
    await chooseMethod('unstructured', undefined);
    // An ONNX twin keeps pruned weights as zeros: no packed size is promised for it.
    await page.getByTestId('est-no-packed').waitFor();
    expect(await page.getByTestId('est-packed').count()).toBe(0);
    await runIt(true);
    firstTwin = await openInZoo();

    // The twin's own page, not the parent's (empty) twin list.
    expect(await page.getByText('This model has no twins yet').count()).toBe(0);
    const sparsity = Number((await page.getByTestId('twin-sparsity').textContent())!.replace('%', ''));
    expect(sparsity).toBeGreaterThan(10);
    expect(await page.getByTestId('twin-recipe').textContent()).toContain('magnitude');
    expect(await page.getByTestId('twin-evaluations').locator('tbody tr').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('twin-lineage').locator('li').count()).toBe(2);

    // A twin made from this twin: int8 on top of the pruned one.
    await page.getByRole('button', { name: 'Compress further in the wizard' }).click();
    await expect.poll(step).toBe('model');
    await page.getByTestId('model-summary').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByText('Reading the model…').count(), { timeout: 60_000 }).toBe(0);
    await chooseMethod(undefined, 'int8');
    await runIt();
    const second = await openInZoo();
    expect(second).not.toBe(firstTwin);
    const lineage = page.getByTestId('twin-lineage').locator('li');
    await expect.poll(() => lineage.count()).toBe(3); // parent → twin → twin of the twin
    expect(await lineage.nth(2).getAttribute('class')).toContain('here');
    // Its layers are read by quantized operators: the precision column says so.
    expect(await page.locator('[data-test=twin-page] td', { hasText: /^int8$/ }).count()).toBeGreaterThan(0);

    await page.getByTestId('twin-compare').selectOption({ index: 1 });
    const table = page.getByTestId('twin-compare-table');
    await table.waitFor({ timeout: 30_000 });
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(6);
    // The app scrolls inside its main pane: a tall window shows the whole page in one picture.
    await page.setViewportSize({ width: 1280, height: 2300 });
    await page.screenshot({ path: path.join(artifacts, 'real-5-twin-page.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('real-6: the twin, its archive and the zoo copy download through the browser and load in ONNX Runtime', async () => {
    const { page } = app;
    // The zoo copy, from the twin page.
    const [zooDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('twin-download').click()]);
    const zooFile = path.join(tmp, zooDl.suggestedFilename());
    await zooDl.saveAs(zooFile);
    expect(zooFile.endsWith('.onnx')).toBe(true);
    await runsInOrt(readFileSync(zooFile));

    // The run's own files, from the Export step.
    await page.getByTestId('nav-wizard').click();
    await goStep(7, 'export');
    await page.getByTestId('downloads').waitFor();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=download-file][data-kind=model]').first().click()]);
    const twinFile = path.join(tmp, dl.suggestedFilename());
    await dl.saveAs(twinFile);
    const twinBytes = readFileSync(twinFile);
    await runsInOrt(twinBytes);

    const [tarDl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-tar').click()]);
    const tarFile = path.join(tmp, tarDl.suggestedFilename());
    await tarDl.saveAs(tarFile);
    expect(tarFile.endsWith('.tar')).toBe(true);
    const entries = await untar(readFileSync(tarFile));
    const names = [...entries.keys()];
    expect(names.some((n) => n.endsWith('/recipe.yaml'))).toBe(true);
    expect(names.some((n) => n.endsWith('report.json'))).toBe(true);
    const inTar = names.find((n) => n.endsWith(`/${dl.suggestedFilename()}`));
    expect(inTar).toBeDefined();
    expect(Buffer.compare(entries.get(inTar!)!, twinBytes)).toBe(0);
    await app.shot('real-6-download');

    // Downloads need the token like every other request.
    const anon = await fetch(new URL(`/api/download/zoo/${firstTwin}`, app.host.url));
    expect(anon.status).toBe(401);
  });

  it('deleting a twin takes its own twins with it and leaves the parent', async () => {
    const { page } = app;
    await page.getByTestId('nav-zoo').click();
    await page.getByTestId('view-zoo').waitFor();
    await page.locator('[data-test=view-zoo] tbody tr', { hasText: 'mlp_batch2_op9' }).first().click();
    await page.locator('[data-test=zoo-model] tbody tr').first().click();
    await expect.poll(() => page.getByTestId('twin-page').getAttribute('data-twin')).toBe(String(firstTwin));
    await page.getByTestId('twin-delete').click();
    await page.getByTestId('twin-delete-confirm').click();
    await page.getByText('This model has no twins yet').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('twin-page').count()).toBe(0);
    // Both twins left the zoo (the twin of the twin went with its parent twin).
    await expect.poll(() => page.locator('[data-zoo="my-twins"]').textContent()).toContain('0 twins');
  });

  it('"My samples" without a file blocks Next with a plain sentence, and the Run step says it in words', async () => {
    const { page } = app;
    // The twin open in the wizard was just deleted: back to the original model file.
    await page.getByTestId('nav-wizard').click();
    await goStep(1, 'model');
    await page.getByTestId('open-file').click();
    await page.locator('[data-test=file-picker] .entry', { hasText: 'Twinforge data folder' }).dblclick();
    await page.locator('[data-test=file-picker] [data-name="models"]').dblclick();
    await page.locator(`[data-test=file-picker] [data-name="${MODEL}"]`).click();
    await page.getByTestId('picker-choose').click();
    await expect.poll(() => page.getByTestId('model-path').textContent(), { timeout: 60_000 }).toContain(MODEL);
    await goStep(4, 'data');
    await page.getByTestId('data-files').check();
    await page.getByTestId('next').click();
    await page.getByTestId('data-blocked').waitFor();
    expect(await step()).toBe('data');
    expect(await page.getByTestId('data-blocked').textContent()).toMatch(/Choose your samples first/);
    await app.shot('real-7-no-samples');
    // A sample file is read with the run's own loader as soon as it is named: its shape per input.
    const cal = page.getByLabel('Calibration data path');
    await cal.fill(path.join(app.dataDir, 'samples', 'good.npy'));
    await expect.poll(() => page.getByTestId('held-calibration').textContent(), { timeout: 60_000 }).toContain('10 samples');
    expect(await page.getByTestId('held-calibration').textContent()).toMatch(/x\s*one sample \[64\]/);
    await app.shot('real-9-sample-shapes');
    await cal.fill(path.join(app.dataDir, 'samples', 'bad.npy'));
    await expect.poll(() => page.getByTestId('held-calibration').locator('[role=alert], .error, .notice').count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await cal.fill('');
    // Jumping ahead with the keyboard is refused the same way; back to synthetic, it goes on.
    await page.keyboard.press('Alt+5');
    expect(await step()).toBe('data');
    await page.getByTestId('data-synthetic').check();
    await goStep(5, 'run');
    expect(await page.getByText('Too small').count()).toBe(0);
  });

  it('logged no console errors, failed requests or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
