// Whether a path is a twin folder (the CLI's dispatch between plain ONNX files and twins).
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from './format';

export function isTwinFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory() && existsSync(path.join(p, MANIFEST_FILE));
  } catch {
    return false;
  }
}
