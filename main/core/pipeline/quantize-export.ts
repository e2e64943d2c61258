// Commits quantization results to the ONNX graph: int8 weights behind a per-channel
// DequantizeLinear plus QuantizeLinear/DequantizeLinear on the layer's input (QDQ, which ORT and
// TensorRT fuse into integer kernels); int4 as com.microsoft MatMulNBits or as a blocked int4
// DequantizeLinear. Codes come in canonical [rows, cols] order and are laid out for each form here.
import type { ModelEditor } from '../model/onnx/editor';
import type { NBitsWeights } from '../model/onnx/nbits';
import { nBlocks } from '../model/onnx/nbits';
import type { LayerTarget } from '../methods/layers';
import type { Int4Result, Int8Result, QuantResult } from '../methods/method';
import { TwinforgeError } from '../errors';

export interface QuantCommit {
  layer: LayerTarget;
  result: QuantResult;
  accuracyLevel?: number;
}

/** Canonical [rows, cols] element order -> the weight's storage order, for any typed array. */
function toStorage<T extends Int8Array | Float32Array | Uint8Array>(layer: LayerTarget, m: T, dims: number[], outAxis: number, colAxes: number[]): T {
  const canonical = [outAxis, ...colAxes];
  if (canonical.every((a, i) => a === i)) return m;
  const st = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= dims[i];
  }
  const out = new (m.constructor as new (n: number) => T)(m.length);
  const sizes = canonical.map((a) => dims[a]);
  const steps = canonical.map((a) => st[a]);
  const pos = new Array<number>(canonical.length).fill(0);
  let off = 0;
  for (let i = 0; i < m.length; i++) {
    out[off] = m[i];
    for (let d = canonical.length - 1; d >= 0; d--) {
      pos[d]++;
      off += steps[d];
      if (pos[d] < sizes[d]) break;
      off -= steps[d] * sizes[d];
      pos[d] = 0;
    }
  }
  return out;
}

/** Writes every result into the graph; activation Q/DQ is inserted once per tensor. */
export function commitQuantization(editor: ModelEditor, commits: QuantCommit[]): void {
  const actDone = new Set<string>();
  for (const { layer, result, accuracyLevel } of commits) {
    if (result.kind === 'int8') commitInt8(editor, layer, result, actDone);
    else commitInt4(editor, layer, result, accuracyLevel);
  }
}

function commitInt8(editor: ModelEditor, layer: LayerTarget, r: Int8Result, actDone: Set<string>): void {
  const dims = layer.weight.dims;
  const codes = r.storageOrder ? r.q : toStorage(layer, r.q, dims, layer.outAxis, layer.colAxes);
  editor.addDequantize(layer.weight.id, { codes, dtype: 'int8', scale: r.scales, zeroPoint: new Int8Array(r.scales.length), axis: layer.outAxis });
  if (r.activation && layer.activation && !actDone.has(layer.activation)) {
    actDone.add(layer.activation);
    editor.addQuantizeDequantize(layer.activation, {
      scale: [r.activation.scale],
      zeroPoint: [r.activation.zeroPoint],
      dtype: r.activation.signed ? 'int8' : 'uint8',
    });
  }
}

function commitInt4(editor: ModelEditor, layer: LayerTarget, r: Int4Result, accuracyLevel?: number): void {
  const { rows, cols } = layer;
  const groups = Math.ceil(cols / r.group);
  if (r.format === 'matmulnbits') {
    const nb = nBlocks(cols, r.group);
    const half = r.group / 2;
    const packed = new Uint8Array(rows * nb * half);
    for (let n = 0; n < rows; n++) {
      for (let k = 0; k < cols; k++) {
        const code = r.symmetric ? r.q[n * cols + k] + 8 : r.q[n * cols + k];
        const b = Math.floor(k / r.group);
        const j = k - b * r.group;
        packed[(n * nb + b) * half + (j >> 1)] |= (code & 0xf) << ((j & 1) * 4);
      }
    }
    let zeroPoints: Uint8Array | undefined;
    if (!r.symmetric) {
      const zr = Math.ceil(nb / 2);
      zeroPoints = new Uint8Array(rows * zr);
      for (let n = 0; n < rows; n++) for (let b = 0; b < nb; b++) zeroPoints[n * zr + (b >> 1)] |= (r.zeroPoints![n * groups + b] & 0xf) << ((b & 1) * 4);
    }
    const q: NBitsWeights = { K: cols, N: rows, blockSize: r.group, packed, scales: r.scales, ...(zeroPoints ? { zeroPoints } : {}) };
    editor.replaceMatMulWithNBits(layer.weight.id, q, { accuracyLevel });
    return;
  }
  // Blocked DequantizeLinear (opset 21): blocks run along the weight's input axis.
  if (layer.colAxes.length !== 1) throw new TwinforgeError('UNSUPPORTED', `${layer.name}: blocked int4 needs a 2-D weight`);
  const inAxis = layer.colAxes[0];
  const dims = layer.weight.dims;
  const codes = toStorage(layer, r.q, dims, layer.outAxis, layer.colAxes);
  const scaleDims = dims.map((d, i) => (i === inAxis ? groups : d));
  const scales = toStorage(layer, r.scales, scaleDims, layer.outAxis, layer.colAxes);
  const zp = r.zeroPoints ? toStorage(layer, r.zeroPoints, scaleDims, layer.outAxis, layer.colAxes) : undefined;
  editor.addDequantize(layer.weight.id, {
    codes,
    dtype: r.symmetric ? 'int4' : 'uint4',
    scale: scales,
    ...(zp ? { zeroPoint: zp } : {}),
    axis: inAxis,
    blockSize: r.group,
  });
}
