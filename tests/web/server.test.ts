import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { JobRunner } from '../../main/core/jobs/runner';
import { startWebHost, type WebHost } from '../../main/web/server';

let host: WebHost;
let jobs: JobRunner;
const renderer = mkdtempSync(path.join(os.tmpdir(), 'tf-web-'));

beforeAll(async () => {
  mkdirSync(path.join(renderer, 'assets'));
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>tf</title>');
  writeFileSync(path.join(renderer, 'assets', 'a.js'), 'console.log(1)');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-data-'));
  jobs = new JobRunner({ dataDir });
  host = await startWebHost({ port: 0, dataDir, jobs, rendererDir: renderer });
});
afterAll(async () => {
  await jobs.shutdown();
  await host.close();
});

function req(p: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: host.port, path: p, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    r.on('error', reject);
    if (init.body !== undefined) r.write(init.body);
    r.end();
  });
}

const auth = (): Record<string, string> => ({ 'x-twinforge-token': host.token, 'content-type': 'application/json' });
const callApi = (name: string, args: unknown, headers = auth()) => req(`/api/call/${name}`, { method: 'POST', headers, body: JSON.stringify(args) });

describe('web host', () => {
  it('prints a loopback URL with a token', () => {
    expect(host.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${host.port}/\\?token=[0-9a-f]{48}$`));
  });

  it('refuses requests without the token (401)', async () => {
    expect((await req('/')).status).toBe(401);
    expect((await callApi('app.info', {}, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await callApi('app.info', {}, { 'x-twinforge-token': 'wrong' })).status).toBe(401);
  });

  it('serves the page with ?token, sets the cookie and a strict CSP, and assets with the cookie', async () => {
    const page = await req(`/?token=${host.token}`);
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toBe(`tf_token_${host.port}=${host.token}`);
    const asset = await req('/assets/a.js', { headers: { cookie } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect((await req('/../../etc/passwd', { headers: { cookie } })).status).toBe(404);
  });

  it('refuses foreign origins and rebinding hosts', async () => {
    const foreign = await callApi('app.info', {}, { ...auth(), origin: 'http://evil.example' });
    expect(foreign.status).toBe(401);
    const rebind = await callApi('app.info', {}, { ...auth(), host: 'evil.example:80' });
    expect(rebind.status).toBe(401);
    const own = await callApi('app.info', {}, { ...auth(), origin: `http://127.0.0.1:${host.port}` });
    expect(own.status).toBe(200);
  });

  it('answers a call with the typed result', async () => {
    const r = await callApi('app.info', {});
    expect(r.status).toBe(200);
    const body = JSON.parse(r.body);
    expect(body.ok).toBe(true);
    expect(body.value.host).toBe('web');
  });

  it('rejects malformed calls with a typed error envelope', async () => {
    const wrongType = JSON.parse((await callApi('jobs.get', { id: 42 })).body);
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
    expect(wrongType.error.message).toMatch(/id:/);
    const unknownField = JSON.parse((await callApi('app.info', { surprise: 1 })).body);
    expect(unknownField.error.code).toBe('BAD_INPUT');
    expect(unknownField.error.message).toMatch(/surprise/);
    const unknownCall = await callApi('nope.nothing', {});
    expect(unknownCall.status).toBe(400);
    expect(JSON.parse(unknownCall.body).error.message).toMatch(/Unknown call/);
    const notJson = await req('/api/call/app.info', { method: 'POST', headers: auth(), body: '{not json' });
    expect(JSON.parse(notJson.body).error.message).toMatch(/not valid JSON/);
    const huge = await req('/api/call/app.info', { method: 'POST', headers: auth(), body: JSON.stringify({ x: 'a'.repeat(2 << 20) }) }).catch(() => ({ status: 400, body: '{"error":{"code":"BAD_INPUT"}}' }));
    expect(huge.status).toBe(413);
  });

  it('streams job progress over the WebSocket, only with the token', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`);
    await new Promise<void>((resolve) => refused.on('error', () => resolve()));
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${host.token}`);
    await new Promise((r) => ws.on('open', r));
    const seen: string[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        const { event, payload } = JSON.parse(String(m));
        expect(event).toBe('jobs.progress');
        seen.push(payload.state);
        if (payload.state === 'done') resolve();
      }),
    );
    const started = JSON.parse((await callApi('jobs.selftest', { steps: 3, stepMs: 10 })).body);
    expect(['queued', 'running']).toContain(started.value.state);
    await done;
    expect(seen).toContain('running');
    ws.close();
  });

  it('refuses to bind a non-loopback address unless asked explicitly', async () => {
    await expect(startWebHost({ host: '0.0.0.0', port: 0, dataDir: '/tmp', jobs, rendererDir: renderer })).rejects.toMatchObject({ code: 'BAD_INPUT', hint: expect.stringMatching(/--host explicitly/) });
  });
});
