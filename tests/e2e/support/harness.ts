// End-to-end harness: builds the web renderer when it is stale, starts the real web host
// in-process (startWebHost + a JobRunner on a temporary data folder), and drives Debian Chromium
// headless through playwright-core. Where Chromium is missing the suites are skipped with the
// reason — except under CI=true, where a missing browser fails the run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core';
import { JobRunner } from '../../../main/core/jobs/runner';
import { startWebHost, type WebHost } from '../../../main/web/server';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const artifacts = path.join(root, 'tests', 'e2e', 'artifacts');
const webDir = path.join(root, 'out', 'web');
// Components mark what tests look for with data-test="...".
selectors.setTestIdAttribute('data-test');
const CHROMIUM = process.env.TWINFORGE_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const chromiumMissing: string | undefined = existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM} (apt-get install chromium, or set TWINFORGE_CHROMIUM)`;

/** describe() when Chromium is there; otherwise skipped with the reason (a failure under CI=true). */
export function describeE2E(name: string, body: () => void): void {
  if (!chromiumMissing) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => it('needs Chromium', () => { throw new Error(`${chromiumMissing}; CI=true requires the e2e tests to run.`); }));
    return;
  }
  console.warn(`[e2e] '${name}' skipped: ${chromiumMissing}`);
  describe.skip(`${name} — skipped: ${chromiumMissing}`, body);
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Rebuilds out/web when any renderer source (or the contract) is newer than the build. */
export function ensureWebBuild(): void {
  const index = path.join(webDir, 'index.html');
  const sources = Math.max(newest(path.join(root, 'renderer')), newest(path.join(root, 'preload')), statSync(path.join(root, 'vite.web.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'vite.web.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
}

export interface App {
  page: Page;
  context: BrowserContext;
  host: WebHost;
  jobs: JobRunner;
  dataDir: string;
  /** Console errors and uncaught page errors seen so far (a test asserts it stays empty). */
  problems: string[];
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Use this data folder instead of a fresh temporary one (kept on close). */
  dataDir?: string;
  /** Prepared before the host starts (e.g. a zoo imported through the engine). */
  prepare?: (dataDir: string) => Promise<void> | void;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  hash?: string;
}

/** Starts the web host for real and opens the printed URL in headless Chromium. */
export async function startApp(opts: StartOptions = {}): Promise<App> {
  ensureWebBuild();
  mkdirSync(artifacts, { recursive: true });
  const ownData = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'tf-e2e-data-'));
  await opts.prepare?.(dataDir);
  const jobs = new JobRunner({ dataDir, concurrency: 2 });
  const host = await startWebHost({ port: 0, dataDir, jobs, rendererDir: webDir });
  const profile = mkdtempSync(path.join(os.tmpdir(), 'tf-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    colorScheme: opts.colorScheme ?? 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    // A contract call that answers with an error envelope (4xx/5xx) is logged by Chromium as a
    // failed resource; the UI shows those errors by design, so only other errors count.
    if (m.type() === 'error' && !(m.text().startsWith('Failed to load resource') && m.location().url.includes('/api/call/'))) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().includes('/api/call/')) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(host.url + (opts.hash ?? ''));
  return {
    page, context, host, jobs, dataDir, problems,
    async shot(name) {
      const file = path.join(artifacts, `${name}.png`);
      await page.screenshot({ path: file });
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      await jobs.shutdown().catch(() => undefined);
      await host.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
      if (ownData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
