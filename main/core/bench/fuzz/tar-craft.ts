// Tar archives for the fuzz harness and the archive tests, written by tar-stream. Hostile variants
// (a type flag or a declared size that does not match the data) are forged by patching the header
// tar-stream wrote, since no tar writer emits them on purpose; everything else is the library's.
import { pack } from 'tar-stream';

export interface CraftEntry {
  name: string;
  data: Buffer;
  /** A raw ustar type flag ('2' symlink, '5' directory, 'L' GNU long name, ...) forged in. */
  type?: string;
  /** A declared size other than data.length, forged in. */
  size?: number;
}

const BLOCK = 512;

/** The archive's bytes: entries in order, then the two zero blocks (deterministic: mtime 0). */
export async function craftTar(entries: CraftEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const one = await packed([e]);
    const body = one.subarray(0, one.length - 2 * BLOCK); // drop this pack's end blocks
    if (e.type !== undefined || e.size !== undefined) forge(body.subarray(body.length - padded(e.data.length) - BLOCK), e);
    parts.push(body);
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

async function packed(entries: CraftEntry[]): Promise<Buffer> {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, size: e.data.length, mtime: new Date(0), mode: 0o644 }, e.data);
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

function padded(n: number): number {
  return Math.ceil(n / BLOCK) * BLOCK;
}

/** Rewrites the type flag and size field of a ustar header in place, then its checksum. */
function forge(h: Buffer, e: CraftEntry): void {
  if (e.type !== undefined) h[156] = e.type.charCodeAt(0);
  if (e.size !== undefined) {
    if (e.size < 8 ** 11) h.write(e.size.toString(8).padStart(11, '0') + '\0', 124, 12, 'latin1');
    else {
      // GNU base-256 for sizes past 8 GiB: high bit set, big-endian value
      h.fill(0, 124, 136);
      h[124] = 0x80;
      let v = BigInt(e.size);
      for (let i = 135; i > 124; i--, v >>= 8n) h[i] = Number(v & 0xffn);
    }
  }
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
}
