// An LLM twin is a folder (compressed-tensors shards, dense/, report), written over minutes. It
// is built in a hidden staging folder next to the destination and swapped into place only when
// complete: a failed or cancelled run leaves no half folder, and an earlier twin at the same
// path stays intact until the new one is whole. The swap is two renames on one file system.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../errors';

/** Files that mark a folder as an earlier Twinforge LLM output (which may be replaced). */
const TWIN_MARKERS = ['report.json', 'config.json'];

export class StagedFolder {
  readonly staging: string;
  private done = false;

  constructor(readonly dest: string) {
    checkReplaceable(dest);
    const parent = path.dirname(dest);
    fs.mkdirSync(parent, { recursive: true });
    this.staging = path.join(parent, `.${path.basename(dest)}.twinforge-staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    fs.mkdirSync(this.staging);
  }

  /** The staged path of `p` (a path inside the destination) — where it is while being written. */
  staged(p: string): string {
    return path.join(this.staging, path.relative(this.dest, p));
  }

  /** Puts the staging folder in place of the destination; an earlier folder goes only now. */
  commit(): void {
    if (this.done) return;
    let old: string | undefined;
    if (fs.existsSync(this.dest)) {
      old = path.join(path.dirname(this.dest), `.${path.basename(this.dest)}.twinforge-old-${process.pid}-${randomBytes(4).toString('hex')}`);
      fs.renameSync(this.dest, old);
    }
    try {
      fs.renameSync(this.staging, this.dest);
    } catch (e) {
      if (old) fs.renameSync(old, this.dest); // put the earlier twin back
      throw e;
    }
    this.done = true;
    if (old) fs.rmSync(old, { recursive: true, force: true });
  }

  /** Drops the staging folder (failure, cancel). Safe to call twice and after commit. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    fs.rmSync(this.staging, { recursive: true, force: true });
  }
}

/** A new path, an empty folder or an earlier twin may be written; anything else is refused. */
function checkReplaceable(dest: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dest);
  } catch {
    return;
  }
  if (!st.isDirectory()) throw badInput(`--out ${dest} is a file; an LLM twin is a folder.`, 'Give a new folder path for --out.');
  const entries = fs.readdirSync(dest);
  if (entries.length === 0) return;
  if (!TWIN_MARKERS.every((m) => entries.includes(m))) {
    throw badInput(`--out ${dest} is a folder with other content, not an earlier twin; Twinforge replaces only its own outputs.`, 'Give a new or empty folder for --out.');
  }
}
