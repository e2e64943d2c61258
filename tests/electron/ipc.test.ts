// The Electron host's IPC binding driven with electron mocked: calls, sender checks, events.
import { describe, expect, it, vi } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { bindIpc, CALL_CHANNEL, EVENT_CHANNEL, forwardJobEvents, senderFromOrigins } from '../../main/electron/ipc';
import { JobRunner } from '../../main/core/jobs/runner';
import type { ApiServices } from '../../main/core/api/index';

vi.mock('electron', () => ({ app: {}, BrowserWindow: vi.fn(), ipcMain: {}, session: {}, shell: {}, dialog: {} }));

function fakeIpcMain() {
  const handlers = new Map<string, (...a: unknown[]) => Promise<unknown>>();
  return {
    handlers,
    handle: (ch: string, fn: (...a: unknown[]) => Promise<unknown>) => handlers.set(ch, fn),
    removeHandler: (ch: string) => handlers.delete(ch),
  };
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-ipc-'));
const services: ApiServices = { dataDir, host: 'electron', jobs: new JobRunner({ dataDir }) };
const trusted = senderFromOrigins(['file:///opt/twinforge/out/renderer']);

describe('Electron IPC binding', () => {
  it('answers a call from our own page', async () => {
    const ipc = fakeIpcMain();
    bindIpc(ipc as never, services, trusted);
    const res = (await ipc.handlers.get(CALL_CHANNEL)!({ senderFrame: { url: 'file:///opt/twinforge/out/renderer/index.html' } }, 'app.info', {})) as { ok: boolean; value: { host: string } };
    expect(res.ok).toBe(true);
    expect(res.value.host).toBe('electron');
  });

  it('refuses a call from a foreign frame', async () => {
    const ipc = fakeIpcMain();
    bindIpc(ipc as never, services, trusted);
    const res = await ipc.handlers.get(CALL_CHANNEL)!({ senderFrame: { url: 'https://evil.example/' } }, 'app.info', {});
    expect(res).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
  });

  it('turns thrown errors into envelopes (errors are data)', async () => {
    const ipc = fakeIpcMain();
    bindIpc(ipc as never, services, () => true);
    const res = await ipc.handlers.get(CALL_CHANNEL)!({ senderFrame: { url: 'x' } }, 'jobs.get', { id: 'nope' });
    expect(res).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('forwards job progress to the window', async () => {
    const sent: unknown[][] = [];
    const wc = { isDestroyed: () => false, send: (...a: unknown[]) => sent.push(a) };
    const stop = forwardJobEvents(services, () => wc as never);
    const job = services.jobs.submit('selftest', { steps: 2, stepMs: 1 });
    await services.jobs.wait(job.id);
    stop();
    expect(sent.length).toBeGreaterThan(1);
    expect(sent.every((a) => a[0] === EVENT_CHANNEL && a[1] === 'jobs.progress')).toBe(true);
    await services.jobs.shutdown();
  });
});
