// Driving the wizard the way a user does, shared by the end-to-end suites: move between steps
// with the keyboard, open a model through the browser-mode picker, set open dims in the shape
// editor, choose a method in Advanced mode, run on synthetic inputs.
import { expect } from 'vitest';
import type { App } from './harness';

export interface WizardSteps {
  step(): Promise<string | null>;
  goStep(n: number, id: string): Promise<void>;
  openModel(name: string): Promise<void>;
  /** In the open browser-mode picker: the data folder, then `folder`, then choose `name`. */
  pickInDataFolder(folder: string, name: string): Promise<void>;
  /** In the open browser-mode folder picker: the data folder, then `path` in turn, then use folder `name`. */
  pickFolderInDataFolder(path: string[], name: string): Promise<void>;
  setShape(input: string, dims: Record<number, number>): Promise<void>;
  chooseMethod(prune: string | undefined, quant: string | undefined): Promise<void>;
  /** Data (synthetic) → Run → start; returns once the job is running or done (the caller waits). */
  startSynthetic(): Promise<void>;
}

export function wizardSteps(app: () => App): WizardSteps {
  const step = () => app().page.locator('[aria-current="step"]').getAttribute('data-step');
  async function goStep(n: number, id: string): Promise<void> {
    await app().page.keyboard.press(`Alt+${n}`);
    await expect.poll(step).toBe(id);
  }
  async function pickInDataFolder(folder: string, name: string): Promise<void> {
    const { page } = app();
    await page.getByTestId('file-picker').waitFor();
    await page.locator('[data-test=file-picker] .entry', { hasText: 'Twinforge data folder' }).dblclick();
    await page.locator(`[data-test=file-picker] [data-name="${folder}"]`).dblclick();
    await page.locator(`[data-test=file-picker] [data-name="${name}"]`).click();
    await page.getByTestId('picker-choose').click();
  }
  async function pickFolderInDataFolder(folders: string[], name: string): Promise<void> {
    const { page } = app();
    await page.getByTestId('file-picker').waitFor();
    await page.locator('[data-test=file-picker] .entry', { hasText: 'Twinforge data folder' }).dblclick();
    for (const f of folders) await page.locator(`[data-test=file-picker] [data-name="${f}"]`).dblclick();
    await page.locator(`[data-test=file-picker] [data-name="${name}"]`).click();
    await page.getByTestId('picker-choose').click();
  }
  return {
    step,
    goStep,
    pickFolderInDataFolder,
    async openModel(name) {
      const { page } = app();
      await goStep(1, 'model');
      await page.getByTestId('open-file').click();
      await pickInDataFolder('models', name);
      // Model reads run in a fresh worker process (the host survives hostile files): give it time.
      await expect.poll(() => page.getByTestId('model-path').textContent(), { timeout: 60_000 }).toContain(name);
      await page.getByTestId('model-summary').waitFor();
      await expect.poll(() => page.getByText('Reading the model…').count(), { timeout: 60_000 }).toBe(0);
    },
    pickInDataFolder,
    async setShape(input, dims) {
      const { page } = app();
      for (const [i, v] of Object.entries(dims)) await page.getByTestId(`dim-${input}-${i}`).fill(String(v));
      await page.getByTestId('shape-apply').click();
      await expect.poll(() => page.getByTestId('flops').textContent(), { timeout: 60_000 }).not.toBe('unknown');
    },
    async chooseMethod(prune, quant) {
      const { page } = app();
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
    },
    async startSynthetic() {
      const { page } = app();
      await goStep(4, 'data');
      await page.locator('label.kind', { hasText: 'Synthetic inputs' }).click();
      await goStep(5, 'run');
      await page.getByTestId('start').click();
    },
  };
}
