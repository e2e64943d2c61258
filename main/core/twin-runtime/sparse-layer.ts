// One Twinforge sparse layer of a loaded twin: the packed weight from weights.twsp, checked once
// (row pointers monotone, column indices in range — the kernels trust them, so a bad index must
// never reach C++), then run as Y = X·Wᵀ (+ b) (then ReLU) by the addon's sparse products on the
// caller's Float32Array without copying it. N:M weights arrive bit-packed in the file and are
// widened to one index byte per value here, once. 2:4 weights run as they are stored (values +
// 4 bits of positions per group) by the packed 2:4 kernels (native/sp24.ts), with fp16 values
// when every kept value is exactly an fp16 number (half the bytes read, same results), else fp32.
import { loadAddon } from '../native/addon';
import { sp24Matmul, sp24Weights, type Sp24Weights } from '../native/sp24';
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

/** Widens bit-packed N:M indices (pipeline/export.ts layout) to one byte per value. */
function nmIndices(l: TwspLayer, sec: Section, n: number, m: number): Uint8Array {
  const kept = (l.rows * l.cols * n) / m;
  const out = new Uint8Array(kept);
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

let halfTable: Float32Array | undefined;

/** Every fp16 bit pattern's value (built once: 256 KiB). */
function halves(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const e = (h >> 10) & 31;
    const f = h & 1023;
    const mag = e === 0 ? f * 2 ** -24 : e === 31 ? (f ? NaN : Infinity) : (1 + f / 1024) * 2 ** (e - 15);
    halfTable[h] = h & 0x8000 ? -mag : mag;
  }
  return halfTable;
}

/** The 2:4 weights with fp16 values when that loses nothing (each value converts back to itself), else as given. */
function halfIfExact(w: Sp24Weights): Sp24Weights {
  const values = w.values as Float32Array;
  const h = sp24Weights({ values, meta: w.meta }, { rows: w.rows, cols: w.cols, fp16: true });
  const t = halves();
  const hv = h.values as Uint16Array;
  for (let i = 0; i < values.length; i++) if (t[hv[i]] !== values[i]) return w; // NaN never equals: stays fp32
  return h;
}

export class SparseLayer {
  readonly rows: number;
  readonly cols: number;
  /** The kernel that runs the layer: 'csr', 'bsr', 'nm', or 'sp24 fp16' / 'sp24 fp32' (packed 2:4). */
  readonly kernel: string;
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
      this.kernel = 'csr';
      this.run = (x, b, y) => a.spmmCsr(rowPtr, colIdx, values, rows, cols, x, b, y, bias);
    } else if (l.format === 'bsr') {
      const br = l.blockRows ?? 0;
      const bc = l.blockCols ?? 0;
      if (!(br > 0 && bc > 0 && rows % br === 0 && cols % bc === 0)) throw corrupt(l.name, `block ${br}x${bc} does not tile ${rows}x${cols}`);
      const rowPtr = sec(l, 'rowPtr') as Int32Array;
      const colIdx = sec(l, 'colIdx') as Int32Array;
      if (values.length !== colIdx.length * br * bc) throw corrupt(l.name, 'block values do not match the block count');
      checkPointers(l.name, rowPtr, rows / br, colIdx.length, colIdx, cols / bc);
      this.kernel = 'bsr';
      this.run = (x, b, y) => a.spmmBsr(rowPtr, colIdx, values, rows, cols, br, bc, x, b, y, bias);
    } else if (l.format === '2:4') {
      if (cols % 4 !== 0) throw corrupt(l.name, `2:4 does not fit ${cols} inputs`);
      const meta = sec(l, 'meta') as Uint8Array;
      let w: Sp24Weights;
      try {
        // checks lengths and every group's positions (idx0 < idx1) once: the kernels trust them
        w = halfIfExact(sp24Weights({ values, meta }, { rows, cols }));
      } catch (e) {
        if (e instanceof TwinforgeError && e.code === 'BAD_INPUT') throw corrupt(l.name, e.message);
        throw e;
      }
      this.kernel = w.values instanceof Uint16Array ? 'sp24 fp16' : 'sp24 fp32';
      this.run = (x, b, y) => sp24Matmul(w, x, b, { out: y, bias });
    } else if (l.format === 'nm') {
      const n = l.n ?? 0;
      const m = l.m ?? 0;
      if (!(n > 0 && m >= n && m <= 255 && cols % m === 0)) throw corrupt(l.name, `N:M ${n}:${m} does not fit ${cols} inputs`);
      if (values.length !== (rows * cols * n) / m) throw corrupt(l.name, 'N:M values do not match the shape');
      const idx = nmIndices(l, sec, n, m);
      this.kernel = 'nm';
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
