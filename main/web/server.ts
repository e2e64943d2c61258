// The local web host: serves the built renderer and the contract over HTTP (calls) and
// WebSocket (events) so the same UI runs in a browser when Electron is absent. Loopback only
// unless the user names a host explicitly; every request needs the per-launch token.
import http, { type ServerResponse } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_ARGS_BYTES } from '../../preload/contract';
import { invoke, validateArgs, type ApiServices } from '../core/api/index';
import type { CallName } from '../../preload/contract';
import { DEFAULT_LIMITS, ISOLATED_CALLS, runIsolated, type IsolationLimits } from './isolated';
import { badInput, toEnvelope, type ErrorEnvelope } from '../core/errors';
import type { JobRunner } from '../core/jobs/runner';
import type { JobSnapshot } from '../core/jobs/types';
import { handleUpload } from './upload';
import { handleBlobs } from './blobs';
import { handleDownload } from './download';
import { contentSecurityPolicy, hasValidToken, isLoopbackHost, newToken, originAllowed, parseRequestUrl, safeDecode, tokenCookieName } from './security';
import { readBody } from './body';
import { UploadQuota } from './upload';

export interface WebHostOptions {
  port?: number;
  /** Bind address; non-loopback only when `explicitHost` says the user asked for it. */
  host?: string;
  explicitHost?: boolean;
  dataDir: string;
  jobs: JobRunner;
  /** Folder with the built renderer (index.html + assets); absent → a page saying how to build it. */
  rendererDir: string;
  token?: string;
  /** Memory and time limits of the worker that reads model files for model.inspect and the like. */
  isolation?: IsolationLimits;
  /** Bytes all uploads of this launch may add together (default 16 GiB). */
  uploadQuotaBytes?: number;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const STATUS: Partial<Record<ErrorEnvelope['code'], number>> = {
  BAD_INPUT: 400, FORBIDDEN: 403, CORRUPT_MODEL: 400, UNSUPPORTED: 400, NOT_FOUND: 404, UNAUTHORIZED: 401, GATE_FAILED: 422, CANCELLED: 409, NOT_IMPLEMENTED: 501,
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

function sendError(res: ServerResponse, env: ErrorEnvelope): void {
  sendJson(res, STATUS[env.code] ?? 500, { ok: false, error: env });
}

/** Starts the web host; resolves once it listens. */
export async function startWebHost(opts: WebHostOptions): Promise<WebHost> {
  const bindHost = opts.host ?? '127.0.0.1';
  if (!isLoopbackHost(bindHost) && !opts.explicitHost) {
    throw badInput(`Refusing to listen on non-loopback address '${bindHost}'.`, 'Pass --host explicitly to expose Twinforge on the network (anyone with the token can then use it).');
  }
  const loopbackOnly = isLoopbackHost(bindHost);
  const token = opts.token ?? newToken();
  const services: ApiServices = { dataDir: opts.dataDir, host: 'web', jobs: opts.jobs };
  const rendererDir = path.resolve(opts.rendererDir);

  const quota = new UploadQuota(opts.uploadQuotaBytes);
  let port = 0; // known once listening; the token cookie's name carries it
  const badRequest = (res: ServerResponse, message: string) =>
    sendError(res, { code: 'BAD_INPUT', message, hint: 'Open Twinforge from the URL it printed.' });

  // Every request path runs inside one try: no request target, header or body can throw past it.
  const server = http.createServer(async (req, res) => {
    try {
      const url = parseRequestUrl(req.url);
      if (!url) return badRequest(res, 'The request target is not a valid URL path.');
      if (!originAllowed(req, loopbackOnly)) {
        return sendError(res, { code: 'UNAUTHORIZED', message: 'Requests from other origins are refused.', hint: 'Open Twinforge from the URL it printed.' }), undefined;
      }
      if (!hasValidToken(req, url, token, port)) {
        res.statusCode = 401;
        return sendError(res, { code: 'UNAUTHORIZED', message: 'Missing or wrong access token.', hint: 'Open the URL that `twinforge serve` printed (it carries ?token=...).' });
      }
      if (handleUpload(req, res, url, opts.dataDir, quota)) return;
      if (handleBlobs(req, res, url, opts.dataDir)) return; // cluster workers: store files by sha256
      if (await handleDownload(req, res, url, opts.dataDir, opts.jobs)) return; // browser mode: a run's or a twin's files
      if (url.pathname.startsWith('/api/call/')) {
        if (req.method !== 'POST') return sendError(res, { code: 'BAD_INPUT', message: 'Calls are POST requests.', hint: 'POST /api/call/<name> with a JSON object body.' });
        const name = safeDecode(url.pathname.slice('/api/call/'.length));
        if (name === undefined) return badRequest(res, 'The call name is not valid percent-encoding.');
        const body = await readBody(req, res, MAX_ARGS_BYTES);
        if (body === undefined) return; // answered 413 already
        let args: unknown;
        try {
          args = body.trim() === '' ? {} : JSON.parse(body);
        } catch {
          throw badInput('The request body is not valid JSON.', 'Send a JSON object with the call arguments.');
        }
        // Calls that parse a model file the caller names run in a worker process with memory and
        // time limits: a hostile file costs that process, never this host.
        const value = ISOLATED_CALLS.has(name)
          ? await runIsolated(name, validateArgs(name as CallName, args ?? {}), opts.dataDir, opts.isolation ?? DEFAULT_LIMITS)
          : await invoke(services, name, args);
        return sendJson(res, 200, { ok: true, value: value ?? null });
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, { code: 'BAD_INPUT', message: `Method ${req.method} not allowed here.` });
      // The first visit carries ?token=; a strict same-site cookie keeps later asset and API requests authorised.
      if (url.searchParams.get('token') === token) {
        res.setHeader('set-cookie', `${tokenCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      }
      return serveStatic(url.pathname, res, rendererDir);
    } catch (err) {
      const env = toEnvelope(err);
      if (res.headersSent) res.destroy();
      else sendError(res, env);
    }
  });
  // Malformed HTTP never reaches the handler: answer 400 and close, never throw.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    try {
      const url = parseRequestUrl(req.url);
      if (!url) return refuse('400 Bad Request');
      if (url.pathname !== '/api/events' || !originAllowed(req, loopbackOnly) || !hasValidToken(req, url, token, port)) return refuse('401 Unauthorized');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch {
      refuse('400 Bad Request');
    }
  });
  const clients = new Set<WebSocket>();
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', () => undefined); // events flow one way; calls go over HTTP
  });
  const onJob = (snap: JobSnapshot) => {
    const msg = JSON.stringify({ event: 'jobs.progress', payload: snap });
    for (const c of clients) if (c.readyState === c.OPEN) c.send(msg);
  };
  opts.jobs.on('update', onJob);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? badInput(`Port ${opts.port} is already in use.`, 'Choose another with --port N, or --port 0 for any free port.') : e),
    );
    server.listen(opts.port ?? 0, bindHost, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      opts.jobs.off('update', onJob);
      for (const c of clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function serveStatic(pathname: string, res: ServerResponse, root: string): void {
  const headers = {
    'content-security-policy': contentSecurityPolicy(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  let rel = safeDecode(pathname);
  if (rel === undefined || rel.includes('\0')) {
    res.writeHead(400, headers);
    res.end('Bad request');
    return;
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const file = path.resolve(root, '.' + rel);
  if (!file.startsWith(root + path.sep)) {
    res.writeHead(404, headers);
    res.end('Not found');
    return;
  }
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (rel === '/index.html') {
      res.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end('The Twinforge UI is not built yet. Run `npm run build:web` (npm start does it for you), then reload.');
      return;
    }
    res.writeHead(404, headers);
    res.end('Not found');
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}
