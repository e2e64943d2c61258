// Browser-mode upload: a browser on another machine (serve --host) cannot hand the engine a path,
// so it may send a model or data file's bytes. POST /api/upload?name=FILE streams the body into
// <data folder>/uploads/ (temp file, then rename) and answers {ok, value: {path, bytes}}. The web
// host's token and origin checks run before this handler. Only model and data file types are
// taken, under a size limit; names are reduced to a safe base name.
import { createWriteStream, linkSync, mkdirSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const UPLOAD_PATH = '/api/upload';
/** Largest upload accepted (bytes). */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
const ALLOWED = /\.(onnx|onnx_data|data|safetensors|npy|npz)$/i;
/** Bytes all uploads of one launch may add together unless the host says otherwise. */
export const DEFAULT_UPLOAD_QUOTA = 16 * 1024 ** 3;

/**
 * What one launch of the web host lets uploads add to the disk. Bytes are reserved as they stream
 * in (so concurrent uploads cannot overshoot together) and given back when an upload fails.
 */
export class UploadQuota {
  used = 0;
  constructor(readonly limit = DEFAULT_UPLOAD_QUOTA) {}
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/**
 * Moves `tmp` to `name` (or `name-1`, `name-2`, ...) in `dir` without ever replacing a file:
 * link() fails with EEXIST when the name is taken, atomically, so two uploads of one name at
 * the same moment get two files.
 */
export function claimUniqueName(tmp: string, dir: string, name: string): string {
  for (let i = 0; i < 10000; i++) {
    const dest = path.join(dir, i === 0 ? name : name.replace(/(\.[^.]+)?$/, `-${i}$1`));
    try {
      linkSync(tmp, dest);
      rmSync(tmp, { force: true });
      return dest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`no free name for ${name} in ${dir}`);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  // After a refusal the rest of the body is not read: the connection must not be reused.
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...(status >= 400 ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, message: string, hint?: string): void {
  reply(res, status, { ok: false, error: { code: status === 413 || status === 400 ? 'BAD_INPUT' : 'INTERNAL', message, ...(hint ? { hint } : {}) } });
}

/** Stops reading the request and closes the connection once the answer is flushed. */
function closeAfter(req: IncomingMessage, res: ServerResponse): void {
  req.unpipe();
  req.pause();
  res.on('finish', () => req.destroy());
}

/** A file name safe to create: its base name, odd characters replaced. */
export function safeName(raw: string): string {
  return path.basename(raw.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '').slice(0, 200);
}

/** Handles POST /api/upload?name=...; returns false when the request is not an upload. */
export function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL, dataDir: string, quota = new UploadQuota()): boolean {
  if (url.pathname !== UPLOAD_PATH) return false;
  if (req.method !== 'POST') return fail(res, 400, 'Uploads are POST requests.'), true;
  const name = safeName(url.searchParams.get('name') ?? '');
  if (!name || !ALLOWED.test(name)) {
    fail(res, 400, `'${url.searchParams.get('name') ?? ''}' is not a model or data file Twinforge takes.`, 'Upload .onnx, .safetensors, .npy or .npz files.');
    return true;
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_UPLOAD_BYTES) {
    fail(res, 413, `The file is too large (${declared} bytes; the limit is ${MAX_UPLOAD_BYTES}).`, 'Put it on the engine machine and open it by path.');
    closeAfter(req, res);
    return true;
  }
  if (Number.isFinite(declared) && quota.used + declared > quota.limit) {
    fail(res, 413, `Uploads of this session would pass their quota (${quota.limit} bytes).`, 'Restart `twinforge serve` or open files by path on the engine machine.');
    closeAfter(req, res);
    return true;
  }
  const dir = path.join(dataDir, 'uploads');
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.upload-${process.pid}-${randomBytes(6).toString('hex')}`);
  const out = createWriteStream(tmp);
  let bytes = 0;
  let aborted = false;
  const abort = (status: number, message: string, hint?: string) => {
    if (aborted) return;
    aborted = true;
    // The stream may open its file after this point: remove it once the stream is closed too.
    out.once('close', () => rmSync(tmp, { force: true }));
    out.destroy();
    rmSync(tmp, { force: true });
    quota.give(bytes);
    fail(res, status, message, hint);
    if (status === 413) closeAfter(req, res);
  };
  req.on('data', (c: Buffer) => {
    if (aborted) return;
    bytes += c.length;
    if (!quota.take(c.length)) {
      bytes -= c.length;
      abort(413, `Uploads of this session passed their quota (${quota.limit} bytes).`, 'Restart `twinforge serve` or open files by path on the engine machine.');
    } else if (bytes > MAX_UPLOAD_BYTES) {
      abort(413, `The file is too large (over ${MAX_UPLOAD_BYTES} bytes).`, 'Put it on the engine machine and open it by path.');
    }
  });
  req.on('aborted', () => abort(400, 'The upload was interrupted.'));
  req.pipe(out);
  out.on('finish', () => {
    if (aborted) return;
    try {
      const dest = claimUniqueName(tmp, dir, name);
      reply(res, 200, { ok: true, value: { path: dest, bytes } });
    } catch (err) {
      abort(500, `Could not store the upload: ${(err as Error).message}`);
    }
  });
  out.on('error', (err) => abort(500, `Could not store the upload: ${err.message}`));
  return true;
}
