// Where Twinforge keeps its data: --data-dir, else TWINFORGE_HOME, else the OS app-data folder.
import os from 'node:os';
import path from 'node:path';

/** The data folder Twinforge uses for the zoo database, the model store and job logs. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.TWINFORGE_HOME) return path.resolve(env.TWINFORGE_HOME);
  const home = os.homedir();
  switch (process.platform) {
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Twinforge');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Twinforge');
    default:
      return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'twinforge');
  }
}

/** The repository / installed package root (holds resources/, native/, out/). */
export const packageRoot: string = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
