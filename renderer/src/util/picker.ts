// Choosing a file or folder: the native dialog in Electron, else the engine-side browser
// (files.list over the allowed folders) shown by <FilePicker> in App.vue.
import { reactive } from 'vue';
import { nativePicker } from '../api';

export interface PickRequest {
  kind: 'file' | 'folder';
  filter: 'model' | 'data' | 'recipe' | 'any';
  title: string;
  start?: string;
}

export const pickerState = reactive<{ request?: PickRequest; resolve?: (p: string | null) => void }>({});

/** Resolves with the chosen absolute path, or null when dismissed. */
export function pickPath(req: PickRequest): Promise<string | null> {
  const native = nativePicker();
  if (native) return native(req.kind);
  pickerState.resolve?.(null);
  return new Promise((resolve) => {
    pickerState.request = req;
    pickerState.resolve = resolve;
  });
}

export function settlePick(path: string | null): void {
  const r = pickerState.resolve;
  pickerState.request = undefined;
  pickerState.resolve = undefined;
  r?.(path);
}
