// safetensors writer: header (JSON, padded with spaces to 8 bytes), then the tensors back to back.
// Tensors given as IR weights are copied in bounded chunks; the file appears atomically.
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../../errors';
import { type DType, byteSize, safetensorsName } from '../dtype';
import type { Weight } from '../ir';

/** One tensor to write: bytes in memory, or an IR weight to copy from (streamed). */
export type SafetensorsTensor =
  | { name: string; dtype: DType; dims: number[]; bytes: Uint8Array }
  | { name: string; weight: Weight };

const CHUNK = 16 * 2 ** 20;

/** Writes a safetensors file atomically; returns its size in bytes. */
export function saveSafetensors(file: string, tensors: SafetensorsTensor[], metadata: Record<string, string> = {}): number {
  const target = path.resolve(file);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  const plan = tensors.map((t) => {
    const dtype = 'weight' in t ? t.weight.dtype : t.dtype;
    const dims = 'weight' in t ? t.weight.dims : t.dims;
    const st = safetensorsName(dtype);
    if (!st) throw new TwinforgeError('UNSUPPORTED', `safetensors has no dtype for ${dtype} (tensor "${t.name}").`, 'Convert the tensor to a dtype safetensors knows (F32, F16, BF16, I8, U8, ...).');
    if (seen.has(t.name) || t.name === '__metadata__') throw badInput(`Tensor name "${t.name}" is used twice or reserved.`);
    seen.add(t.name);
    const length = byteSize(dtype, dims.reduce((a, b) => a * b, 1));
    if ('bytes' in t && t.bytes.byteLength !== length) throw badInput(`Tensor "${t.name}": ${t.bytes.byteLength} bytes given, ${st} [${dims}] needs ${length}.`);
    header[t.name] = { dtype: st, shape: dims, data_offsets: [offset, offset + length] };
    const at = offset;
    offset += length;
    return { t, at, length };
  });
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.byteLength % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const tmp = `${target}.tmp-${process.pid}-${Date.now().toString(36)}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.byteLength));
    write(fd, len, 0);
    write(fd, json, 8);
    const base = 8 + json.byteLength;
    for (const { t, at, length } of plan) {
      if ('bytes' in t) write(fd, t.bytes, base + at);
      else for (let done = 0; done < length; done += CHUNK) {
        const n = Math.min(CHUNK, length - done);
        write(fd, t.weight.byteRange(done, n), base + at + done);
      }
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
    return base + offset;
  } catch (err) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function write(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.byteLength) done += fs.writeSync(fd, data, done, data.byteLength - done, position + done);
}
