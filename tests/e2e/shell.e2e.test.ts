// The app shell in a real browser: web host + built renderer + headless Chromium. Checks the
// wizard frame renders, the status bar shows the engine's real app info, keyboard navigation and
// the theme work, and nothing logs an error. Screenshot: tests/e2e/artifacts/shell.png.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeE2E, root, startApp, type App } from './support/harness';

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

describeE2E('app shell in Chromium', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('renders the wizard frame with the real app info', async () => {
    const { page } = app;
    await page.getByTestId('version').waitFor();
    expect(await page.getByTestId('version').textContent()).toBe(`Twinforge ${pkg.version}`);
    expect(await page.getByTestId('platform').textContent()).toBe(`${process.platform} ${process.arch}`);
    expect(await page.getByTestId('data-dir').textContent()).toContain(app.dataDir);
    expect(await page.getByTestId('host').textContent()).toContain('web');
    await expect.poll(() => page.getByTestId('connection').textContent()).toContain('connected');
    const steps = await page.locator('nav[aria-label="Wizard steps"] button').allTextContents();
    expect(steps.map((s) => s.replace(/^\s*[✓\d]+\s*/, '').replace(/\(.*\)\s*$/, '').trim())).toEqual(['Model', 'Target', 'Method', 'Data', 'Run', 'Results', 'Export']);
    expect(await page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('model');
    // The token left the address bar once the host had set its cookie.
    expect(page.url()).not.toContain('token=');
    await app.shot('shell');
  });

  it('moves between steps from the keyboard, and to the zoo', async () => {
    const { page } = app;
    await page.keyboard.press('Alt+ArrowRight');
    await expect.poll(() => page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('target');
    await page.keyboard.press('Alt+5');
    await expect.poll(() => page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('run');
    await page.keyboard.press('Alt+ArrowLeft');
    await expect.poll(() => page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('data');
    // Tab reaches the step bar and the focus ring is drawn.
    await page.keyboard.press('Alt+1');
    const first = page.locator('nav[aria-label="Wizard steps"] button').first();
    await first.focus();
    expect(await first.evaluate('getComputedStyle(document.activeElement).outlineStyle')).not.toBe('none');
    await page.keyboard.press('Alt+z');
    await page.getByTestId('view-zoo').waitFor();
    await page.keyboard.press('Alt+w');
    await page.getByTestId('step-model').waitFor();
  });

  it('switches to dark, remembers it across a reload, and keeps the step', async () => {
    const { page } = app;
    await page.keyboard.press('Alt+2');
    await page.getByTestId('theme-toggle').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    await page.reload();
    await page.getByTestId('version').waitFor();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    expect(await page.locator('[aria-current="step"]').getAttribute('data-step')).toBe('target');
    await app.shot('shell-dark');
    await page.getByTestId('theme-toggle').click();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('light');
  });

  it('uploads a model from the browser (browser mode) and opens it', async () => {
    const { page } = app;
    await page.keyboard.press('Alt+1');
    await page.getByTestId('open-file').click();
    await page.getByTestId('picker-upload').setInputFiles(path.join(root, 'node_modules', 'openwakeword-js', 'models', 'hello_deepa.onnx'));
    await page.getByTestId('model-summary').waitFor();
    expect(await page.getByTestId('model-path').textContent()).toContain(path.join(app.dataDir, 'uploads', 'hello_deepa.onnx'));
    // The upload route keeps the host's rules: token required, only model/data files.
    const base = new URL(app.host.url);
    const noToken = await fetch(`${base.origin}/api/upload?name=x.onnx`, { method: 'POST', body: 'x' });
    expect(noToken.status).toBe(401);
    const bad = await fetch(`${base.origin}/api/upload?name=evil.sh`, { method: 'POST', body: 'x', headers: { 'x-twinforge-token': app.host.token } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('BAD_INPUT');
  });

  it('logged no console errors, failed requests or page errors', () => {
    expect(app.problems).toEqual([]);
  });
});
