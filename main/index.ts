// Electron entry: lifecycle and wiring only. `--headless` runs the command line with the
// same arguments and no window.
import { app, dialog, ipcMain } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as cliMain } from './cli/main';
import { JobRunner } from './core/jobs/runner';
import { resolveDataDir } from './core/paths';
import type { ApiServices } from './core/api/index';
import { bindIpc, forwardJobEvents, senderFromOrigins } from './electron/ipc';
import { createMainWindow, hardenSession, registerAppScheme, rendererDir, serveRenderer, trustedOrigins, type WindowPaths } from './electron/window';
import { devRendererUrl } from './electron/origins';
import { bindDialogs } from './electron/dialogs';
import { useUtilityProcessWorkers } from './electron/worker-host';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(app.isPackaged ? 1 : 2);
const headlessAt = argv.indexOf('--headless');
// Workers are utility processes here: the packaged app cannot run its binary as Node (fuse).
useUtilityProcessWorkers();

if (headlessAt >= 0) {
  app.disableHardwareAcceleration();
  void app.whenReady().then(async () => {
    const code = await cliMain(argv.slice(headlessAt + 1));
    app.exit(code);
  });
} else {
  const dataDir = resolveDataDir(process.env.TWINFORGE_HOME);
  const services: ApiServices = { dataDir, host: 'electron', jobs: new JobRunner({ dataDir }) };
  const paths: WindowPaths = {
    preload: path.join(here, '../preload/index.cjs'),
    rendererHtml: path.join(here, '../renderer/index.html'),
    devUrl: devRendererUrl(process.env, app.isPackaged),
  };
  if (!app.requestSingleInstanceLock()) app.quit();
  registerAppScheme();
  void app.whenReady().then(() => {
    hardenSession();
    serveRenderer(rendererDir(paths));
    bindIpc(ipcMain, services, senderFromOrigins(trustedOrigins(paths)));
    bindDialogs(ipcMain, dialog, senderFromOrigins(trustedOrigins(paths)));
    let win = createMainWindow(paths);
    forwardJobEvents(services, () => win.webContents);
    app.on('activate', () => {
      if (win.isDestroyed()) win = createMainWindow(paths);
    });
  });
  app.on('window-all-closed', () => {
    void services.jobs.shutdown().finally(() => app.quit());
  });
}
