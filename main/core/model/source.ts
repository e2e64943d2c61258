// Byte sources: a model file read by positional reads (never whole-file loads for big files), or
// bytes already in memory. External data paths are resolved here, only inside the model's folder.
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';

/** Random access to bytes: an open file or an in-memory buffer. */
export interface ByteSource {
  /** Where the bytes come from (for messages). */
  readonly name: string;
  readonly size: number;
  /** Bytes [offset, offset + length): a view for memory sources, a fresh buffer for files. */
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

/** Bytes already in memory; reads are views. */
export class MemorySource implements ByteSource {
  constructor(readonly bytes: Uint8Array, readonly name = '<memory>') {}
  get size(): number {
    return this.bytes.byteLength;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  close(): void {}
}

/** A file read with positional reads; each read allocates exactly what it returns. */
export class FileSource implements ByteSource {
  private fd: number | undefined;
  /** Reads in flight on the thread pool: close() waits for them (the fd must not be reused under them). */
  private pending = 0;
  private closing = false;
  readonly size: number;
  constructor(readonly name: string) {
    this.fd = openForRead(name);
    this.size = fs.fstatSync(this.fd).size;
  }
  read(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    const out = Buffer.allocUnsafe(length);
    readFully(this.openFd(), out, offset, this.name);
    return out;
  }
  /**
   * read() on libuv's thread pool. Several at once read in parallel: on our machines filling
   * fresh memory is the cost of a big read, and two threads do it in half the time.
   */
  async readAsync(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const fd = this.openFd();
    const out = Buffer.allocUnsafe(length);
    this.pending++;
    try {
      let done = 0;
      while (done < length) {
        const n = await new Promise<number>((resolve, reject) => fs.read(fd, out, done, length - done, offset + done, (err, bytes) => (err ? reject(err) : resolve(bytes))));
        if (n === 0) throw new TwinforgeError('CORRUPT_MODEL', `${this.name} ended early (changed while reading?).`, 'Check that no other program is writing the file.');
        done += n;
      }
      return out;
    } finally {
      if (--this.pending === 0 && this.closing) this.close();
    }
  }
  /** Reads into a caller's buffer (reused across chunks). */
  readInto(offset: number, out: Uint8Array): void {
    checkRange(this, offset, out.byteLength);
    readFully(this.openFd(), out, offset, this.name);
  }
  close(): void {
    if (this.pending > 0) {
      this.closing = true;
      return;
    }
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
  private openFd(): number {
    if (this.fd === undefined || this.closing) throw new TwinforgeError('INTERNAL', `${this.name} was closed before a read.`);
    return this.fd;
  }
}

function readFully(fd: number, out: Uint8Array, offset: number, name: string): void {
  let done = 0;
  while (done < out.byteLength) {
    const n = fs.readSync(fd, out, done, out.byteLength - done, offset + done);
    if (n === 0) throw new TwinforgeError('CORRUPT_MODEL', `${name} ended early (changed while reading?).`, 'Check that no other program is writing the file.');
    done += n;
  }
}

function checkRange(src: ByteSource, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > src.size) {
    throw new TwinforgeError('CORRUPT_MODEL', `Read of ${length} bytes at ${offset} is past the end of ${src.name} (${src.size} bytes).`, 'The file is truncated or its offsets are wrong; re-export or re-download it.');
  }
}

/** Opens a file for reading with a clear NOT_FOUND / BAD_INPUT on failure. */
export function openForRead(file: string): number {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw badInput(`${file} is a folder, not a model file.`, 'Give the path of the .onnx or .safetensors file.');
    if (!st.isFile()) throw badInput(`${file} is not a regular file.`, 'Give the path of a model file on disk.');
    return fs.openSync(file, 'r');
  } catch (err) {
    if (err instanceof TwinforgeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TwinforgeError('NOT_FOUND', `No file at ${file}.`, 'Check the path.');
    if (code === 'EACCES' || code === 'EPERM') throw badInput(`Cannot read ${file}: permission denied.`, 'Check the file permissions.');
    throw badInput(`Cannot open ${file}: ${(err as Error).message}`);
  }
}

const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * Resolves an ONNX external-data `location` against the model's folder. Refuses absolute paths,
 * paths that climb out of the folder (also through symlinks), and device names.
 */
export function resolveInside(folder: string, location: string): string {
  const refuse = (why: string): TwinforgeError =>
    new TwinforgeError('CORRUPT_MODEL', `External data location "${location}" ${why}.`, 'External data must be a file inside the model\'s own folder; move it there and fix the location.');
  if (location.length === 0) throw refuse('is empty');
  if (location.includes('\0')) throw refuse('contains a NUL byte');
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || /^[a-zA-Z]:/.test(location)) throw refuse('is an absolute path');
  const parts = location.split(/[\\/]+/);
  if (parts.some((p) => p === '..')) throw refuse('leaves the model folder');
  if (parts.some((p) => DEVICE_NAMES.test(p)) || location.startsWith('/dev/')) throw refuse('names a device');
  const base = path.resolve(folder);
  const full = path.resolve(base, ...parts.filter((p) => p !== '' && p !== '.'));
  if (full !== base && !full.startsWith(base + path.sep)) throw refuse('leaves the model folder');
  // Symlinks may point anywhere: compare real paths when the file exists.
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    throw new TwinforgeError('CORRUPT_MODEL', `External data file "${location}" is missing next to the model.`, `Copy ${location} into ${base}.`);
  }
  const realBase = fs.realpathSync(base);
  if (!real.startsWith(realBase + path.sep)) throw refuse('resolves (through a link) outside the model folder');
  const st = fs.statSync(real);
  if (!st.isFile()) throw refuse('is not a regular file');
  return real;
}

let scratchBuf: Uint8Array | undefined;
/**
 * A module-wide read buffer for synchronous scans (nonzeros, copies): allocated once, grown on
 * demand. Fresh multi-MB buffers per chunk cost more in page faults than the reads themselves.
 * Never hold it across an await or a yield.
 */
export function sharedScratch(bytes: number): Uint8Array {
  if (!scratchBuf || scratchBuf.byteLength < bytes) scratchBuf = new Uint8Array(bytes);
  return scratchBuf;
}
