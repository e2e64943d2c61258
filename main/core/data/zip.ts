// A small zip reader for .npz files: the central directory is read from the end record (zip64
// too, which numpy.savez always writes locally), each entry is located through its local header,
// and stored or deflated data is returned after a CRC check. Enough for numpy, not a general unzip.
// Kept instead of fflate's unzipSync, which checks no CRC (numpy.savez stores entries
// uncompressed, so a flipped byte would come back as a wrong number), returns an entry that runs
// past the end of the file silently short, and allocates the size a header declares before
// inflating. Writing zips (tests) is fflate's zipSync.
import { inflateRawSync, crc32 as zlibCrc32 } from 'node:zlib';
import { badInput, TwinforgeError } from '../errors';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function bad(what: string, message: string): TwinforgeError {
  return badInput(`${what}: not a valid .npz (zip) file: ${message}`, 'Write it with numpy.savez or numpy.savez_compressed.');
}

/** Lists the entries of a zip archive from its central directory. */
export function listZip(buf: Uint8Array, what = '.npz'): ZipEntry[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // The end record sits in the last 22 + up to 65535 (comment) bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad(what, 'no end-of-central-directory record');
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== ZIP64_LOCATOR) throw bad(what, 'zip64 sizes without a zip64 locator');
    const z64 = Number(dv.getBigUint64(loc + 8, true));
    if (z64 + 56 > buf.length || dv.getUint32(z64, true) !== ZIP64_EOCD) throw bad(what, 'zip64 end record missing');
    count = Number(dv.getBigUint64(z64 + 32, true));
    cdSize = Number(dv.getBigUint64(z64 + 40, true));
    cdOffset = Number(dv.getBigUint64(z64 + 48, true));
  }
  if (cdOffset + cdSize > buf.length) throw bad(what, 'central directory runs past the end');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || dv.getUint32(p, true) !== CENTRAL) throw bad(what, `central directory entry ${k} is damaged`);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > buf.length) throw bad(what, `central directory entry ${k} runs past the end`);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen));
    // zip64 extended information: only the fields whose 32-bit slot is 0xFFFFFFFF, in this order.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (size === 0xffffffff) { size = Number(dv.getBigUint64(q, true)); q += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = Number(dv.getBigUint64(q, true)); q += 8; }
        if (localOffset === 0xffffffff) { localOffset = Number(dv.getBigUint64(q, true)); q += 8; }
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, crc, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The uncompressed bytes of one entry, CRC-checked. */
export function readZipEntry(buf: Uint8Array, entry: ZipEntry, what = '.npz'): Uint8Array {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const p = entry.localOffset;
  if (p + 30 > buf.length || dv.getUint32(p, true) !== LOCAL) throw bad(what, `local header of '${entry.name}' is damaged`);
  const start = p + 30 + dv.getUint16(p + 26, true) + dv.getUint16(p + 28, true);
  if (start + entry.compressedSize > buf.length) throw bad(what, `'${entry.name}' runs past the end of the file`);
  const raw = buf.subarray(start, start + entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) out = raw;
  else if (entry.method === 8) {
    try {
      out = new Uint8Array(inflateRawSync(raw));
    } catch (err) {
      throw bad(what, `'${entry.name}' does not inflate: ${(err as Error).message}`);
    }
  } else throw bad(what, `'${entry.name}' uses compression method ${entry.method} (only stored and deflate are supported)`);
  if (out.length !== entry.size) throw bad(what, `'${entry.name}' is ${out.length} bytes, the directory says ${entry.size}`);
  if ((crc32(out) >>> 0) !== (entry.crc >>> 0)) throw bad(what, `'${entry.name}' fails its CRC check`);
  return out;
}

let table: Uint32Array | undefined;
/** CRC-32 (zlib's when Node has it, else a table). */
export function crc32(data: Uint8Array): number {
  if (typeof zlibCrc32 === 'function') return zlibCrc32(data) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
