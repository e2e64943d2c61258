// The Twinforge packed sparse file (.twsp): every pruned layer in the format its pattern pays in.
// The twin runtime reads it (twin folders) and a compress run writes it beside the twin
// (pipeline/export.ts); it lives here, below the pipeline, so both can build on it.
//
// .twsp layout (little-endian): "TWSPARSE" | u32 version (1) | u32 header bytes | header JSON |
// sections, each 64-byte aligned from the file start. The header lists per layer: name, rows,
// cols (canonical [out, in] order, KRSC for convolutions), format and its sections:
//   '2:4'     values f32 [rows, cols/2], meta u8 [rows, ceil(cols/8)] (4 bits per group:
//             idx0 | idx1 << 2, idx0 < idx1; group 2k in the low nibble of byte k)
//   'nm'      values f32 [rows, cols·n/m], indices u8 bit-packed (ceil(log2 m) bits, LSB first)
//   'bitmap'  bitmap u8 [ceil(rows·cols/8)] (bit i = element i kept, LSB first), values f32 [nnz]
//   'csr'     rowPtr i32 [rows+1], colIdx i32 [nnz], values f32 [nnz]
//   'bsr'     rowPtr i32 [rows/br+1] (block rows), colIdx i32 [nnzb] (block columns),
//             values f32 [nnzb, br, bc]
// 2:4, bitmap, CSR and BSR are the native addon's formats (its sparse kernels read them).
import type { Pattern } from '../methods/sparsity';
import { pack24, packBitmap, packBsr, packCsr, unpack24, unpackBitmap, unpackBsr, unpackCsr } from '../methods/kernels';

export type PackedFormat = '2:4' | 'nm' | 'bitmap' | 'csr' | 'bsr';

interface Section {
  name: string;
  dtype: 'float32' | 'uint8' | 'int32';
  data: ArrayBufferView;
}

export interface PackedLayer {
  name: string;
  rows: number;
  cols: number;
  format: PackedFormat;
  nnz: number;
  params: Record<string, number>;
  sections: Section[];
  bytes: number;
}

/** Packs one canonical matrix. */
export function packLayer(name: string, w: Float32Array, rows: number, cols: number, format: PackedFormat, p?: Pattern): PackedLayer {
  let nnz = 0;
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) nnz++;
  const sections: Section[] = [];
  const params: Record<string, number> = {};
  const fits24 = p?.kind === 'nm' && p.n <= 2 && p.m === 4 && cols % 4 === 0;
  if (format === '2:4' && !fits24) format = 'bitmap';
  if (format === 'nm' && !(p?.kind === 'nm' && cols % p.m === 0)) format = 'bitmap';
  if (format === 'bsr' && !(p?.kind === 'block' && rows % p.rows === 0 && cols % p.cols === 0)) format = nnz / w.length < 0.3 ? 'csr' : 'bitmap';
  if (format === '2:4') {
    const r = pack24(w, { rows, cols });
    sections.push({ name: 'values', dtype: 'float32', data: r.values }, { name: 'meta', dtype: 'uint8', data: r.meta });
  } else if (format === 'nm' && p?.kind === 'nm') {
    const { n, m } = p;
    params.n = n;
    params.m = m;
    const bits = Math.max(1, Math.ceil(Math.log2(m)));
    const kept = (rows * cols * n) / m;
    const values = new Float32Array(kept);
    const idx = new Uint8Array(Math.ceil((kept * bits) / 8));
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let g = 0; g < cols; g += m) {
        let taken = 0;
        // Nonzeros first, then zeros to fill n slots (a group may hold fewer than n nonzeros).
        for (let pass = 0; pass < 2 && taken < n; pass++) {
          for (let j = 0; j < m && taken < n; j++) {
            const v = w[r * cols + g + j];
            if ((pass === 0) !== (v !== 0)) continue;
            values[k] = v;
            const bit = k * bits;
            idx[bit >> 3] |= j << (bit & 7);
            if ((bit & 7) + bits > 8) idx[(bit >> 3) + 1] |= j >> (8 - (bit & 7));
            k++;
            taken++;
          }
        }
      }
    }
    sections.push({ name: 'values', dtype: 'float32', data: values }, { name: 'indices', dtype: 'uint8', data: idx });
  } else if (format === 'bsr' && p?.kind === 'block') {
    params.blockRows = p.rows;
    params.blockCols = p.cols;
    const r = packBsr(w, { rows, cols, blockRows: p.rows, blockCols: p.cols });
    sections.push({ name: 'rowPtr', dtype: 'int32', data: r.rowPtr }, { name: 'colIdx', dtype: 'int32', data: r.colIdx }, { name: 'values', dtype: 'float32', data: r.values });
  } else if (format === 'csr') {
    const r = packCsr(w, { rows, cols });
    sections.push({ name: 'rowPtr', dtype: 'int32', data: r.rowPtr }, { name: 'colIdx', dtype: 'int32', data: r.colIdx }, { name: 'values', dtype: 'float32', data: r.values });
  } else {
    format = 'bitmap';
    const r = packBitmap(w);
    sections.push({ name: 'bitmap', dtype: 'uint8', data: r.bitmap }, { name: 'values', dtype: 'float32', data: r.values });
  }
  const bytes = sections.reduce((a, s) => a + s.data.byteLength, 0);
  return { name, rows, cols, format, nnz, params, sections, bytes };
}

/** Unpacks a packed layer back to the dense canonical matrix (tests and readers). */
export function unpackLayer(l: PackedLayer): Float32Array {
  const sec = <T>(n: string) => l.sections.find((s) => s.name === n)!.data as unknown as T;
  const { rows, cols } = l;
  if (l.format === '2:4') return unpack24({ values: sec<Float32Array>('values'), meta: sec<Uint8Array>('meta') }, { rows, cols });
  if (l.format === 'bitmap') return unpackBitmap({ bitmap: sec<Uint8Array>('bitmap'), values: sec<Float32Array>('values') }, rows * cols);
  if (l.format === 'csr') return unpackCsr({ rowPtr: sec<Int32Array>('rowPtr'), colIdx: sec<Int32Array>('colIdx'), values: sec<Float32Array>('values') }, { rows, cols });
  if (l.format === 'bsr') return unpackBsr({ rowPtr: sec<Int32Array>('rowPtr'), colIdx: sec<Int32Array>('colIdx'), values: sec<Float32Array>('values') }, { rows, cols, blockRows: l.params.blockRows, blockCols: l.params.blockCols });
  const out = new Float32Array(rows * cols);
  const { n, m } = l.params;
  const bits = Math.max(1, Math.ceil(Math.log2(m)));
  const values = sec<Float32Array>('values');
  const idx = sec<Uint8Array>('indices');
  let k = 0;
  for (let r = 0; r < rows; r++) for (let g = 0; g < cols; g += m) for (let t = 0; t < n; t++, k++) {
    const bit = k * bits;
    let j = (idx[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);
    if ((bit & 7) + bits > 8) j |= (idx[(bit >> 3) + 1] << (8 - (bit & 7))) & ((1 << bits) - 1);
    out[r * cols + g + j] = values[k];
  }
  return out;
}

/** Serialises packed layers into one .twsp file body. */
export function encodeTwsp(layers: PackedLayer[], meta: Record<string, unknown> = {}): Uint8Array {
  const align = (x: number) => Math.ceil(x / 64) * 64;
  // Two passes: header size decides the first section offset.
  const describe = (base: number) => {
    let off = base;
    return layers.map((l) => ({
      name: l.name,
      rows: l.rows,
      cols: l.cols,
      format: l.format,
      nnz: l.nnz,
      ...l.params,
      sections: Object.fromEntries(
        l.sections.map((s) => {
          off = align(off);
          const e = [s.name, { dtype: s.dtype, offset: off, length: s.data.byteLength }];
          off += s.data.byteLength;
          return e;
        }),
      ),
    }));
  };
  let header = JSON.stringify({ ...meta, layers: describe(0) });
  let start = align(16 + Buffer.byteLength(header) + 64);
  header = JSON.stringify({ ...meta, layers: describe(start) });
  while (16 + Buffer.byteLength(header) > start) {
    start = align(16 + Buffer.byteLength(header) + 64);
    header = JSON.stringify({ ...meta, layers: describe(start) });
  }
  const hb = Buffer.from(header, 'utf8');
  let total = start;
  for (const l of layers) for (const s of l.sections) total = align(total) + s.data.byteLength;
  const out = new Uint8Array(total);
  out.set(Buffer.from('TWSPARSE', 'latin1'), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, hb.length, true);
  out.set(hb, 16);
  let off = start;
  for (const l of layers) for (const s of l.sections) {
    off = align(off);
    out.set(new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength), off);
    off += s.data.byteLength;
  }
  return out;
}
