// The web host's gatekeeping: a per-launch token, loopback-only origins and hosts, and the
// Content-Security-Policy for the pages it serves. Kept apart from the server so tests can
// check each rule on its own.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'tf_token';

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

function cookieToken(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** The token a request carries: header, bearer, cookie or ?token= (first found). */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const h = req.headers['x-twinforge-token'];
  if (typeof h === 'string') return h;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return cookieToken(req) ?? url.searchParams.get('token') ?? undefined;
}

export function hasValidToken(req: IncomingMessage, url: URL, token: string): boolean {
  const t = requestToken(req, url);
  return t !== undefined && safeEqual(t, token);
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
