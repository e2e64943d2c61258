// The content-addressed store over HTTP, for cluster workers on other machines: GET
// /api/blobs/<sha256> streams a stored file, PUT /api/blobs/<sha256> stores an uploaded one.
// The web host's token and origin checks run before this handler. An upload lands in a temp
// file inside the store while it is hashed, and only a body whose sha256 is the one in the URL
// is moved into place (atomic rename) — a truncated or altered transfer never enters the store.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ModelStore } from '../core/zoo/store';

export const BLOBS_PATH = '/api/blobs/';
/** Largest file accepted by PUT (bytes): the store holds models under the ONNX 2 GB limit, plus data. */
export const MAX_BLOB_BYTES = 4 * 1024 ** 3;
const SHA_RE = /^[0-9a-f]{64}$/;

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, code: string, message: string, hint?: string): void {
  reply(res, status, { ok: false, error: { code, message, ...(hint ? { hint } : {}) } });
}

/** Handles /api/blobs/<sha256>; returns false when the request is for something else. */
export function handleBlobs(req: IncomingMessage, res: ServerResponse, url: URL, dataDir: string): boolean {
  if (!url.pathname.startsWith(BLOBS_PATH)) return false;
  const sha = url.pathname.slice(BLOBS_PATH.length);
  if (!SHA_RE.test(sha)) return fail(res, 400, 'BAD_INPUT', `'${sha.slice(0, 80)}' is not a sha256.`, 'Blobs are named by the lowercase hex sha256 of their content.'), true;
  const store = new ModelStore(dataDir);
  if (req.method === 'GET' || req.method === 'HEAD') {
    const file = store.pathOf(sha);
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return fail(res, 404, 'NOT_FOUND', `The store has no file ${sha}.`, 'Import the model into the zoo first.'), true;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size), 'x-twinforge-sha256': sha, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  }
  if (req.method !== 'PUT') return fail(res, 400, 'BAD_INPUT', `Method ${req.method} not allowed on blobs.`, 'GET or HEAD to read, PUT to store.'), true;
  if (store.has(sha)) {
    // Already there (an earlier try uploaded it): drain and say so, the content is known.
    req.resume();
    req.on('end', () => reply(res, 200, { ok: true, value: { sha256: sha, bytes: statSync(store.pathOf(sha)).size, added: false } }));
    return true;
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_BLOB_BYTES) {
    req.resume();
    return fail(res, 413, 'BAD_INPUT', `Blob too large (${declared} bytes; limit ${MAX_BLOB_BYTES}).`), true;
  }
  const tmp = store.tempPath('-put');
  const out = createWriteStream(tmp, { flags: 'wx' });
  const h = createHash('sha256');
  let bytes = 0;
  let failed = false;
  const abort = (status: number, code: string, message: string, hint?: string) => {
    if (failed) return;
    failed = true;
    req.unpipe(out);
    out.destroy();
    rmSync(tmp, { force: true });
    fail(res, status, code, message, hint);
    res.on('finish', () => req.destroy());
  };
  req.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes > MAX_BLOB_BYTES) return abort(413, 'BAD_INPUT', `Blob larger than ${MAX_BLOB_BYTES} bytes.`);
    h.update(c);
  });
  req.on('error', () => abort(400, 'BAD_INPUT', 'The upload was interrupted.'));
  req.on('aborted', () => abort(400, 'BAD_INPUT', 'The upload was interrupted.'));
  out.on('error', (e) => abort(500, 'INTERNAL', `Cannot write the upload: ${e.message}`));
  out.on('finish', () => {
    if (failed) return;
    const got = h.digest('hex');
    if (got !== sha) return abort(400, 'BAD_INPUT', `Upload hash mismatch: the body hashes to ${got}, not ${sha}.`, 'The transfer was altered or cut short; upload again.');
    try {
      const stored = store.adoptTemp(tmp);
      reply(res, 201, { ok: true, value: { sha256: stored.sha256, bytes: stored.bytes, added: stored.added } });
    } catch (e) {
      abort(500, 'INTERNAL', `Cannot store the upload: ${(e as Error).message}`);
    }
  });
  req.pipe(out);
  return true;
}
