// Native file dialogs for the renderer (Electron only; the web host offers a folder browser).
import type { Dialog, IpcMain } from 'electron';
import path from 'node:path';
import type { SenderCheck } from './ipc';
import { notePickedFolder } from '../core/fs-policy';

export const OPEN_DIALOG_CHANNEL = 'twinforge:open-dialog';

export function bindDialogs(ipcMain: IpcMain, dialog: Dialog, isTrustedSender: SenderCheck): void {
  ipcMain.handle(OPEN_DIALOG_CHANNEL, async (event, kind: unknown) => {
    if (!isTrustedSender(event)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'Untrusted frame.' } };
    const folder = kind === 'folder';
    const res = await dialog.showOpenDialog({
      properties: folder ? ['openDirectory'] : ['openFile'],
      filters: folder ? undefined : [{ name: 'Models', extensions: ['onnx', 'safetensors'] }],
    });
    const picked = res.canceled ? undefined : res.filePaths[0];
    // What the user picks here is where the engine may later write (see core/fs-policy.ts).
    if (picked) notePickedFolder(folder ? picked : path.dirname(picked));
    return { ok: true, value: picked ?? null };
  });
}
