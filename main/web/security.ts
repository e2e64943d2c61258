// The web host's gatekeeping: a per-launch token, loopback-only origins and hosts, and the
// Content-Security-Policy for the pages it serves. Kept apart from the server so tests can
// check each rule on its own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The token cookie's name is bound to the port the host listens on (`tf_token_<port>`).
 * Why a cookie and not a header held by the page: an HttpOnly cookie is out of reach of any
 * script, so even an injected one cannot read the token, and asset, upload and WebSocket requests
 * carry it without the renderer ever touching it. Browsers do not isolate cookies by port, so
 * the name carries the port: two Twinforge hosts on one machine never overwrite each other's
 * token, and a cookie another local page plants for a different port is simply not ours.
 * SameSite=Strict keeps other sites' pages from sending it. A value that fails to decode is
 * ignored (the request is then unauthorised), never an exception. What this cannot stop: a
 * different server on 127.0.0.1 that the user's browser visits sees every 127.0.0.1 cookie;
 * docs/SECURITY.md says so and how to avoid it (a separate browser profile, or --token via header).
 */
export const TOKEN_COOKIE_PREFIX = 'tf_token';
export function tokenCookieName(port: number): string {
  return `${TOKEN_COOKIE_PREFIX}_${port}`;
}

/** A fresh random token (hex), printed in the URL once per launch. */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** decodeURIComponent that answers undefined instead of throwing on malformed escapes. */
export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Parses a request target; undefined when it is not a valid URL path (e.g. `//[`). */
export function parseRequestUrl(target: string | undefined): URL | undefined {
  try {
    const t = target ?? '/';
    // Only origin-form targets are served; `//host` or absolute forms are not ours to resolve.
    if (!t.startsWith('/') || t.startsWith('//')) return undefined;
    return new URL(t, 'http://placeholder');
  } catch {
    return undefined;
  }
}

/** The tokens cookie headers carry under `name` (all of them: a planted duplicate must not hide ours). */
function cookieTokens(req: IncomingMessage, name: string): string[] {
  const header = req.headers.cookie ?? '';
  const out: string[] = [];
  for (const part of String(header).split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const v = safeDecode(part.slice(eq + 1).trim());
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Every token a request carries: header, bearer, port-bound cookie(s), ?token=. */
export function requestTokens(req: IncomingMessage, url: URL, port: number): string[] {
  const out: string[] = [];
  const h = req.headers['x-twinforge-token'];
  if (typeof h === 'string') out.push(h);
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) out.push(auth.slice(7));
  out.push(...cookieTokens(req, tokenCookieName(port)));
  const q = url.searchParams.get('token');
  if (q !== null) out.push(q);
  return out;
}

/** Whether any token the request carries is ours (constant-time comparison each). */
export function hasValidToken(req: IncomingMessage, url: URL, token: string, port: number): boolean {
  let ok = false;
  for (const t of requestTokens(req, url, port)) if (safeEqual(t, token)) ok = true;
  return ok;
}

/**
 * Whether the request's Origin (when a browser sends one) is this host's own loopback origin,
 * and its Host header names a loopback address (defeats DNS rebinding). With an explicit
 * non-loopback --host the user opted in to remote access: the Origin must then match the Host.
 */
export function originAllowed(req: IncomingMessage, loopbackOnly: boolean): boolean {
  const host = req.headers.host ?? '';
  const hostName = host.replace(/:\d+$/, '');
  if (loopbackOnly && !isLoopbackHost(hostName)) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true; // CLI tools, same-origin GETs of documents
  try {
    const o = new URL(origin);
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
    if (loopbackOnly) return isLoopbackHost(o.hostname) && o.host === host;
    return o.host === host;
  } catch {
    return false;
  }
}

/** The CSP for every page: own scripts only, no eval, no framing, connections to this host only. */
export function contentSecurityPolicy(): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'", // Vue and ECharts set inline style attributes
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}
