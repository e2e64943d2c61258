// Every call in the contract is bound by every host: the shared handler map (CLI/core), the web
// host (HTTP) and Electron IPC (with electron mocked). Adding a call without binding it fails here.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { callNames, calls } from '../../preload/contract';
import { handlers, invoke, type ApiServices } from '../../main/core/api/index';
import { JobRunner } from '../../main/core/jobs/runner';
import { startWebHost, type WebHost } from '../../main/web/server';
import { bindIpc, CALL_CHANNEL } from '../../main/electron/ipc';

vi.mock('electron', () => ({}));

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-contract-'));
const jobs = new JobRunner({ dataDir });
const services: ApiServices = { dataDir, host: 'cli', jobs };
let web: WebHost;
beforeAll(async () => {
  web = await startWebHost({ port: 0, dataDir, jobs, rendererDir: dataDir });
});
afterAll(async () => {
  await jobs.shutdown();
  await web.close();
});

// An argument object that violates every call's schema: an unknown field.
const INVALID = { __not_a_field__: true };

function postCall(name: string, args: unknown): Promise<{ status: number; body: { ok: boolean; error?: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: '127.0.0.1', port: web.port, path: `/api/call/${name}`, method: 'POST', headers: { 'x-twinforge-token': web.token, 'content-type': 'application/json' } },
      (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(b) }));
      },
    );
    r.on('error', reject);
    r.end(JSON.stringify(args));
  });
}

describe('the contract', () => {
  it('has a handler for every call and no handler without a call', () => {
    expect(Object.keys(handlers).sort()).toEqual([...callNames].sort());
  });

  it('every call has a strict object schema and a doc line', () => {
    for (const name of callNames) {
      expect(calls[name].doc.length, name).toBeGreaterThan(10);
      expect(calls[name].args.safeParse(INVALID).success, `${name} must reject unknown fields`).toBe(false);
    }
  });

  it.each(callNames)('%s is validated by the core dispatcher', async (name) => {
    await expect(invoke(services, name, INVALID)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it.each(callNames)('%s is bound by the web host', async (name) => {
    const r = await postCall(name, INVALID);
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('BAD_INPUT');
    expect(r.body.error?.message).toMatch(/__not_a_field__/);
  });

  it.each(callNames)('%s is bound by Electron IPC', async (name) => {
    const registered = new Map<string, (...a: unknown[]) => Promise<unknown>>();
    const ipcMain = { handle: (ch: string, fn: (...a: unknown[]) => Promise<unknown>) => registered.set(ch, fn), removeHandler: vi.fn() };
    bindIpc(ipcMain as never, services, () => true);
    const handler = registered.get(CALL_CHANNEL)!;
    const res = (await handler({ senderFrame: { url: 'file:///app/index.html' } }, name, INVALID)) as { ok: boolean; error: { code: string } };
    expect(res).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
  });
});
