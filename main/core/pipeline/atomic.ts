// Outputs are written atomically: every file of a run goes into a staging folder next to its
// destination and is renamed into place only when the whole run succeeded. A cancelled or failed
// run removes the staging folder, so no half-written twin or report is ever left behind.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, promises as fsp, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export class StagedOutput {
  readonly staging: string;
  private files: string[] = [];
  /**
   * Adopted files written without fsync, each with its early flush (started at adopt): synced
   * again at commit, before any rename. A failed flush is kept: a later fsync may not see it again.
   */
  private unsynced = new Map<string, { error?: unknown }>();
  private done = false;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.staging = path.join(dir, `.twinforge-staging-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.staging);
  }

  /** Writes one file into staging (fsynced); returns its final path. */
  write(name: string, data: Uint8Array | string): string {
    if (this.done) throw new Error('StagedOutput already committed or aborted');
    const file = path.join(this.staging, name);
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(file, 'w');
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (!this.files.includes(name)) this.files.push(name);
    return path.join(this.dir, name);
  }

  /**
   * Registers a file another writer put into the staging folder (e.g. the model saver).
   * `synced: false` when that writer skipped fsync: its flush starts now on the thread pool, so
   * the disk takes it while the run evaluates (the kernel alone would wait up to 30 s), and the
   * sync at commit finds nothing left to do.
   */
  adopt(name: string, opts: { synced?: boolean } = {}): string {
    const file = path.join(this.staging, name);
    if (!existsSync(file)) throw new Error(`${name} is not in staging`);
    if (!this.files.includes(name)) this.files.push(name);
    if (opts.synced === false && !this.unsynced.has(name) && !statSync(file).isDirectory()) {
      const state: { error?: unknown } = {};
      this.unsynced.set(name, state);
      flushFile(file).catch((err: unknown) => {
        state.error = err;
      });
    }
    return path.join(this.dir, name);
  }

  /** Final paths of the files written so far. */
  get paths(): string[] {
    return this.files.map((f) => path.join(this.dir, f));
  }

  /** Moves every staged file into place (each rename is atomic), then removes staging. */
  commit(overwrite = true): string[] {
    if (this.done) return this.paths;
    for (const [f, flush] of this.unsynced) {
      if (flush.error) throw flush.error;
      syncFile(path.join(this.staging, f));
    }
    this.unsynced.clear();
    for (const f of this.files) {
      const dest = path.join(this.dir, f);
      if (!overwrite && existsSync(dest)) throw new Error(`${dest} exists`);
      mkdirSync(path.dirname(dest), { recursive: true });
      renameSync(path.join(this.staging, f), dest);
    }
    this.done = true;
    rmSync(this.staging, { recursive: true, force: true });
    return this.paths;
  }

  /** Drops everything staged (cancel, failure). Safe to call twice. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    rmSync(this.staging, { recursive: true, force: true });
  }
}

/** fsync of a file on the thread pool. */
async function flushFile(file: string): Promise<void> {
  const fh = await fsp.open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync of a staged file (a folder adopted whole is left to its writer: adopt never lists one). */
function syncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
