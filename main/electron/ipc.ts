// Binds the contract to Electron IPC: one invoke channel validated by the shared dispatcher,
// one event channel. Handlers check that the sender is our own window's page.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { invoke, validateArgs, type ApiServices } from '../core/api/index';
import type { CallName } from '../../preload/contract';
import { ISOLATED_CALLS, runIsolated } from '../web/isolated';
import { toEnvelope } from '../core/errors';
import type { JobSnapshot } from '../core/jobs/types';
import { isTrustedUrl, trustedOrigin, type TrustedOrigin } from './origins';

export const CALL_CHANNEL = 'twinforge:call';
export const EVENT_CHANNEL = 'twinforge:event';

export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** Registers the call handler; returns a function that removes it. */
export function bindIpc(ipcMain: IpcMain, services: ApiServices, isTrustedSender: SenderCheck): () => void {
  ipcMain.handle(CALL_CHANNEL, async (event, name: unknown, args: unknown) => {
    if (!isTrustedSender(event)) {
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'IPC call from an untrusted frame was refused.' } };
    }
    try {
      // Model files are parsed in a worker process with memory and time limits: a hostile file
      // must not freeze or kill the process that owns the window.
      const call = String(name);
      const value = ISOLATED_CALLS.has(call) ? await runIsolated(call, validateArgs(call as CallName, args ?? {}), services.dataDir) : await invoke(services, call, args);
      return { ok: true, value: value ?? null };
    } catch (err) {
      return { ok: false, error: toEnvelope(err) };
    }
  });
  return () => ipcMain.removeHandler(CALL_CHANNEL);
}

/** Forwards job updates to a window; returns a function that stops forwarding. */
export function forwardJobEvents(services: ApiServices, target: () => WebContents | undefined): () => void {
  const onUpdate = (snap: JobSnapshot) => {
    const wc = target();
    if (wc && !wc.isDestroyed()) wc.send(EVENT_CHANNEL, 'jobs.progress', snap);
  };
  services.jobs.on('update', onUpdate);
  return () => services.jobs.off('update', onUpdate);
}

/**
 * A sender check that accepts only frames whose URL is one of `origins` by parsed-URL equality
 * (scheme, host, port, path prefix ending in '/'). Strings are base URLs of trusted origins.
 */
export function senderFromOrigins(origins: readonly (string | TrustedOrigin)[]): SenderCheck {
  const trusted = origins.map((o) => (typeof o === 'string' ? trustedOrigin(o.endsWith('/') ? o : o + '/') : o)).filter((o): o is TrustedOrigin => !!o);
  return (event) => {
    const url = event.senderFrame?.url ?? '';
    return isTrustedUrl(url, trusted);
  };
}
