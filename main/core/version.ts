// The app's version, read once from package.json so the CLI, hosts and UI agree.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from './paths';

export const appVersion: string = (() => {
  try {
    return JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();
