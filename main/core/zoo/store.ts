// The content-addressed model store: every file lives once under <dataDir>/store/ab/abcdef…
// (its sha256); a Hugging Face model folder lives there as a folder under its tree hash. Files
// and folders arrive by atomic rename from a temp path in the same folder tree, so a reader
// sees either nothing or the whole file, even if the writer is killed midway.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../errors';

const CHUNK = 1 << 20;
const SHA_RE = /^[0-9a-f]{64}$/;
/** Temp files younger than this may belong to a live writer; gc leaves them alone. */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export interface StoredFile {
  sha256: string;
  bytes: number;
  path: string;
  /** False when the store already had this content (the import deduplicated). */
  added: boolean;
}

export class ModelStore {
  readonly root: string;
  readonly tmpDir: string;

  constructor(dataDir: string) {
    this.root = path.join(path.resolve(dataDir), 'store');
    this.tmpDir = path.join(this.root, 'tmp');
  }

  /** Where the file with this hash lives (whether or not it is there). */
  pathOf(sha256: string): string {
    if (!SHA_RE.test(sha256)) throw new TwinforgeError('INTERNAL', `Not a sha256: '${sha256}'.`);
    return path.join(this.root, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.pathOf(sha256));
  }

  /** A fresh temp path inside the store (same filesystem, so the final rename is atomic). */
  tempPath(suffix = ''): string {
    mkdirSync(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, `${process.pid}-${randomBytes(6).toString('hex')}${suffix}`);
  }

  /** Copies a file in (hashing while copying); returns its hash. Leaves the source untouched. */
  importFile(source: string): StoredFile {
    const tmp = this.tempPath();
    let sha: string;
    let bytes: number;
    try {
      ({ sha, bytes } = copyHashing(source, tmp));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return this.commitTemp(tmp, sha, bytes);
  }

  /**
   * Copies a model folder's files in as one stored folder named by `treeSha` (hf-folder.ts
   * treeHash over the files' names and hashes). Each file is hashed while copied; a file that
   * changed since it was hashed fails the import. Leaves the source untouched.
   */
  importFolder(source: string, files: { name: string; sha: string }[], treeSha: string): StoredFile {
    const dest = this.pathOf(treeSha);
    let bytes = 0;
    if (existsSync(dest)) {
      for (const f of files) bytes += statSync(path.join(dest, f.name)).size;
      return { sha256: treeSha, bytes, path: dest, added: false };
    }
    const tmp = this.tempPath('.dir');
    try {
      mkdirSync(tmp);
      for (const f of files) {
        const got = copyHashing(path.join(source, f.name), path.join(tmp, f.name));
        if (got.sha !== f.sha) throw new TwinforgeError('BAD_INPUT', `${path.join(source, f.name)} changed while it was being imported.`, 'Import it again once nothing writes to it.');
        bytes += got.bytes;
      }
      if (existsSync(dest)) {
        rmSync(tmp, { recursive: true, force: true });
        return { sha256: treeSha, bytes, path: dest, added: false };
      }
      mkdirSync(path.dirname(dest), { recursive: true });
      renameSync(tmp, dest);
      fsyncPath(path.dirname(dest));
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return { sha256: treeSha, bytes, path: dest, added: true };
  }

  /** Moves a finished temp file (written by this process or a worker) into place under its hash. */
  adoptTemp(tmp: string): StoredFile {
    const { sha, bytes } = hashFile(tmp);
    fsyncPath(tmp);
    return this.commitTemp(tmp, sha, bytes);
  }

  private commitTemp(tmp: string, sha: string, bytes: number): StoredFile {
    const dest = this.pathOf(sha);
    if (existsSync(dest)) {
      unlinkSync(tmp);
      return { sha256: sha, bytes, path: dest, added: false };
    }
    mkdirSync(path.dirname(dest), { recursive: true });
    renameSync(tmp, dest);
    fsyncPath(path.dirname(dest));
    return { sha256: sha, bytes, path: dest, added: true };
  }

  /** Every hash the store holds. */
  list(): string[] {
    if (!existsSync(this.root)) return [];
    const out: string[] = [];
    for (const d of readdirSync(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of readdirSync(path.join(this.root, d))) if (SHA_RE.test(f) && f.startsWith(d)) out.push(f);
    }
    return out.sort();
  }

  /** Deletes one file (callers check first that no row references it). */
  remove(sha256: string): boolean {
    const p = this.pathOf(sha256);
    if (!existsSync(p)) return false;
    if (statSync(p).isDirectory()) rmSync(p, { recursive: true, force: true });
    else unlinkSync(p);
    return true;
  }

  /**
   * Deletes every stored file whose hash `isReferenced` rejects, and temp files older than
   * graceMs. Returns what was removed.
   */
  gc(isReferenced: (sha256: string) => boolean, graceMs = DEFAULT_GC_GRACE_MS): { removed: string[]; bytes: number; temps: number } {
    const removed: string[] = [];
    let bytes = 0;
    const cutoff = Date.now() - graceMs;
    for (const sha of this.list()) {
      if (isReferenced(sha)) continue;
      const p = this.pathOf(sha);
      const st = statSync(p);
      // A file just written by a batch worker gets its row moments later: spare young files.
      if (st.mtimeMs > cutoff) continue;
      if (st.isDirectory()) {
        // a model folder (hf-folder.ts): its files' sizes
        for (const f of readdirSync(p)) bytes += statSync(path.join(p, f)).size;
        rmSync(p, { recursive: true, force: true });
      } else {
        unlinkSync(p);
        bytes += st.size;
      }
      removed.push(sha);
    }
    let temps = 0;
    if (existsSync(this.tmpDir)) {
      for (const f of readdirSync(this.tmpDir)) {
        const p = path.join(this.tmpDir, f);
        try {
          if (statSync(p).mtimeMs <= cutoff) {
            rmSync(p, { recursive: true, force: true });
            temps++;
          }
        } catch {
          // raced with its writer: leave it
        }
      }
    }
    return { removed, bytes, temps };
  }
}

/** sha256 and size of a file, read in chunks. */
export function hashFile(file: string): { sha: string; bytes: number } {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(file, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { sha: h.digest('hex'), bytes };
}

function copyHashing(source: string, dest: string): { sha: string; bytes: number } {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const inFd = openSync(source, 'r');
  let bytes = 0;
  try {
    const outFd = openSync(dest, 'wx');
    try {
      for (;;) {
        const n = readSync(inFd, buf, 0, CHUNK, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        let off = 0;
        while (off < n) off += writeSync(outFd, buf, off, n - off);
        bytes += n;
      }
      fsyncSync(outFd);
    } finally {
      closeSync(outFd);
    }
  } finally {
    closeSync(inFd);
  }
  return { sha: h.digest('hex'), bytes };
}

function fsyncPath(p: string): void {
  try {
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some platforms (Windows) cannot open folders for fsync: the rename is still atomic
  }
}
