// Finding 7: the Electron host's decisions, as pure functions (Electron cannot run here): origin
// checks by parsed-URL equality, the dev URL only in development, app:// requests confined to the
// renderer folder, navigation guarded; and the window wiring (permissions denied, redirect and
// frame-navigation guards, app:// load) checked against a mocked electron module.
import { describe, expect, it, vi } from 'vitest';
import path from 'node:path';

const calls = vi.hoisted(() => ({ events: new Map<string, (...a: unknown[]) => void>(), permission: undefined as undefined | ((...a: unknown[]) => void), check: undefined as undefined | (() => boolean), loaded: [] as string[], schemes: [] as unknown[] }));
vi.mock('electron', () => {
  class BrowserWindow {
    webContents = {
      setWindowOpenHandler: vi.fn(),
      on: (ev: string, fn: (...a: unknown[]) => void) => calls.events.set(ev, fn),
    };
    once = vi.fn();
    loadURL = (u: string) => (calls.loaded.push(u), Promise.resolve());
    loadFile = (u: string) => (calls.loaded.push('file:' + u), Promise.resolve());
  }
  return {
    BrowserWindow,
    shell: { openExternal: vi.fn() },
    net: { fetch: vi.fn() },
    protocol: { registerSchemesAsPrivileged: (s: unknown[]) => calls.schemes.push(...s), handle: vi.fn() },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: vi.fn() },
        setPermissionRequestHandler: (fn: (...a: unknown[]) => void) => (calls.permission = fn),
        setPermissionCheckHandler: (fn: () => boolean) => (calls.check = fn),
      },
    },
  };
});

import { devRendererUrl, isTrustedUrl, navigationAllowed, resolveAppRequest, trustedOrigin, windowOrigins } from '../../main/electron/origins';
import { createMainWindow, hardenSession, registerAppScheme } from '../../main/electron/window';
import { senderFromOrigins } from '../../main/electron/ipc';

describe('Electron origin checks', () => {
  const dev = windowOrigins('http://localhost:5173/');
  const app = windowOrigins(undefined);

  it('refuses the look-alikes a string prefix let through', () => {
    expect(isTrustedUrl('http://localhost:5173/index.html', dev)).toBe(true);
    expect(isTrustedUrl('http://localhost:51730/', dev)).toBe(false);
    expect(isTrustedUrl('http://localhost:5173.attacker.example/', dev)).toBe(false);
    expect(isTrustedUrl('http://user@localhost:5173/', dev)).toBe(false);
    expect(isTrustedUrl('https://localhost:5173/', dev)).toBe(false);
    const file = [trustedOrigin('file:///opt/tf/out/renderer/')!];
    expect(isTrustedUrl('file:///opt/tf/out/renderer/index.html', file)).toBe(true);
    expect(isTrustedUrl('file:///opt/tf/out/renderer-evil/index.html', file)).toBe(false);
    expect(isTrustedUrl('file:///opt/tf/out/renderer/../secret/x.html', file)).toBe(false);
    expect(isTrustedUrl('app://twinforge/index.html', app)).toBe(true);
    expect(isTrustedUrl('app://twinforge.evil/index.html', app)).toBe(false);
    expect(isTrustedUrl('not a url', app)).toBe(false);
  });

  it('IPC sender check uses the same equality', () => {
    const check = senderFromOrigins(['file:///opt/tf/out/renderer']);
    expect(check({ senderFrame: { url: 'file:///opt/tf/out/renderer/index.html' } } as never)).toBe(true);
    expect(check({ senderFrame: { url: 'file:///opt/tf/out/renderer-evil/index.html' } } as never)).toBe(false);
  });

  it('honours ELECTRON_RENDERER_URL only in development and only for loopback http', () => {
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173/' }, false)).toBe('http://localhost:5173/');
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173/' }, true)).toBeUndefined();
    expect(devRendererUrl({ ELECTRON_RENDERER_URL: 'https://evil.example/' }, false)).toBeUndefined();
    expect(devRendererUrl({}, false)).toBeUndefined();
  });

  it('serves app:// only from inside the renderer folder', () => {
    const root = '/opt/tf/out/renderer';
    expect(resolveAppRequest('app://twinforge/', root)).toBe(path.join(root, 'index.html'));
    expect(resolveAppRequest('app://twinforge/assets/a.js', root)).toBe(path.join(root, 'assets', 'a.js'));
    // URL parsing folds encoded dot segments away: this stays inside the folder.
    expect(resolveAppRequest('app://twinforge/%2e%2e/%2e%2e/etc/passwd', root)).toBe(path.join(root, 'etc', 'passwd'));
    expect(resolveAppRequest('app://twinforge/..%2f..%2fetc/passwd', root)).toBeUndefined();
    expect(resolveAppRequest('app://twinforge/%E0%A4%A', root)).toBeUndefined();
    expect(resolveAppRequest('app://other/index.html', root)).toBeUndefined();
    expect(resolveAppRequest('app://twinforge/a%00b', root)).toBeUndefined();
  });

  it('allows navigation only within our origin', () => {
    expect(navigationAllowed('app://twinforge/index.html#/zoo', app)).toBe(true);
    expect(navigationAllowed('https://evil.example/', app)).toBe(false);
    expect(navigationAllowed('file:///etc/passwd', app)).toBe(false);
  });
});

describe('Electron window wiring', () => {
  it('registers app:// as a privileged standard scheme, denies every permission, guards navigation, redirects and frames', () => {
    registerAppScheme();
    expect(calls.schemes).toEqual([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })]);
    hardenSession();
    const answers: boolean[] = [];
    calls.permission!({}, 'media', (ok: boolean) => answers.push(ok));
    calls.permission!({}, 'notifications', (ok: boolean) => answers.push(ok));
    expect(answers).toEqual([false, false]);
    expect(calls.check!()).toBe(false);

    createMainWindow({ preload: '/p.cjs', rendererHtml: '/opt/tf/out/renderer/index.html' });
    expect(calls.loaded.at(-1)).toBe('app://twinforge/index.html');
    for (const ev of ['will-navigate', 'will-redirect']) {
      const bad = { preventDefault: vi.fn() };
      calls.events.get(ev)!(bad, 'https://evil.example/');
      expect(bad.preventDefault, ev).toHaveBeenCalled();
      const good = { preventDefault: vi.fn() };
      calls.events.get(ev)!(good, 'app://twinforge/index.html');
      expect(good.preventDefault, ev).not.toHaveBeenCalled();
    }
    const frame = { url: 'http://localhost:51730/', preventDefault: vi.fn() };
    calls.events.get('will-frame-navigate')!(frame);
    expect(frame.preventDefault).toHaveBeenCalled();
  });
});
