// Findings 1, 2, 3 and 6 of the hardening audit, reproduced against a real web host: no request
// target, cookie or body kills it; bad encodings get 400, oversized bodies 413; uploads of one
// name never replace each other and stop at the launch's quota; the token cookie is port-bound;
// writes outside the data folder and picked folders are refused with 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import YAML from 'yaml';
import { JobRunner } from '../../main/core/jobs/runner';
import { startWebHost, type WebHost } from '../../main/web/server';
import { forgetPickedFolders } from '../../main/core/fs-policy';

let host: WebHost;
let jobs: JobRunner;
let dataDir: string;
const renderer = mkdtempSync(path.join(os.tmpdir(), 'tf-webh-'));

beforeAll(async () => {
  writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>tf</title>');
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-webh-data-'));
  jobs = new JobRunner({ dataDir });
  host = await startWebHost({ port: 0, dataDir, jobs, rendererDir: renderer, uploadQuotaBytes: 4096 });
  forgetPickedFolders();
});
afterAll(async () => {
  await jobs.shutdown();
  await host.close();
});

/** Sends raw bytes and returns what the server answered (or '' when it closed silently). */
function raw(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(host.port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.on('data', (d) => {
      out += d;
      if (out.includes('\r\n\r\n')) s.destroy(); // the status line and headers are all we need
    });
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    setTimeout(() => s.destroy(), 3000);
  });
}

function req(p: string, init: { method?: string; headers?: Record<string, string | number>; body?: string | Buffer } = {}) {
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

const auth = () => ({ 'x-twinforge-token': host.token, 'content-type': 'application/json' });
const alive = async () => expect((await req('/api/call/app.info', { method: 'POST', headers: auth(), body: '{}' })).status).toBe(200);

describe('web host: requests that used to crash it', () => {
  it('answers 400 to a //[ request target, over HTTP and on the upgrade path, and stays up', async () => {
    expect(await raw('GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw('GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    await alive();
  });

  it('ignores a malformed token cookie (401, never 500) on HTTP and on the WebSocket upgrade', async () => {
    const cookie = `tf_token_${host.port}=%E0%A4%A; tf_token=%`;
    const r = await req('/', { headers: { cookie } });
    expect(r.status).toBe(401);
    const up = await raw(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    expect(up).toMatch(/^HTTP\/1\.1 401/);
    // A planted bad duplicate does not hide the good cookie.
    const both = await req('/', { headers: { cookie: `tf_token_${host.port}=%; tf_token_${host.port}=${host.token}` } });
    expect(both.status).toBe(200);
    await alive();
  });

  it('answers 400 to bad percent-encoding in call names and static paths', async () => {
    const call = await req('/api/call/%E0%A4%A', { method: 'POST', headers: auth(), body: '{}' });
    expect(call.status).toBe(400);
    expect(JSON.parse(call.body).error.code).toBe('BAD_INPUT');
    expect((await req('/%E0%A4%A', { headers: auth() })).status).toBe(400);
    expect((await req('/a%00b', { headers: auth() })).status).toBe(400);
    await alive();
  });

  it('sets a port-bound, HttpOnly, SameSite=Strict cookie and takes only that name', async () => {
    const page = await req(`/?token=${host.token}`);
    const set = String(page.headers['set-cookie']);
    expect(set).toContain(`tf_token_${host.port}=${host.token}`);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect((await req('/', { headers: { cookie: `tf_token=${host.token}` } })).status).toBe(401);
    expect((await req('/', { headers: { cookie: `tf_token_${host.port + 1}=${host.token}` } })).status).toBe(401);
  });
});

describe('web host: bodies and uploads', () => {
  it('answers 413 to a call body over 1 MiB (declared or streamed) and stays up', async () => {
    const big = JSON.stringify({ x: 'a'.repeat(1.5 * 2 ** 20) });
    const r = await req('/api/call/app.info', { method: 'POST', headers: auth(), body: big }).catch(() => ({ status: 0, body: '' }));
    expect(r.status).toBe(413);
    const chunked = await new Promise<number>((resolve) => {
      const rq = http.request({ host: '127.0.0.1', port: host.port, path: '/api/call/app.info', method: 'POST', headers: { ...auth(), 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      rq.on('error', () => resolve(-1));
      for (let i = 0; i < 40; i++) rq.write('a'.repeat(64 * 1024));
      rq.end();
    });
    expect(chunked).toBe(413);
    await alive();
  });

  it('gives two simultaneous uploads of one name two files', async () => {
    const up = (body: string) => req('/api/upload?name=same.onnx', { method: 'POST', headers: { 'x-twinforge-token': host.token }, body });
    const [a, b] = await Promise.all([up('first'), up('second')]);
    const pa = JSON.parse(a.body).value.path as string;
    const pb = JSON.parse(b.body).value.path as string;
    expect(pa).not.toBe(pb);
    expect(new Set([readFileSync(pa, 'utf8'), readFileSync(pb, 'utf8')])).toEqual(new Set(['first', 'second']));
  });

  it('stops uploads at the launch quota with 413 and leaves no partial file', async () => {
    const r = await req('/api/upload?name=big.onnx', { method: 'POST', headers: { 'x-twinforge-token': host.token }, body: Buffer.alloc(5000) }).catch(() => ({ status: 0, body: '' }));
    expect(r.status).toBe(413);
    const leftovers = () => readdirSync(path.join(dataDir, 'uploads')).filter((n) => n.startsWith('big') || n.startsWith('.upload-'));
    for (let i = 0; i < 40 && leftovers().length; i++) await new Promise((r) => setTimeout(r, 50));
    const names = leftovers();
    expect(names.filter((n) => n.startsWith('big') || n.startsWith('.upload-'))).toEqual([]);
    await alive();
  });
});

describe('web host: writes only where the user chose', () => {
  const recipe = (name: string) => ({ version: 1, name, model: '/tmp/m.onnx', stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }] });

  it('refuses recipe.save outside the data folder (403), relative paths (400) and hidden entries (403)', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'tf-outside-'));
    const r = await req('/api/call/recipe.save', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: recipe('x'), path: path.join(outside, 'r.yaml'), overwrite: true }) });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.code).toBe('FORBIDDEN');
    expect(existsSync(path.join(outside, 'r.yaml'))).toBe(false);
    const rel = await req('/api/call/recipe.save', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: recipe('x'), path: 'r.yaml' }) });
    expect(rel.status).toBe(400);
    const hidden = await req('/api/call/recipe.save', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: recipe('x'), path: path.join(dataDir, '.config', 'r.yaml') }) });
    expect(hidden.status).toBe(403);
    const escape = await req('/api/call/recipe.save', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: recipe('x'), path: path.join(dataDir, '..', 'r.yaml') }) });
    expect(escape.status).toBe(403);
  });

  it('saves inside the data folder, with hostile strings serialised by the YAML library', async () => {
    const name = '$(id > /tmp/pwned)\n"quoted": yes # not a comment';
    const file = path.join(dataDir, 'recipes', 'r.yaml');
    const r = await req('/api/call/recipe.save', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: recipe(name), path: file }) });
    expect(r.status, r.body).toBe(200);
    expect(YAML.parse(readFileSync(file, 'utf8')).name).toBe(name);
  });

  it('allows a folder once the user opened it in the file picker', async () => {
    const home = os.homedir();
    const picked = mkdtempSync(path.join(home, 'tf-picked-'));
    try {
      const file = path.join(picked, 'r.yaml');
      const before = await req('/api/call/recipe.save', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: recipe('x'), path: file }) });
      expect(before.status).toBe(403);
      expect((await req('/api/call/files.list', { method: 'POST', headers: auth(), body: JSON.stringify({ path: picked }) })).status).toBe(200);
      const after = await req('/api/call/recipe.save', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: recipe('x'), path: file }) });
      expect(after.status, after.body).toBe(200);
    } finally {
      (await import('node:fs')).rmSync(picked, { recursive: true, force: true });
    }
  });

  it('refuses compress.start whose recipe exports outside the chosen folders, and compress.export to any folder', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'tf-outside-'));
    const r = await req('/api/call/compress.start', { method: 'POST', headers: auth(), body: JSON.stringify({ recipe: { ...recipe('x'), export: { dir: outside } } }) });
    expect(r.status).toBe(403);
    const e = await req('/api/call/compress.export', { method: 'POST', headers: auth(), body: JSON.stringify({ id: 'nope', dir: '/etc' }) });
    expect(e.status).toBe(403);
    mkdirSync(path.join(dataDir, 'exp'), { recursive: true });
  });
});

describe('web host: model reads in a bounded worker', () => {
  it('answers model.inspect of hostile models with 400 and keeps serving meanwhile', async () => {
    const { sliceStepZero, sparseBomb, doublingConcats } = await import('../../main/core/bench/fuzz/hostile');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-webh-models-'));
    const slice = path.join(dir, 'slice0.onnx');
    writeFileSync(slice, sliceStepZero());
    const sparse = path.join(dir, 'sparse.onnx');
    writeFileSync(sparse, sparseBomb());
    const dbl = path.join(dir, 'double.onnx');
    writeFileSync(dbl, doublingConcats(40));
    const inspect = (p: string) => req('/api/call/model.inspect', { method: 'POST', headers: auth(), body: JSON.stringify({ path: p }) });
    const pending = Promise.all([inspect(slice), inspect(sparse), inspect(dbl)]);
    await alive(); // the host answers while the workers read
    const [a, b, c] = await pending;
    expect(a.status, a.body).toBe(400);
    expect(JSON.parse(a.body).error.code).toBe('CORRUPT_MODEL');
    expect(b.status).toBe(400);
    expect(c.status, c.body).toBe(200);
  }, 90_000); // three worker processes start from TypeScript sources here: seconds each on a busy machine

  it('stops a worker that passes its time limit, and the host stays up', async () => {
    const { runIsolated } = await import('../../main/web/isolated');
    const { sameNameNodes } = await import('../../main/core/bench/fuzz/hostile');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-webh-slow-'));
    const file = path.join(dir, 'names.onnx');
    writeFileSync(file, sameNameNodes(20000));
    await expect(runIsolated('model.inspect', { path: file }, dataDir, { heapMb: 512, timeoutMs: 50 })).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/longer than/) });
    await alive();
  }, 60_000);
});
