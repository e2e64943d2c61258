// Which URLs count as our own renderer: decided by parsed-URL equality, never by string prefix
// (a prefix lets `file:///…/renderer-evil/`, `http://localhost:51730/` and
// `http://localhost:5173.attacker.example/` through). Pure functions, so they are tested without
// Electron.
import path from 'node:path';

/** The custom scheme that serves the packaged renderer (a standard, secure origin of its own). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'twinforge';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export interface TrustedOrigin {
  protocol: string;
  host: string; // hostname[:port], as URL.host writes it ('' for file:)
  /** Path prefix, always ending in '/'. */
  pathPrefix: string;
}

function parse(u: string): URL | undefined {
  try {
    return new URL(u);
  } catch {
    return undefined;
  }
}

/** A trusted origin from a base URL (the dev server's URL, or app://twinforge/). */
export function trustedOrigin(base: string): TrustedOrigin | undefined {
  const u = parse(base);
  if (!u) return undefined;
  let p = u.pathname;
  if (!p.endsWith('/')) p = p.slice(0, p.lastIndexOf('/') + 1) || '/';
  return { protocol: u.protocol, host: u.host, pathPrefix: p };
}

/** Whether `url` is exactly one of our origins: same scheme, host and port, path inside the prefix. */
export function isTrustedUrl(url: string, trusted: readonly TrustedOrigin[]): boolean {
  const u = parse(url);
  if (!u || u.username || u.password) return false;
  // URL normalises dot segments, so '/renderer/../x' cannot sneak past the prefix.
  return trusted.some((t) => u.protocol === t.protocol && u.host === t.host && u.pathname.startsWith(t.pathPrefix));
}

/**
 * The dev server URL to load, only in development: a packaged app ignores ELECTRON_RENDERER_URL
 * (anyone who can set the environment would otherwise point the trusted window at their page).
 * Only loopback http URLs are taken.
 */
export function devRendererUrl(env: Record<string, string | undefined>, isPackaged: boolean): string | undefined {
  if (isPackaged) return undefined;
  const raw = env.ELECTRON_RENDERER_URL;
  if (!raw) return undefined;
  const u = parse(raw);
  if (!u || u.protocol !== 'http:' || !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) return undefined;
  return u.href;
}

/** The origins our window may load and call from: the dev server in development, else app://. */
export function windowOrigins(devUrl: string | undefined): TrustedOrigin[] {
  const t = trustedOrigin(devUrl ?? `${APP_ORIGIN}/`);
  return t ? [t] : [];
}

/**
 * The file an app:// request names inside the renderer folder, or undefined (foreign host,
 * traversal, encoded separators, NUL). `/` serves index.html.
 */
export function resolveAppRequest(url: string, rendererDir: string): string | undefined {
  const u = parse(url);
  if (!u || u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return undefined;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return undefined;
  }
  if (rel.includes('\0') || rel.includes('\\')) return undefined;
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + rel);
  return file.startsWith(root + path.sep) ? file : undefined;
}

/** Where navigation from our window may go: nowhere but our own origin. */
export function navigationAllowed(url: string, trusted: readonly TrustedOrigin[]): boolean {
  return isTrustedUrl(url, trusted);
}

/** Whether a link may be handed to the user's browser (plain http(s) only). */
export function openExternally(url: string): boolean {
  const u = parse(url);
  return !!u && (u.protocol === 'https:' || u.protocol === 'http:') && !u.username && !u.password;
}
