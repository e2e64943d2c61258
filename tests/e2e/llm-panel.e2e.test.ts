// A Hugging Face model folder in the GUI, in Chromium against the real engine and web host: the
// Model step opens the folder, the decoder panel shows its structure, and "Compress" runs
// SparseGPT 2:4 layer by layer from calibration tokens picked in the browser-mode picker, with
// held-out perplexity. The result shows the sparsity and perplexities the job computed, and the
// compressed-tensors checkpoint and its dense twin are on disk. Screenshot:
// tests/e2e/artifacts/llm-1-panel-result.png, llm-2-later-step.png. Steps 2–5 say that a folder
// is compressed on the Model step instead of failing on it.
import { cpSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LlmCompressOutcome } from '../../preload/contract';
import { describeE2E, root, startApp, type App } from './support/harness';
import { wizardSteps } from './support/wizard-steps';

const FIX = path.join(root, 'tests', 'fixtures', 'llm');

describeE2E('a model folder through the decoder panel', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({
      viewport: { width: 1280, height: 1000 },
      prepare: (dataDir) => {
        mkdirSync(path.join(dataDir, 'models'), { recursive: true });
        cpSync(path.join(FIX, 'tiny-llama'), path.join(dataDir, 'models', 'tiny-llama'), { recursive: true });
        mkdirSync(path.join(dataDir, 'samples'), { recursive: true });
        for (const f of ['calib.npy', 'heldout.npy']) copyFileSync(path.join(FIX, f), path.join(dataDir, 'samples', f));
        mkdirSync(path.join(dataDir, 'out'), { recursive: true });
      },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const { goStep, pickInDataFolder, pickFolderInDataFolder } = wizardSteps(() => app);

  it('opens the folder, compresses it 2:4 with SparseGPT and shows what the job measured', async () => {
    const { page } = app;
    await page.getByTestId('version').waitFor();
    await goStep(1, 'model');
    await page.getByTestId('open-folder').click();
    await pickFolderInDataFolder(['models'], 'tiny-llama');
    const panel = page.getByTestId('llm-panel');
    await panel.waitFor({ timeout: 60_000 });
    await expect.poll(() => panel.textContent()).toContain('LlamaForCausalLM');

    // Nothing to start from until the calibration tokens and the output folder are chosen.
    expect(await page.getByTestId('llm-start').isDisabled()).toBe(true);
    await page.getByTestId('llm-pick-calib').click();
    await pickInDataFolder('samples', 'calib.npy');
    await page.getByTestId('llm-pick-eval').click();
    await pickInDataFolder('samples', 'heldout.npy');
    await page.getByTestId('llm-pick-out').click();
    await pickFolderInDataFolder([], 'out');
    await expect.poll(() => panel.textContent()).toContain('tiny-llama-twin');
    expect(await page.getByTestId('llm-structure').inputValue()).toBe('2:4');
    expect(await page.getByTestId('llm-method').inputValue()).toBe('sparsegpt');

    await page.getByTestId('llm-start').click();
    await page.getByTestId('llm-result').waitFor({ timeout: 240_000 });
    await app.shot('llm-1-panel-result');

    // The figures on screen are the job's own result.
    const jobs = app.jobs.list();
    const job = jobs.find((j) => j.kind === 'llm.compress');
    expect(job?.state).toBe('done');
    const r = job!.result as LlmCompressOutcome;
    const out = path.join(app.dataDir, 'out', 'tiny-llama-twin');
    expect(r.paths).toEqual({ compressed: out, dense: path.join(out, 'dense') });
    expect(r.sparsity).toBeCloseTo(0.5, 3);
    expect(await page.getByTestId('llm-result-sparsity').textContent()).toContain('50.0%');
    const ppl = await page.getByTestId('llm-result-ppl').textContent();
    expect(ppl).toBe(`${r.evaluation!.parentPerplexity.toFixed(2)} → ${r.evaluation!.twinPerplexity.toFixed(2)}`);
    // The size pair is shown whole (not cut off by the figure's width).
    const size = page.getByTestId('llm-result-size');
    expect(await size.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    expect(await size.textContent()).toMatch(/KB → \d+(\.\d+)? KB/);
    // On disk: the compressed-tensors checkpoint (2:4 bitmask) and the dense twin beside it.
    expect(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')).quantization_config.format).toBe('sparse-24-bitmask');
    expect(existsSync(path.join(out, 'dense', 'config.json'))).toBe(true);

    // The graph wizard's later steps say where a folder is compressed (and ask the engine nothing).
    for (const [n, id] of [[2, 'target'], [3, 'method'], [4, 'data'], [5, 'run']] as const) {
      await goStep(n, id);
      await expect.poll(() => page.getByTestId('needs-model').textContent()).toContain('compressed on the Model step');
    }
    await app.shot('llm-2-later-step');
    await goStep(1, 'model');
    await page.getByTestId('llm-result').waitFor();
    expect(app.problems).toEqual([]);
  }, 300_000);
});
