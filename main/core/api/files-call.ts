// files.list: the browser-mode file picker. A browser cannot open a native dialog on the engine's
// machine, so the engine lists folders itself — only inside a few allowed roots (the data folder,
// the user's home, the sample models and demo zoo shipped with Twinforge), never elsewhere.
import { existsSync, realpathSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FileEntry, FileListing, FileRoot } from '../../../preload/contract';
import { TwinforgeError } from '../errors';
import { packageRoot, samplesDir } from '../paths';
import { notePickedFolder, type HostKind } from '../fs-policy';
import { isHfFolder } from '../model/hf/folder';

const MAX_ENTRIES = 2000;
const MODEL_EXT = new Set(['.onnx', '.safetensors']);
const DATA_EXT = new Set(['.npy', '.npz']);
const RECIPE_EXT = new Set(['.yaml', '.yml', '.json']);

/** The folders the picker may show, those that exist, without duplicates. */
export function allowedRoots(dataDir: string): FileRoot[] {
  const candidates: FileRoot[] = [
    { id: 'data', label: 'Twinforge data folder', path: dataDir },
    { id: 'home', label: 'Home', path: os.homedir() },
    { id: 'samples', label: 'Sample models', path: samplesDir },
    { id: 'fixtures', label: 'Test fixtures', path: path.join(packageRoot, 'tests', 'fixtures') },
    { id: 'demo-zoo', label: 'Demo zoo', path: path.join(packageRoot, 'resources', 'demo-zoo') },
    { id: 'recipes', label: 'Example recipes', path: path.join(packageRoot, 'resources', 'recipes') },
  ];
  const seen = new Set<string>();
  const out: FileRoot[] = [];
  for (const r of candidates) {
    if (!existsSync(r.path)) continue;
    const real = realpathSync(r.path);
    if (seen.has(real)) continue;
    seen.add(real);
    out.push({ ...r, path: real });
  }
  return out;
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** The root that holds `p` (the most specific one), after resolving links. */
export function rootOf(roots: FileRoot[], p: string): FileRoot | undefined {
  return roots.filter((r) => within(r.path, p)).sort((a, b) => b.path.length - a.path.length)[0];
}

export function fileType(name: string): FileEntry['type'] {
  const ext = path.extname(name).toLowerCase();
  if (MODEL_EXT.has(ext)) return 'model';
  if (DATA_EXT.has(ext)) return 'data';
  if (RECIPE_EXT.has(ext)) return 'recipe';
  return 'other';
}

/** Lists one folder inside the allowed roots (or just the roots when no path is given). */
export async function listFiles(dataDir: string, args: { path?: string; filter?: 'model' | 'data' | 'recipe' | 'any' }, host: HostKind = 'cli'): Promise<FileListing> {
  const roots = allowedRoots(dataDir);
  if (!args.path) return { roots, entries: roots.map((r) => ({ name: r.label, path: r.path, kind: 'dir' as const })), truncated: false };
  if (!path.isAbsolute(args.path)) throw new TwinforgeError('BAD_INPUT', `'${args.path}' is not an absolute path.`, 'Pick a folder from the list.');
  let real: string;
  try {
    real = realpathSync(args.path);
  } catch {
    throw new TwinforgeError('NOT_FOUND', `The folder '${args.path}' does not exist.`, 'It may have been moved or deleted; pick another.');
  }
  const root = rootOf(roots, real);
  if (!root) {
    throw new TwinforgeError('BAD_INPUT', `'${args.path}' is outside the folders Twinforge may browse.`, `Browse inside: ${roots.map((r) => r.label).join(', ')}. Or type the full path of a model file.`);
  }
  const st = await stat(real);
  if (!st.isDirectory()) throw new TwinforgeError('BAD_INPUT', `'${args.path}' is a file, not a folder.`);
  // Opening a folder in the browser-mode picker is how a browser user picks where to write.
  if (host === 'web') notePickedFolder(real);
  const dirents = await readdir(real, { withFileTypes: true });
  const filter = args.filter ?? 'any';
  const entries: FileEntry[] = [];
  let truncated = false;
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue;
    const full = path.join(real, d.name);
    let isDir = d.isDirectory();
    if (d.isSymbolicLink()) {
      try {
        const target = realpathSync(full);
        if (!rootOf(roots, target)) continue; // a link out of the allowed roots is not shown
        isDir = (await stat(target)).isDirectory();
      } catch {
        continue;
      }
    } else if (!isDir && !d.isFile()) continue;
    const type = isDir ? undefined : fileType(d.name);
    if (!isDir && filter !== 'any' && type !== filter) continue;
    if (entries.length >= MAX_ENTRIES) {
      truncated = true;
      break;
    }
    const e: FileEntry = { name: d.name, path: full, kind: isDir ? 'dir' : 'file' };
    // A Hugging Face model folder is a model the picker can choose (and still a folder to open).
    if (isDir && isHfFolder(full)) e.type = 'model';
    if (!isDir) {
      try {
        const fst = await stat(full);
        e.bytes = fst.size;
        e.modified = fst.mtime.toISOString();
      } catch {
        continue;
      }
      e.type = type;
    }
    entries.push(e);
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  const parentDir = path.dirname(real);
  return { roots, root, path: real, parent: real !== root.path && within(root.path, parentDir) ? parentDir : undefined, entries, truncated };
}
