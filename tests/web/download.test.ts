// Browser-mode downloads (main/web/download.ts) against the real web host and a real zoo: a zoo
// model's file byte for byte, a twin's archive with its recipe and report, and the refusals
// (no token, unknown model or job, addresses that try to step out).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { JobRunner } from '../../main/core/jobs/runner';
import { startWebHost, type WebHost } from '../../main/web/server';
import { closeZoo, openZoo } from '../../main/core/zoo/db';
import { getModel } from '../../main/core/zoo/repo/models';
import { ModelStore } from '../../main/core/zoo/store';
import { seedZoo } from '../core/zoo/helpers';

let host: WebHost;
let jobs: JobRunner;
let dataDir: string;
let twins: number[];
const renderer = mkdtempSync(path.join(os.tmpdir(), 'tf-web-dl-'));

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'tf-data-dl-'));
  twins = seedZoo(openZoo(dataDir), 'z', 1, [{ method: 'magnitude', pattern: 'unstructured', level: 0.5 }]).twins;
  jobs = new JobRunner({ dataDir });
  host = await startWebHost({ port: 0, dataDir, jobs, rendererDir: renderer });
});
afterAll(async () => {
  await jobs.shutdown();
  await host.close();
  closeZoo();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(renderer, { recursive: true, force: true });
});

function get(p: string, token = true): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: host.port, path: p, headers: token ? { 'x-twinforge-token': host.token } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), headers: res.headers }));
    });
    r.on('error', reject);
    r.end();
  });
}

async function untar(buf: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: unknown) => parts.push(d as Buffer));
      stream.on('end', () => (out.set(h.name, Buffer.concat(parts)), next()));
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  Readable.from([buf]).pipe(ex);
  await done;
  return out;
}

describe('downloads in browser mode', () => {
  it('serves a zoo twin byte for byte, named after the model', async () => {
    const id = twins[0]!;
    const r = await get(`/api/download/zoo/${id}`);
    expect(r.status).toBe(200);
    const m = getModel(openZoo(dataDir), id)!;
    expect(Buffer.compare(r.body, readFileSync(new ModelStore(dataDir).pathOf(m.sha256)))).toBe(0);
    expect(r.headers['content-disposition']).toContain(`filename="${m.name.replace(/[^A-Za-z0-9._+-]+/g, '_')}.onnx"`);
  });

  it('packs a twin with its recipe and a report of its rows', async () => {
    const id = twins[0]!;
    const r = await get(`/api/download/zoo/${id}.tar`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-tar');
    const entries = await untar(r.body);
    const names = [...entries.keys()];
    expect(names.some((n) => n.endsWith('.onnx'))).toBe(true);
    expect(entries.get(names.find((n) => n.endsWith('/recipe.yaml'))!)!.toString()).toContain('method: magnitude');
    const report = JSON.parse(entries.get(names.find((n) => n.endsWith('/report.json'))!)!.toString());
    expect(report.twin.sparsity).toBe(0.5);
    expect(report.layers).toHaveLength(2);
  });

  it('refuses without the token, for unknown models and jobs, and for addresses that step out', async () => {
    expect((await get(`/api/download/zoo/${twins[0]}`, false)).status).toBe(401);
    expect((await get('/api/download/zoo/999999')).status).toBe(404);
    expect((await get('/api/download/zoo/abc')).status).toBe(400);
    const job = await get('/api/download/run/nosuchjob/twin.onnx');
    expect(job.status).toBe(404);
    expect(JSON.parse(job.body.toString()).error.message).toMatch(/No job with id/);
    expect((await get('/api/download/run/..%2F..%2Fetc/passwd')).status).toBe(400);
    expect((await get('/api/download/elsewhere')).status).toBe(404);
  });
});
