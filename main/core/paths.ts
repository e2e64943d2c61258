// Where Twinforge keeps its data: --data-dir, else TWINFORGE_HOME, else the OS app-data folder.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** The repository / installed package root (holds package.json, resources/, native/, out/). */
export const packageRoot: string = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** Small real models the app ships for `hw detect`'s checks and the wizard (resources/samples). */
export const samplesDir: string = path.join(packageRoot, 'resources', 'samples');

// Walks up to the folder whose package.json is Twinforge's: works from main/core (tsx) and from
// the bundled out/main (electron-vite) alike.
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (pkg.name === 'twinforge') return dir;
    } catch {
      // no package.json here: keep walking
    }
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..', '..');
    dir = parent;
  }
}
