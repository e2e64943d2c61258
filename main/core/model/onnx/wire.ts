// Protobuf wire-level passes over an ONNX file, without decoding it:
//  - strip: copies the model but leaves large TensorProto.raw_data payloads where they are,
//    putting a small marker field in their place (the "skeleton", decoded by onnx-buf), so
//    the weights of a 2 GB model never sit in JS memory at once;
//  - inflate: the reverse, for writing: markers become raw_data fields whose bytes are
//    streamed from wherever the weight lives.
// Both validate every length they cross against the enclosing message, so a length that
// points past the end is a clear CORRUPT_MODEL, not a read of garbage.
import { TwinforgeError } from '../../errors';
import type { ByteSource } from '../source';

/** Field number of the marker that stands for a weight left in the file (never used by ONNX). */
export const LAZY_FIELD = 8191;

type Kind = 'model' | 'graph' | 'node' | 'attribute' | 'tensor' | 'sparse' | 'training' | 'function';

// Which length-delimited fields of each message hold messages that may contain tensors.
const CHILDREN: Record<Kind, Record<number, Kind>> = {
  model: { 7: 'graph', 20: 'training', 25: 'function' },
  training: { 1: 'graph', 2: 'graph' },
  function: { 7: 'node', 11: 'attribute' },
  graph: { 1: 'node', 5: 'tensor', 15: 'sparse' },
  node: { 5: 'attribute' },
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 22: 'sparse', 23: 'sparse' },
  sparse: { 1: 'tensor', 2: 'tensor' },
  tensor: {},
};

/** One piece of output: bytes copied from the input, literal bytes, or a lazy weight. */
export type Piece =
  | { kind: 'copy'; start: number; end: number }
  | { kind: 'bytes'; data: Uint8Array }
  | { kind: 'lazy'; ref: number; length: number };

export function pieceLength(p: Piece): number {
  return p.kind === 'copy' ? p.end - p.start : p.kind === 'bytes' ? p.data.byteLength : p.length;
}

function corrupt(message: string): TwinforgeError {
  return new TwinforgeError('CORRUPT_MODEL', message, 'The file is truncated or damaged; re-export or re-download the model.');
}

// Reads bytes of a source through a small block cache (files) or directly (memory).
class Cursor {
  private block: Uint8Array = new Uint8Array(0);
  private blockStart = 0;
  constructor(readonly src: ByteSource) {}
  byte(pos: number): number {
    if (pos < this.blockStart || pos >= this.blockStart + this.block.byteLength) {
      if (pos >= this.src.size) throw corrupt(`${this.src.name}: a field runs past the end of the file (byte ${pos}).`);
      this.blockStart = pos;
      this.block = this.src.read(pos, Math.min(65536, this.src.size - pos));
    }
    return this.block[pos - this.blockStart];
  }
  /** A varint at pos: [value, next position]. Values past 2^53 are refused (no length is that big). */
  varint(pos: number, end: number): [number, number] {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw corrupt(`${this.src.name}: a varint runs past the end of its message (byte ${pos}).`);
      const b = this.byte(pos++);
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw corrupt(`${this.src.name}: a varint is too large (byte ${pos}).`);
        return [value, pos];
      }
      mul *= 128;
    }
    throw corrupt(`${this.src.name}: a varint is longer than 10 bytes (byte ${pos}).`);
  }
  /** The end of a varint value (any size: int64 values such as -1 take ten bytes). */
  skipVarint(pos: number, end: number): number {
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw corrupt(`${this.src.name}: a varint runs past the end of its message (byte ${pos}).`);
      if ((this.byte(pos++) & 0x80) === 0) return pos;
    }
    throw corrupt(`${this.src.name}: a varint is longer than 10 bytes (byte ${pos}).`);
  }
}

export function encodeVarint(v: number): Uint8Array {
  const out: number[] = [];
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** What a pass does with one field of a TensorProto: undefined keeps it as it is. */
type TensorFieldRule = (cur: Cursor, field: number, wire: number, valueStart: number, valueEnd: number) => Piece[] | undefined;

interface Pass {
  /** Only messages at least this long are looked into (small ones cannot hold big weights). */
  minDescend: number;
  tensorField: TensorFieldRule;
  depth: number;
}

const MAX_DEPTH = 64;

// Walks the fields of one message in [start, end), appending pieces; returns whether anything
// inside was replaced (when nothing was, the caller copies the message verbatim).
function walk(cur: Cursor, start: number, end: number, kind: Kind, pass: Pass, out: Piece[]): boolean {
  if (++pass.depth > MAX_DEPTH) throw corrupt(`${cur.src.name}: messages nested deeper than ${MAX_DEPTH} levels.`);
  let changed = false;
  let pos = start;
  let copyFrom = start;
  const flush = (upTo: number): void => {
    if (upTo > copyFrom) pushCopy(out, copyFrom, upTo);
  };
  while (pos < end) {
    const fieldStart = pos;
    const [tag, afterTag] = cur.varint(pos, end);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw corrupt(`${cur.src.name}: field number 0 at byte ${fieldStart}.`);
    let valueStart = afterTag;
    let valueEnd: number;
    switch (wire) {
      case 0: valueEnd = cur.skipVarint(afterTag, end); break;
      case 1: valueEnd = afterTag + 8; break;
      case 5: valueEnd = afterTag + 4; break;
      case 2: {
        const [len, after] = cur.varint(afterTag, end);
        valueStart = after;
        valueEnd = after + len;
        break;
      }
      default:
        throw corrupt(`${cur.src.name}: wire type ${wire} (groups or invalid) at byte ${fieldStart}; ONNX files do not use it.`);
    }
    if (valueEnd > end) {
      throw corrupt(`${cur.src.name}: field ${field} at byte ${fieldStart} claims ${valueEnd - valueStart} bytes, past the end of its message at byte ${end}.`);
    }
    pos = valueEnd;
    if (kind === 'tensor') {
      const rep = pass.tensorField(cur, field, wire, valueStart, valueEnd);
      if (rep) {
        flush(fieldStart);
        for (const p of rep) out.push(p);
        copyFrom = valueEnd;
        changed = true;
      }
      continue;
    }
    const child = CHILDREN[kind][field];
    if (child === undefined || wire !== 2 || valueEnd - valueStart < pass.minDescend) continue;
    const inner: Piece[] = [];
    if (!walk(cur, valueStart, valueEnd, child, pass, inner)) continue;
    flush(fieldStart);
    pushCopy(out, fieldStart, afterTag); // the tag
    out.push({ kind: 'bytes', data: encodeVarint(inner.reduce((s, p) => s + pieceLength(p), 0)) });
    for (const p of inner) out.push(p);
    copyFrom = valueEnd;
    changed = true;
  }
  pass.depth--;
  if (changed) flush(end);
  return changed;
}

function pushCopy(out: Piece[], start: number, end: number): void {
  const last = out[out.length - 1];
  if (last && last.kind === 'copy' && last.end === start) last.end = end;
  else out.push({ kind: 'copy', start, end });
}

/** A weight payload left in the source: raw_data bytes at [offset, offset + length). */
export interface LazySpan {
  offset: number;
  length: number;
}

/**
 * Builds the skeleton of an ONNX file: the model with every raw_data of at least `minBytes`
 * replaced by a marker naming its span. Returns the skeleton bytes and the spans.
 */
export function stripWeights(src: ByteSource, minBytes: number): { skeleton: Uint8Array; spans: LazySpan[] } {
  const cur = new Cursor(src);
  const spans: LazySpan[] = [];
  const pass: Pass = {
    minDescend: minBytes,
    depth: 0,
    tensorField: (_c, field, wire, vs, ve) => {
      if (field === LAZY_FIELD) throw new TwinforgeError('UNSUPPORTED', `${src.name} uses protobuf field ${LAZY_FIELD} in a tensor, which Twinforge reserves.`);
      if (field !== 9 || wire !== 2 || ve - vs < minBytes) return undefined;
      spans.push({ offset: vs, length: ve - vs });
      return [{ kind: 'bytes', data: marker(spans.length - 1) }];
    },
  };
  const pieces: Piece[] = [];
  const changed = walk(cur, 0, src.size, 'model', pass, pieces);
  if (!changed) return { skeleton: src.read(0, src.size), spans };
  const total = pieces.reduce((s, p) => s + pieceLength(p), 0);
  const skeleton = new Uint8Array(total);
  let at = 0;
  for (const p of pieces) {
    const bytes = p.kind === 'copy' ? src.read(p.start, p.end - p.start) : (p as { data: Uint8Array }).data;
    skeleton.set(bytes, at);
    at += bytes.byteLength;
  }
  return { skeleton, spans };
}

function marker(index: number): Uint8Array {
  const tag = encodeVarint(LAZY_FIELD * 8);
  const v = encodeVarint(index);
  const out = new Uint8Array(tag.length + v.length);
  out.set(tag);
  out.set(v, tag.length);
  return out;
}

/** The marker's weight index from a message's $unknown list (onnx-buf keeps the value bytes). */
export function markerIndex(unknown: ReadonlyArray<{ no: number; wireType: number; data: Uint8Array }> | undefined): number | undefined {
  const f = unknown?.find((u) => u.no === LAZY_FIELD);
  if (!f) return undefined;
  const d = f.data;
  const cur = new Cursor({ name: 'marker', size: d.byteLength, read: (o, l) => d.subarray(o, o + l), close() {} });
  return cur.varint(0, d.byteLength)[0];
}

/** The unknown-field entry onnx-buf writes back as the marker for `index`. */
export function markerField(index: number): { no: number; wireType: number; data: Uint8Array } {
  return { no: LAZY_FIELD, wireType: 0, data: encodeVarint(index) };
}

/**
 * Turns a serialized skeleton into the pieces of the full file: each marker becomes a raw_data
 * field of `lengthOf(index)` bytes, to be filled by the writer from the weight's own source.
 */
export function inflateWeights(skeleton: Uint8Array, lengthOf: (index: number) => number): Piece[] {
  const src: ByteSource = { name: 'skeleton', size: skeleton.byteLength, read: (o, l) => skeleton.subarray(o, o + l), close() {} };
  const cur = new Cursor(src);
  const pass: Pass = {
    minDescend: 0,
    depth: 0,
    tensorField: (c, field, wire, vs) => {
      if (field !== LAZY_FIELD || wire !== 0) return undefined;
      const ref = c.varint(vs, skeleton.byteLength)[0];
      const length = lengthOf(ref);
      const head = new Uint8Array([0x4a, ...encodeVarint(length)]); // field 9, wire type 2
      return [{ kind: 'bytes', data: head }, { kind: 'lazy', ref, length }];
    },
  };
  const pieces: Piece[] = [];
  if (!walk(cur, 0, skeleton.byteLength, 'model', pass, pieces)) return [{ kind: 'bytes', data: skeleton }];
  return pieces.map((p) => (p.kind === 'copy' ? { kind: 'bytes', data: skeleton.subarray(p.start, p.end) } : p));
}
