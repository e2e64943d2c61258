// Moving store files between a worker and the coordinator, verified by hash both ways: a worker
// fetches a parent or data file by sha256 (from the coordinator's web host with the token, or from
// a shared copy of its store folder) into its own store, and uploads the twin it made. A file
// whose bytes do not hash to the name asked for is discarded, never used.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { TwinforgeError } from '../errors';
import { hashFile, ModelStore } from '../zoo/store';

/** Where the coordinator's store is reachable from a worker. */
export interface StoreAccess {
  /** The coordinator's web host (http://host:port), used with `token`. */
  url?: string | null;
  token?: string;
  /** A data folder of the coordinator mounted here (its store/ folder is read and written directly). */
  sharedDataDir?: string;
}

const TIMEOUT_MS = 60_000;

function endpoint(access: StoreAccess, sha: string): URL {
  if (!access.url) throw new TwinforgeError('BAD_INPUT', 'The job names no store URL and this worker has no shared store folder.', 'Start the worker with --shared-store DIR, or run the coordinator with its store served (the default).');
  if (!access.token) throw new TwinforgeError('UNAUTHORIZED', 'This worker has no token for the coordinator store.', 'Give the worker the same TWINFORGE_TOKEN (or --token) as the coordinator.');
  return new URL(`/api/blobs/${sha}`, access.url);
}

function request(url: URL, method: string, token: string, headers: Record<string, string> = {}): http.ClientRequest {
  const mod = url.protocol === 'https:' ? https : http;
  const req = mod.request(url, { method, headers: { 'x-twinforge-token': token, ...headers }, timeout: TIMEOUT_MS });
  req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} in ${TIMEOUT_MS / 1000} s`)));
  return req;
}

async function errorOf(res: http.IncomingMessage, what: string): Promise<TwinforgeError> {
  let text = '';
  for await (const c of res) text += String(c);
  let env: { code?: string; message?: string; hint?: string } | undefined;
  try {
    env = (JSON.parse(text) as { error?: typeof env }).error;
  } catch {
    // not JSON
  }
  const code = res.statusCode === 401 ? 'UNAUTHORIZED' : res.statusCode === 404 ? 'NOT_FOUND' : 'INTERNAL';
  return new TwinforgeError(code, `${what}: HTTP ${res.statusCode}${env?.message ? ` ${env.message}` : ''}`, env?.hint ?? (code === 'UNAUTHORIZED' ? 'Worker and coordinator need the same TWINFORGE_TOKEN.' : undefined));
}

/** Makes sure `store` holds the file with this hash, fetching it when needed; returns its path. */
export async function fetchToStore(access: StoreAccess, sha: string, store: ModelStore): Promise<string> {
  if (store.has(sha)) return store.pathOf(sha);
  if (access.sharedDataDir) {
    const shared = new ModelStore(access.sharedDataDir);
    if (!shared.has(sha)) throw new TwinforgeError('NOT_FOUND', `The shared store ${shared.root} has no file ${sha}.`, 'Point --shared-store at the coordinator data folder.');
    if (shared.root === store.root) return shared.pathOf(sha);
    const got = store.importFile(shared.pathOf(sha));
    if (got.sha256 !== sha) {
      store.remove(got.sha256);
      throw new TwinforgeError('CORRUPT_MODEL', `The shared store file ${sha} hashes to ${got.sha256}.`, 'The shared copy is damaged; re-import the model on the coordinator.');
    }
    return got.path;
  }
  const url = endpoint(access, sha);
  const tmp = store.tempPath('-get');
  try {
    const h = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      const req = request(url, 'GET', access.token!);
      req.on('error', (e) => reject(new TwinforgeError('INTERNAL', `Cannot fetch ${sha.slice(0, 12)} from ${url.origin}: ${e.message}`, 'Is the coordinator running and reachable from this machine?')));
      req.on('response', (res) => {
        if (res.statusCode !== 200) return void errorOf(res, `Fetching ${sha.slice(0, 12)} from ${url.origin}`).then(reject, reject);
        const out = createWriteStream(tmp, { flags: 'wx' });
        res.on('data', (c: Buffer) => h.update(c));
        res.on('error', reject);
        res.on('aborted', () => reject(new TwinforgeError('INTERNAL', `The download of ${sha.slice(0, 12)} was cut short.`)));
        out.on('error', reject);
        out.on('finish', () => resolve());
        res.pipe(out);
      });
      req.end();
    });
    const got = h.digest('hex');
    if (got !== sha) throw new TwinforgeError('INTERNAL', `Download of ${sha.slice(0, 12)} hashes to ${got.slice(0, 12)}: discarded.`, 'The transfer was altered or cut short; the job is retried.');
    const stored = store.adoptTemp(tmp);
    return stored.path;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Sends the store file with this hash to the coordinator's store (the server re-hashes it). */
export async function uploadFromStore(access: StoreAccess, sha: string, store: ModelStore): Promise<void> {
  const file = store.pathOf(sha);
  if (access.sharedDataDir) {
    const shared = new ModelStore(access.sharedDataDir);
    if (shared.root === store.root || shared.has(sha)) return;
    const got = shared.importFile(file);
    if (got.sha256 !== sha) {
      shared.remove(got.sha256);
      throw new TwinforgeError('INTERNAL', `The twin file ${sha.slice(0, 12)} changed while it was copied.`);
    }
    return;
  }
  const url = endpoint(access, sha);
  const size = statSync(file).size;
  await new Promise<void>((resolve, reject) => {
    const req = request(url, 'PUT', access.token!, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    req.on('error', (e) => reject(new TwinforgeError('INTERNAL', `Cannot upload ${sha.slice(0, 12)} to ${url.origin}: ${e.message}`)));
    req.on('response', (res) => {
      if (res.statusCode !== 200 && res.statusCode !== 201) return void errorOf(res, `Uploading ${sha.slice(0, 12)} to ${url.origin}`).then(reject, reject);
      res.resume();
      res.on('end', () => resolve());
    });
    createReadStream(file).pipe(req);
  });
}

/** True when the store holds `sha` and the bytes still hash to it (the coordinator checks before registering). */
export function verifyStored(store: ModelStore, sha: string): boolean {
  return store.has(sha) && hashFile(store.pathOf(sha)).sha === sha;
}
