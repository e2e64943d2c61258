// The desktop window: isolated, sandboxed renderer, strict CSP, no new windows, no navigation.
import { BrowserWindow, session, shell } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { contentSecurityPolicy } from '../web/security';

export interface WindowPaths {
  preload: string;
  rendererHtml: string;
  /** Dev server URL (electron-vite dev), when running in development. */
  devUrl?: string;
}

/** Origins whose frames may call IPC (our renderer file, or the dev server). */
export function trustedOrigins(paths: WindowPaths): string[] {
  return [paths.devUrl, pathToFileURL(path.dirname(paths.rendererHtml)).href].filter(Boolean) as string[];
}

export function createMainWindow(paths: WindowPaths): BrowserWindow {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy()] } });
  });
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
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!trustedOrigins(paths).some((o) => url.startsWith(o))) event.preventDefault();
  });
  if (paths.devUrl) void win.loadURL(paths.devUrl);
  else void win.loadFile(paths.rendererHtml);
  return win;
}
