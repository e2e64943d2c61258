// Browser-mode upload: a browser on another machine (serve --host) cannot hand the engine a path,
// so it may send a model or data file's bytes. POST /api/upload?name=FILE streams the body into
// <data folder>/uploads/ (temp file, then rename) and answers {ok, value: {path, bytes}}. The web
// host's token and origin checks run before this handler. Only model and data file types are
// taken, under a size limit; names are reduced to a safe base name.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export const UPLOAD_PATH = '/api/upload';
/** Largest upload accepted (bytes). */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
const ALLOWED = /\.(onnx|onnx_data|data|safetensors|npy|npz)$/i;

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, message: string, hint?: string): void {
  reply(res, status, { ok: false, error: { code: status === 413 || status === 400 ? 'BAD_INPUT' : 'INTERNAL', message, ...(hint ? { hint } : {}) } });
}

/** A file name safe to create: its base name, odd characters replaced. */
export function safeName(raw: string): string {
  return path.basename(raw.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '').slice(0, 200);
}

/** Handles POST /api/upload?name=...; returns false when the request is not an upload. */
export function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL, dataDir: string): boolean {
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
    req.destroy();
    return true;
  }
  const dir = path.join(dataDir, 'uploads');
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.upload-${process.pid}-${randomBytes(6).toString('hex')}`);
  let dest = path.join(dir, name);
  for (let i = 1; existsSync(dest); i++) dest = path.join(dir, name.replace(/(\.[^.]+)?$/, `-${i}$1`));
  const out = createWriteStream(tmp);
  let bytes = 0;
  let aborted = false;
  const abort = (status: number, message: string, hint?: string) => {
    if (aborted) return;
    aborted = true;
    out.destroy();
    rmSync(tmp, { force: true });
    fail(res, status, message, hint);
  };
  req.on('data', (c: Buffer) => {
    bytes += c.length;
    if (bytes > MAX_UPLOAD_BYTES) {
      abort(413, `The file is too large (over ${MAX_UPLOAD_BYTES} bytes).`, 'Put it on the engine machine and open it by path.');
      req.destroy();
    }
  });
  req.on('aborted', () => abort(400, 'The upload was interrupted.'));
  req.pipe(out);
  out.on('finish', () => {
    if (aborted) return;
    try {
      renameSync(tmp, dest);
      reply(res, 200, { ok: true, value: { path: dest, bytes } });
    } catch (err) {
      abort(500, `Could not store the upload: ${(err as Error).message}`);
    }
  });
  out.on('error', (err) => abort(500, `Could not store the upload: ${err.message}`));
  return true;
}
