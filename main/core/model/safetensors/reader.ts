// safetensors reader: an 8-byte little-endian header length, a JSON header, then the tensors.
// The header is checked before anything is read (size limit, dtypes, shapes, offsets in range,
// sizes agreeing with dtype × shape, no overlaps); tensors are read by positional reads, so
// files over 4 GB never sit in memory.
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError } from '../../errors';
import { type DType, DTYPES, SAFETENSORS_DTYPES, byteSize, countNonzeros, decodeToFloat32 } from '../dtype';
import type { ModelIR, NodeInfo, ValueInfo, Weight, WeightChunk, WeightRole } from '../ir';
import { attentionByName } from '../roles';
import { FileSource, sharedScratch } from '../source';

/** The largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100 * 2 ** 20;
const MAX_NUMEL = 2 ** 40;
/**
 * Most tensors one file may describe. Real checkpoints hold a few thousand per shard; each entry
 * costs a weight record and its analysis, so 300,000 empty tensors would cost gigabytes.
 */
export const MAX_TENSORS = 50_000;

const DTYPE_KEY = Buffer.from('"dtype"');

/** How often `needle` occurs in `hay`, counting no further than `stop`. */
function countOccurrences(hay: Uint8Array, needle: Buffer, stop: number): number {
  const b = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength);
  let n = 0;
  for (let at = b.indexOf(needle); at >= 0 && n < stop; at = b.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** Whether the first bytes look like safetensors: a plausible header length, then '{'. */
export function matchSafetensors(head: Uint8Array): boolean {
  if (head.byteLength < 9) return false;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = dv.getBigUint64(0, true);
  return n >= 2n && n <= BigInt(MAX_HEADER_BYTES) && head[8] === 0x7b;
}

export interface SafetensorsEntry {
  name: string;
  dtype: DType;
  /** The header's dtype string (F32, BF16, ...). */
  rawDtype: string;
  dims: number[];
  /** Absolute file offsets of the tensor's bytes. */
  begin: number;
  end: number;
}

function corrupt(file: string, message: string): TwinforgeError {
  return new TwinforgeError('CORRUPT_MODEL', `${file}: ${message}`, 'The safetensors file is damaged or truncated; download or export it again.');
}

/** Parses and checks the header of a safetensors file. */
export function readSafetensorsHeader(src: FileSource): { entries: SafetensorsEntry[]; metadata: Record<string, string>; dataStart: number } {
  const file = src.name;
  if (src.size < 8) throw corrupt(file, `only ${src.size} bytes; a safetensors file starts with an 8-byte header length.`);
  const lenBytes = src.read(0, 8);
  const n = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw corrupt(file, `the header claims ${n} bytes (limit ${MAX_HEADER_BYTES}).`);
  const headerLen = Number(n);
  if (8 + headerLen > src.size) throw corrupt(file, `the header claims ${headerLen} bytes but the file has ${src.size - 8} after the length.`);
  const headerBytes = src.read(8, headerLen);
  // Count tensor entries before parsing: JSON.parse of a header with 300,000 entries costs seconds.
  const described = countOccurrences(headerBytes, DTYPE_KEY, MAX_TENSORS + 1);
  if (described > MAX_TENSORS) throw corrupt(file, `the header describes more than ${MAX_TENSORS} tensors; Twinforge reads at most ${MAX_TENSORS} per file.`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw corrupt(file, `the header is not valid UTF-8 JSON (${(err as Error).message}).`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt(file, 'the header is not a JSON object.');
  const count = Object.keys(header).length;
  if (count > MAX_TENSORS + 1) throw corrupt(file, `the header describes ${count} tensors; Twinforge reads at most ${MAX_TENSORS} per file.`);
  const dataStart = 8 + headerLen;
  const dataSize = src.size - dataStart;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
        throw corrupt(file, '__metadata__ must map strings to strings.');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof info !== 'object' || info === null) throw corrupt(file, `tensor "${name}" has no description.`);
    if (typeof info.dtype !== 'string') throw corrupt(file, `tensor "${name}" has no dtype.`);
    const dtype = SAFETENSORS_DTYPES[info.dtype];
    if (!dtype) {
      if (/^F6_/.test(info.dtype) || info.dtype === 'C64') throw new TwinforgeError('UNSUPPORTED', `${file}: tensor "${name}" is ${info.dtype}, which Twinforge does not read.`);
      throw corrupt(file, `tensor "${name}" has unknown dtype "${info.dtype}".`);
    }
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw corrupt(file, `tensor "${name}" has an invalid shape ${JSON.stringify(info.shape)}.`);
    const dims = info.shape as number[];
    const numel = dims.reduce((a, b) => a * b, 1);
    if (numel > MAX_NUMEL) throw corrupt(file, `tensor "${name}" shape [${dims}] overflows.`);
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0)) throw corrupt(file, `tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}.`);
    const [b, e] = off as number[];
    if (b > e) throw corrupt(file, `tensor "${name}" has data_offsets [${b}, ${e}] that run backwards.`);
    if (e > dataSize) throw corrupt(file, `tensor "${name}" data [${b}, ${e}) lies past the end of the data (${dataSize} bytes).`);
    const need = byteSize(dtype, numel);
    if (e - b !== need) throw corrupt(file, `tensor "${name}" has ${e - b} bytes, but ${info.dtype} [${dims}] needs ${need}.`);
    entries.push({ name, dtype, rawDtype: info.dtype, dims, begin: dataStart + b, end: dataStart + e });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.begin < prev.end && cur.end > cur.begin && prev.end > prev.begin) throw corrupt(file, `tensors "${prev.name}" and "${cur.name}" overlap.`);
  }
  return { entries, metadata, dataStart };
}

const CHUNK = 1 << 22;

function roleByName(name: string, dtype: DType, dims: number[]): Pick<Weight, 'role' | 'layout' | 'attention' | 'isParameter'> {
  const n = name.toLowerCase();
  const numel = dims.reduce((a, b) => a * b, 1);
  const out = (role: WeightRole, extra: Partial<Weight> = {}): Pick<Weight, 'role' | 'layout' | 'attention' | 'isParameter'> => ({
    role,
    isParameter: !(role === 'shape' || role === 'scalar' || role === 'quant_param'),
    ...extra,
  });
  if (!DTYPES[dtype].float || dtype === 'int64' || dtype === 'int32' || dtype === 'bool') return out('shape');
  if (/(scale|zero_point|zeros|qzeros|absmax|scales)$/.test(n)) return out('quant_param');
  if (numel <= 1) return out('scalar');
  if (/norm|(^|\.)ln_?\w*\.|layernorm|\.bn\d*\./.test(n)) return out('norm');
  if (/bias$/.test(n)) return out('bias');
  if (/(embed|wte|wpe|tok_embeddings|word_embeddings|position_embeddings|shared\.weight)/.test(n) && dims.length === 2) return out('embedding');
  if (dims.length === 2) {
    // torch.nn.Linear stores [out, in]: the Gemm transB=1 layout.
    const attention = attentionByName(name);
    return out('gemm_b', { layout: { outAxis: 0, inAxes: [1], group: 1 }, ...(attention ? { attention } : {}) });
  }
  if (dims.length >= 3) return out('conv_w', { layout: { outAxis: 0, inAxes: dims.slice(1).map((_, i) => i + 1), group: 1 } });
  return out('other');
}

/** An open safetensors file as the IR: weights only (no graph), roles guessed from names and shapes. */
export class SafetensorsModel implements ModelIR {
  readonly format = 'safetensors' as const;
  readonly path: string;
  readonly producer: { name: string; version: string };
  readonly graphName = '';
  readonly opsets: Record<string, number> = {};
  readonly metadata: Record<string, string>;
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly valueInfo: ValueInfo[] = [];
  readonly nodes: NodeInfo[] = [];
  readonly weights: Weight[];
  readonly entries: SafetensorsEntry[];
  private readonly src: FileSource;
  private readonly byId = new Map<string, Weight>();

  private constructor(file: string) {
    this.path = path.resolve(file);
    this.src = new FileSource(this.path);
    try {
      const { entries, metadata } = readSafetensorsHeader(this.src);
      this.entries = entries;
      this.metadata = metadata;
      this.producer = { name: metadata.format ?? '', version: '' };
      this.weights = entries.map((e) => this.makeWeight(e));
      for (const w of this.weights) this.byId.set(w.id, w);
    } catch (err) {
      this.src.close();
      throw err;
    }
  }

  /** Opens and checks a safetensors file (reads only the header). */
  static open(file: string): SafetensorsModel {
    return new SafetensorsModel(file);
  }

  weight(id: string): Weight | undefined {
    return this.byId.get(id);
  }

  private makeWeight(e: SafetensorsEntry): Weight {
    const src = this.src;
    const numel = e.dims.reduce((a, b) => a * b, 1);
    const read = (o: number, l: number): Uint8Array => {
      if (o < 0 || l < 0 || o + l > e.end - e.begin) throw new TwinforgeError('BAD_INPUT', `Byte range [${o}, ${o + l}) is outside tensor "${e.name}".`);
      return src.read(e.begin + o, l);
    };
    // Streaming reads go into one reused buffer (fresh big buffers cost more in page faults than the read).
    const range = (first: number, count: number, scratch: Uint8Array): Uint8Array => {
      const s = byteSize(e.dtype, first);
      const view = scratch.subarray(0, byteSize(e.dtype, first + count) - s);
      src.readInto(e.begin + s, view);
      return view;
    };
    function* chunks(max = CHUNK): Iterable<WeightChunk> {
      const step = Math.max(8, max - (max % 8));
      const scratch = new Uint8Array(byteSize(e.dtype, Math.min(step, numel)));
      for (let first = 0; first < numel; first += step) {
        const count = Math.min(step, numel - first);
        yield { first, values: decodeToFloat32(e.dtype, range(first, count, scratch), count) };
      }
    }
    return {
      id: e.name,
      name: e.name,
      graph: '',
      source: 'safetensors',
      storage: 'file',
      dtype: e.dtype,
      dims: e.dims,
      numel,
      byteLength: e.end - e.begin,
      consumers: [],
      ...roleByName(e.name, e.dtype, e.dims),
      bytes: () => read(0, e.end - e.begin),
      byteRange: read,
      float32: () => decodeToFloat32(e.dtype, read(0, e.end - e.begin), numel),
      chunks,
      nonzeros: () => {
        let n = 0;
        const step = CHUNK;
        const scratch = sharedScratch(byteSize(e.dtype, Math.min(step, numel)));
        for (let first = 0; first < numel; first += step) {
          const count = Math.min(step, numel - first);
          n += countNonzeros(e.dtype, range(first, count, scratch), count);
        }
        return n;
      },
    };
  }

  close(): void {
    this.src.close();
  }
}
