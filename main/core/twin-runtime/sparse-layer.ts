// One Twinforge sparse layer of a loaded twin: the packed weight from weights.twsp, checked once
// (row pointers monotone, column indices in range — the kernels trust them, so a bad index must
// never reach C++), then run as Y = X·Wᵀ (+ b) (then ReLU) by the addon's sparse products on the
// caller's Float32Array without copying it. N:M weights arrive bit-packed in the file and are
// widened to one index byte per value here, once.
import { loadAddon } from '../native/addon';
import { TwinforgeError } from '../errors';
import type { TwinLayerInfo } from './format';
import type { TwspLayer } from './format';

interface SpmmAddon {
  spmmCsr(rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, rows: number, cols: number, x: Float32Array, batch: number, y: Float32Array, bias?: Float32Array): void;
  spmmNm(values: Float32Array, idx: Uint8Array, rows: number, cols: number, n: number, m: number, x: Float32Array, batch: number, y: Float32Array, bias?: Float32Array): void;
  spmmBsr(rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, rows: number, cols: number, br: number, bc: number, x: Float32Array, batch: number, y: Float32Array, bias?: Float32Array): void;
}

/** The addon's sparse products; UNSUPPORTED with a rebuild hint when the addon predates them. */
export function spmmAddon(): SpmmAddon {
  const a = loadAddon() as unknown as Partial<SpmmAddon>;
  if (typeof a.spmmCsr !== 'function' || typeof a.spmmNm !== 'function' || typeof a.spmmBsr !== 'function') {
    throw new TwinforgeError('UNSUPPORTED', 'The native addon has no sparse products on real weights (spmmCsr/spmmNm/spmmBsr): it was built before the twin runtime.', 'Rebuild it with `npm run build:native`.');
  }
  return a as SpmmAddon;
}

type Section = (l: TwspLayer, name: string) => Float32Array | Int32Array | Uint8Array;

const corrupt = (layer: string, why: string) => new TwinforgeError('CORRUPT_MODEL', `weights.twsp, layer '${layer}': ${why}`, 'Export the twin again.');

function checkPointers(layer: string, rowPtr: Int32Array, nRows: number, nIdx: number, colIdx: Int32Array, nCols: number): void {
  if (rowPtr.length !== nRows + 1 || rowPtr[0] !== 0 || rowPtr[nRows] !== nIdx || colIdx.length !== nIdx) throw corrupt(layer, 'row pointers do not match the stored values');
  for (let r = 0; r < nRows; r++) if (rowPtr[r + 1] < rowPtr[r]) throw corrupt(layer, `row pointers decrease at row ${r}`);
  for (let i = 0; i < colIdx.length; i++) if (colIdx[i] < 0 || colIdx[i] >= nCols) throw corrupt(layer, `column index ${colIdx[i]} out of range [0, ${nCols})`);
}

/** Widens bit-packed N:M indices (pipeline/export.ts layout) or 2:4 nibble metadata to one byte per value. */
function nmIndices(l: TwspLayer, sec: Section, n: number, m: number): Uint8Array {
  const kept = (l.rows * l.cols * n) / m;
  const out = new Uint8Array(kept);
  if (l.format === '2:4') {
    // meta: per group of 4, 4 bits idx0 | idx1 << 2, group 2k in the low nibble of byte k, rows padded to whole bytes.
    const meta = sec(l, 'meta') as Uint8Array;
    const rowBytes = Math.ceil(l.cols / 8);
    const groups = l.cols / 4;
    for (let r = 0; r < l.rows; r++) for (let gi = 0; gi < groups; gi++) {
      const nib = (meta[r * rowBytes + (gi >> 1)] >> ((gi & 1) * 4)) & 15;
      out[(r * groups + gi) * 2] = nib & 3;
      out[(r * groups + gi) * 2 + 1] = nib >> 2;
    }
    return out;
  }
  const idx = sec(l, 'indices') as Uint8Array;
  const bits = Math.max(1, Math.ceil(Math.log2(m)));
  for (let k = 0; k < kept; k++) {
    const bit = k * bits;
    let j = (idx[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);
    if ((bit & 7) + bits > 8) j |= (idx[(bit >> 3) + 1] << (8 - (bit & 7))) & ((1 << bits) - 1);
    if (j >= m) throw corrupt(l.name, `N:M index ${j} out of range [0, ${m})`);
    out[k] = j;
  }
  return out;
}

export class SparseLayer {
  readonly rows: number;
  readonly cols: number;
  private readonly run: (x: Float32Array, batch: number, y: Float32Array) => void;

  constructor(readonly info: TwinLayerInfo, l: TwspLayer, sec: Section) {
    const { rows, cols } = l;
    if (rows !== info.rows || cols !== info.cols) throw corrupt(l.name, `shape ${rows}x${cols} differs from the manifest's ${info.rows}x${info.cols}`);
    this.rows = rows;
    this.cols = cols;
    const a = spmmAddon();
    const bias = info.bias ? (sec(l, 'bias') as Float32Array) : undefined;
    if (bias && bias.length !== rows) throw corrupt(l.name, `bias has ${bias.length} values, expected ${rows}`);
    const values = sec(l, 'values') as Float32Array;
    if (l.format === 'csr') {
      const rowPtr = sec(l, 'rowPtr') as Int32Array;
      const colIdx = sec(l, 'colIdx') as Int32Array;
      checkPointers(l.name, rowPtr, rows, values.length, colIdx, cols);
      this.run = (x, b, y) => a.spmmCsr(rowPtr, colIdx, values, rows, cols, x, b, y, bias);
    } else if (l.format === 'bsr') {
      const br = l.blockRows ?? 0;
      const bc = l.blockCols ?? 0;
      if (!(br > 0 && bc > 0 && rows % br === 0 && cols % bc === 0)) throw corrupt(l.name, `block ${br}x${bc} does not tile ${rows}x${cols}`);
      const rowPtr = sec(l, 'rowPtr') as Int32Array;
      const colIdx = sec(l, 'colIdx') as Int32Array;
      if (values.length !== colIdx.length * br * bc) throw corrupt(l.name, 'block values do not match the block count');
      checkPointers(l.name, rowPtr, rows / br, colIdx.length, colIdx, cols / bc);
      this.run = (x, b, y) => a.spmmBsr(rowPtr, colIdx, values, rows, cols, br, bc, x, b, y, bias);
    } else if (l.format === 'nm' || l.format === '2:4') {
      const n = l.format === '2:4' ? 2 : (l.n ?? 0);
      const m = l.format === '2:4' ? 4 : (l.m ?? 0);
      if (!(n > 0 && m >= n && m <= 255 && cols % m === 0)) throw corrupt(l.name, `N:M ${n}:${m} does not fit ${cols} inputs`);
      if (values.length !== (rows * cols * n) / m) throw corrupt(l.name, 'N:M values do not match the shape');
      const idx = nmIndices(l, sec, n, m);
      this.run = (x, b, y) => a.spmmNm(values, idx, rows, cols, n, m, x, b, y, bias);
    } else {
      throw corrupt(l.name, `format '${l.format}' has no Twinforge kernel`);
    }
  }

  /** Y[batch, rows] = X[batch, cols]·Wᵀ (+ b), then the layer's activation; y may be given to reuse memory. */
  forward(x: Float32Array, batch: number, y = new Float32Array(batch * this.rows)): Float32Array {
    this.run(x, batch, y);
    if (this.info.activation === 'relu') for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0; // NaN stays NaN, as ONNX Relu
    return y;
  }
}
