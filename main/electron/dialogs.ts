// Native file dialogs for the renderer (Electron only; the web host offers a folder browser).
import type { Dialog, IpcMain } from 'electron';
import type { SenderCheck } from './ipc';

export const OPEN_DIALOG_CHANNEL = 'twinforge:open-dialog';

export function bindDialogs(ipcMain: IpcMain, dialog: Dialog, isTrustedSender: SenderCheck): void {
  ipcMain.handle(OPEN_DIALOG_CHANNEL, async (event, kind: unknown) => {
    if (!isTrustedSender(event)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'Untrusted frame.' } };
    const folder = kind === 'folder';
    const res = await dialog.showOpenDialog({
      properties: folder ? ['openDirectory'] : ['openFile'],
      filters: folder ? undefined : [{ name: 'Models', extensions: ['onnx', 'safetensors'] }],
    });
    return { ok: true, value: res.canceled ? null : res.filePaths[0] };
  });
}
