// The desktop window: isolated, sandboxed renderer served from app:// (a custom protocol, not
// file://), strict CSP, no new windows, no navigation, redirects or frame navigation away from our
// origin, and every permission request (camera, notifications, ...) denied.
import { BrowserWindow, net, protocol, session, shell } from 'electron';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { contentSecurityPolicy } from '../web/security';
import { APP_ORIGIN, APP_SCHEME, navigationAllowed, openExternally, resolveAppRequest, windowOrigins, type TrustedOrigin } from './origins';

export interface WindowPaths {
  preload: string;
  rendererHtml: string;
  /** Dev server URL (electron-vite dev), only in development (see devRendererUrl). */
  devUrl?: string;
}

/** Origins whose frames may call IPC: app://twinforge/, or the dev server in development. */
export function trustedOrigins(paths: WindowPaths): TrustedOrigin[] {
  return windowOrigins(paths.devUrl);
}

/** Must run before app 'ready': app:// becomes a standard, secure scheme with its own origin. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the renderer folder over app:// (after 'ready'); anything outside it is a 404. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (req) => {
    const file = resolveAppRequest(req.url, rendererDir);
    if (!file) return new Response('Not found', { status: 404 });
    return net.fetch(pathToFileURL(file).href);
  });
}

/** Session-wide rules: CSP on every response, every permission request and check denied. */
export function hardenSession(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

export function createMainWindow(paths: WindowPaths): BrowserWindow {
  const trusted = trustedOrigins(paths);
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 1024,
    minHeight: 700,
    title: 'Twinforge',
    show: false,
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // New windows never open inside the app; http(s) links go to the user's browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (openExternally(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (!navigationAllowed(url, trusted)) event.preventDefault();
  };
  win.webContents.on('will-navigate', (event, url) => guard(event, url));
  win.webContents.on('will-redirect', (event, url) => guard(event, url));
  win.webContents.on('will-frame-navigate', (event) => guard(event, event.url));
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  if (paths.devUrl) void win.loadURL(paths.devUrl);
  else void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

/** The renderer folder (where index.html lives). */
export function rendererDir(paths: WindowPaths): string {
  return path.dirname(paths.rendererHtml);
}
