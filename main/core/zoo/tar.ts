// A small POSIX ustar writer and reader (regular files only), enough for zoo archives without
// another dependency. Sizes past 8 GiB use the GNU base-256 form. The reader hands each
// entry's bytes to a sink as they stream by, so big model files never sit in memory.

const BLOCK = 512;

export interface TarHeader {
  name: string;
  size: number;
  /** '0' regular file; anything else is reported as is (the archive importer refuses it). */
  type: string;
  mtime: number;
}

/** The 512-byte header of a regular file. Names over 100 bytes use the ustar prefix field. */
export function tarHeader(name: string, size: number, mtime = Math.floor(Date.now() / 1000)): Buffer {
  const h = Buffer.alloc(BLOCK);
  const nameBytes = Buffer.from(name, 'utf8');
  let base = nameBytes;
  let prefix = Buffer.alloc(0);
  if (nameBytes.length > 100) {
    const cut = name.lastIndexOf('/', name.length - 1);
    prefix = Buffer.from(name.slice(0, cut), 'utf8');
    base = Buffer.from(name.slice(cut + 1), 'utf8');
    if (cut < 0 || prefix.length > 155 || base.length > 100) throw new Error(`tar: name too long: ${name}`);
  }
  base.copy(h, 0);
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeSize(h, size);
  writeOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h[156] = 0x30; // '0'
  h.write('ustar\0', 257, 'binary');
  h.write('00', 263, 'binary');
  prefix.copy(h, 345);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  writeOctal(h, 148, 7, sum);
  h[155] = 0x20;
  return h;
}

/** Zero bytes that pad an entry of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rem = size % BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem);
}

/** The two zero blocks that end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(BLOCK * 2);
}

function writeOctal(h: Buffer, off: number, len: number, value: number): void {
  h.write(value.toString(8).padStart(len - 1, '0') + '\0', off, len, 'binary');
}

function writeSize(h: Buffer, size: number): void {
  if (size < 0o77777777777) return writeOctal(h, 124, 12, size);
  // GNU base-256: high bit set, big-endian value in the remaining bytes.
  h[124] = 0x80;
  let v = BigInt(size);
  for (let i = 135; i > 124; i--) {
    h[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function readNumber(h: Buffer, off: number, len: number): number {
  if (h[off] & 0x80) {
    let v = 0n;
    for (let i = off + 1; i < off + len; i++) v = (v << 8n) | BigInt(h[i]);
    return Number(v);
  }
  const s = h.toString('binary', off, off + len).replace(/[\0 ]+$/g, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new Error(`tar: bad number field '${s}'`);
  return parseInt(s, 8);
}

function readString(h: Buffer, off: number, len: number): string {
  const end = h.indexOf(0, off);
  return h.toString('utf8', off, end >= 0 && end < off + len ? end : off + len);
}

export interface EntrySink {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * Reads a tar stream; for each entry calls onEntry, which returns where its bytes go (or throws
 * to stop). Verifies header checksums; a stream that ends inside an entry is an error.
 */
export async function readTar(chunks: AsyncIterable<Buffer | Uint8Array>, onEntry: (h: TarHeader) => EntrySink): Promise<number> {
  let buf = Buffer.alloc(0);
  let sink: EntrySink | undefined;
  let remaining = 0; // bytes of the current entry still to come
  let padding = 0;
  let entries = 0;
  let ended = false;
  let zeroBlocks = 0;

  const take = (): void => {
    for (;;) {
      if (ended) return;
      if (sink) {
        if (buf.length === 0) return;
        const n = Math.min(remaining, buf.length);
        if (n > 0) sink.write(buf.subarray(0, n));
        buf = buf.subarray(n);
        remaining -= n;
        if (remaining === 0) {
          sink.end();
          sink = undefined;
        } else return;
      }
      if (padding > 0) {
        const n = Math.min(padding, buf.length);
        buf = buf.subarray(n);
        padding -= n;
        if (padding > 0) return;
      }
      if (buf.length < BLOCK) return;
      const h = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        if (++zeroBlocks >= 2) ended = true;
        continue;
      }
      zeroBlocks = 0;
      const stored = readNumber(h, 148, 8);
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
      if (sum !== stored) throw new Error('tar: header checksum mismatch (not a tar archive, or damaged)');
      const magic = h.toString('binary', 257, 262);
      const prefix = magic === 'ustar' ? readString(h, 345, 155) : '';
      const base = readString(h, 0, 100);
      const header: TarHeader = {
        name: prefix ? `${prefix}/${base}` : base,
        size: readNumber(h, 124, 12),
        type: String.fromCharCode(h[156] || 0x30),
        mtime: readNumber(h, 136, 12),
      };
      entries++;
      sink = onEntry(header);
      remaining = header.size;
      padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
      if (remaining === 0) {
        sink.end();
        sink = undefined;
      }
    }
  };

  for await (const c of chunks) {
    buf = buf.length ? Buffer.concat([buf, Buffer.from(c)]) : Buffer.from(c);
    take();
    if (ended) break;
  }
  if (sink || remaining > 0) throw new Error('tar: archive ends in the middle of an entry (truncated)');
  if (entries === 0) throw new Error('tar: no entries (empty or not a tar archive)');
  return entries;
}
