// Which compiled better-sqlite3 this process loads. better-sqlite3 is built against one ABI:
// node_modules holds Node's (the CLI, the web host, the tests); Electron's main process and its
// Electron-as-Node workers need an Electron-ABI build, which `npm run desktop:setup` writes to
// build/electron-sqlite/ (and `npm run dist` packs, unpacked from ASAR). This file finds it and
// turns a wrong-ABI load into an error that says what to run.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../errors';
import { packageRoot } from '../paths';

/** Where `npm run desktop:setup` puts the Electron-ABI binding, relative to the package root. */
export const ELECTRON_BINDING_RELATIVE = path.join('build', 'electron-sqlite', 'better_sqlite3.node');

/** A file inside app.asar that electron-builder unpacked lives in app.asar.unpacked. */
function unpacked(file: string): string {
  const alt = file.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
  return alt !== file && existsSync(alt) ? alt : file;
}

/**
 * The binding to pass as better-sqlite3's `nativeBinding`: TWINFORGE_SQLITE_BINDING when set, the
 * desktop:setup build under Electron, else undefined (better-sqlite3's own, built for Node).
 */
export function sqliteBinding(env: NodeJS.ProcessEnv = process.env, versions: NodeJS.ProcessVersions = process.versions, root = packageRoot): string | undefined {
  if (env.TWINFORGE_SQLITE_BINDING) return path.resolve(env.TWINFORGE_SQLITE_BINDING);
  if (!versions.electron) return undefined;
  const file = path.join(root, ELECTRON_BINDING_RELATIVE);
  return existsSync(file) ? unpacked(file) : undefined;
}

/** What the desktop:setup build was made for, when it says (build/electron-sqlite/binding.json). */
function stamp(root: string): { electron?: string } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(root, 'build', 'electron-sqlite', 'binding.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The error for a better-sqlite3 that would not load, or undefined when `e` is not about the
 * binary (a bad path, a locked file: the caller's own message fits those better).
 */
export function bindingError(e: unknown, binding: string | undefined, versions: NodeJS.ProcessVersions = process.versions, root = packageRoot): TwinforgeError | undefined {
  const msg = (e as Error)?.message ?? String(e);
  const abi = /NODE_MODULE_VERSION|compiled against a different Node\.js version|was compiled against|invalid ELF header|wrong ELF class|not a valid Win32 application|Could not locate the bindings file|Cannot find module .*better_sqlite3\.node|image not found|no suitable image/i.test(msg);
  if (!abi) return undefined;
  const where = binding ?? 'node_modules/better-sqlite3 (built for Node)';
  if (versions.electron) {
    const s = stamp(root);
    const why = s?.electron && s.electron !== versions.electron ? ` It was built for Electron ${s.electron}; this is Electron ${versions.electron}.` : '';
    return new TwinforgeError(
      'UNSUPPORTED',
      `SQLite (better-sqlite3) cannot load inside Electron ${versions.electron}: ${where} is not built for Electron's ABI (${msg.split('\n')[0]}).${why}`,
      'Run `npm run desktop:setup` once (it builds an Electron-ABI copy into build/electron-sqlite/), then start the app again. Or use the CLI / browser mode, which need no Electron build.',
    );
  }
  return new TwinforgeError(
    'UNSUPPORTED',
    `SQLite (better-sqlite3) cannot load in Node ${process.versions.node}: ${where} does not fit this Node (${msg.split('\n')[0]}).`,
    binding ? 'Unset TWINFORGE_SQLITE_BINDING (it is for an Electron-ABI build), or point it at a Node build.' : 'Rebuild it for this Node: `npm rebuild better-sqlite3`.',
  );
}
