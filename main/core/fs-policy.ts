// Where the engine may write when a host (Electron window or web page) asks it to. A page holding
// the token is still only a page: it may write inside the data folder, or inside a folder the user
// picked through the host's own chooser since this process started (the Electron open dialog, or a
// folder opened in the browser-mode file picker). Paths must be absolute — never resolved against
// the server's working folder — and may not pass through hidden entries (`.ssh`, `.bashrc`,
// `.config/autostart`) below the chosen folder. The CLI is exempt: its user typed the path.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from './errors';

export type HostKind = 'electron' | 'web' | 'cli';

const picked = new Set<string>();

/** Records a folder the user picked through the host's own dialog or picker. */
export function notePickedFolder(p: string): void {
  if (!path.isAbsolute(p)) return;
  try {
    picked.add(realpathSync(p));
  } catch {
    // a folder that does not exist cannot have been picked
  }
}

/** Forgets every pick (tests only: a new "launch"). */
export function forgetPickedFolders(): void {
  picked.clear();
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** `p` with every existing ancestor's links resolved (the file itself may not exist yet). */
function realTarget(p: string): string {
  const rest: string[] = [];
  let cur = path.resolve(p);
  while (!existsSync(cur)) {
    const parent = path.dirname(cur);
    if (parent === cur) break;
    rest.unshift(path.basename(cur));
    cur = parent;
  }
  let real: string;
  try {
    real = realpathSync(cur);
  } catch {
    real = cur;
  }
  return path.join(real, ...rest);
}

/** The folders writes may go into for this host; undefined when unrestricted (CLI). */
export function writeRoots(host: HostKind, dataDir: string): string[] | undefined {
  if (host === 'cli') return undefined;
  const roots = new Set<string>([realTarget(dataDir), ...picked]);
  return [...roots];
}

/**
 * The absolute path to write, after checking it against the write policy; throws FORBIDDEN
 * (HTTP 403, CLI exit 2) for a path outside the chosen folders. `what` names the argument.
 */
export function checkWritePath(ctx: { host: HostKind; dataDir: string }, p: string, what: string): string {
  const roots = writeRoots(ctx.host, ctx.dataDir);
  if (!roots) return path.resolve(p);
  if (typeof p !== 'string' || p.includes('\0') || !path.isAbsolute(p)) {
    throw new TwinforgeError('BAD_INPUT', `${what}: '${String(p)}' is not an absolute path.`, 'Choose the folder with Browse…, or give a full path inside the Twinforge data folder.');
  }
  const target = realTarget(p);
  const root = roots.filter((r) => within(r, target)).sort((a, b) => b.length - a.length)[0];
  if (root) {
    const hidden = path.relative(root, target).split(path.sep).find((seg) => seg.startsWith('.'));
    if (!hidden) return target;
    throw new TwinforgeError('FORBIDDEN', `${what}: '${p}' goes through the hidden entry '${hidden}'; Twinforge does not write there.`, 'Choose a visible folder.');
  }
  throw new TwinforgeError(
    'FORBIDDEN',
    `${what}: '${p}' is outside the folders you chose; Twinforge writes only inside its data folder (${ctx.dataDir}) or a folder picked with Browse… since it started.`,
    'Pick the destination folder with Browse… first, or write inside the data folder.',
  );
}
