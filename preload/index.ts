// The bridge, nothing else: exposes exactly the contract's invoke/on to the renderer.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { callNames, eventNames, type TwinforgeBridge } from './contract';

const CALL = 'twinforge:call';
const EVENT = 'twinforge:event';

const bridge: TwinforgeBridge = {
  invoke(name, args) {
    if (!(callNames as string[]).includes(name)) {
      return Promise.resolve({ ok: false, error: { code: 'BAD_INPUT', message: `Unknown call '${String(name)}'.` } });
    }
    return ipcRenderer.invoke(CALL, name, args);
  },
  on(event, listener) {
    if (!(eventNames as string[]).includes(event)) throw new Error(`Unknown event '${event}'.`);
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(EVENT, handler);
    return () => ipcRenderer.removeListener(EVENT, handler);
  },
  async pickPath(kind) {
    const res = await ipcRenderer.invoke('twinforge:open-dialog', kind === 'folder' ? 'folder' : 'file');
    return res?.ok ? (res.value as string | null) : null;
  },
};

contextBridge.exposeInMainWorld('twinforge', bridge);
