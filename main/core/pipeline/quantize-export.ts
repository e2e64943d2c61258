// Commits quantization results to the ONNX graph: int8 weights behind a per-channel
// DequantizeLinear plus QuantizeLinear/DequantizeLinear on the layer's input (QDQ, which ORT and
// TensorRT fuse into integer kernels); int4 as com.microsoft MatMulNBits or as a blocked int4
// DequantizeLinear. Codes come in canonical [rows, cols] order and are laid out for each form here.
import type { ModelEditor } from '../model/onnx/editor';
import type { NBitsWeights } from '../model/onnx/nbits';
import { int4ToSigned } from '../native';
import { packZeroPoints } from '../methods/kernels';
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
  editor.addDequantize(layer.weight.id, { codes: { bytes: new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength) }, dtype: 'int8', scale: r.scales, zeroPoint: new Int8Array(r.scales.length), axis: layer.outAxis });
  const qdq = (tensor: string, a: { scale: number; zeroPoint: number; signed: boolean }) => {
    if (actDone.has(tensor)) return;
    actDone.add(tensor);
    editor.addQuantizeDequantize(tensor, { scale: [a.scale], zeroPoint: [a.zeroPoint], dtype: a.signed ? 'int8' : 'uint8' });
  };
  if (r.activation && layer.activation) qdq(layer.activation, r.activation);
  if (r.output && layer.node.outputs[0]) qdq(layer.node.outputs[0], r.output);
}

function commitInt4(editor: ModelEditor, layer: LayerTarget, r: Int4Result, accuracyLevel?: number): void {
  const { rows, cols } = layer;
  const groups = cols / r.group;
  if (r.format === 'matmulnbits') {
    const q: NBitsWeights = {
      K: cols,
      N: rows,
      blockSize: r.group,
      packed: r.packed,
      scales: r.scales,
      ...(r.zeroPoints ? { zeroPoints: packZeroPoints(r.zeroPoints, rows, groups) } : {}),
    };
    editor.replaceMatMulWithNBits(layer.weight.id, q, { accuracyLevel });
    return;
  }
  // Blocked DequantizeLinear (opset 21): blocks run along the weight's input axis.
  if (layer.colAxes.length !== 1) throw new TwinforgeError('UNSUPPORTED', `${layer.name}: blocked int4 needs a 2-D weight`);
  const inAxis = layer.colAxes[0];
  const dims = layer.weight.dims;
  const scaleDims = dims.map((d, i) => (i === inAxis ? groups : d));
  let bytes: Uint8Array;
  let scales: Float32Array = r.scales;
  let zp: Uint8Array | undefined = r.zeroPoints;
  if (layer.contiguous) {
    bytes = r.packed;
  } else {
    // Stored [in, out]: transpose the nibbles, scales and zero points.
    const codes = new Uint8Array(rows * cols);
    for (let i = 0; i < codes.length; i++) codes[i] = (r.packed[i >> 1] >> ((i & 1) * 4)) & 0xf;
    const t = toStorage(layer, codes, dims, layer.outAxis, layer.colAxes);
    bytes = new Uint8Array(t.length / 2);
    for (let i = 0; i < t.length; i++) bytes[i >> 1] |= t[i] << ((i & 1) * 4);
    scales = toStorage(layer, r.scales, scaleDims, layer.outAxis, layer.colAxes);
    if (zp) zp = toStorage(layer, zp, scaleDims, layer.outAxis, layer.colAxes);
  }
  editor.addDequantize(layer.weight.id, {
    // Symmetric codes carry zero point 8: as signed int4 they are q - 8 (XOR 0x88 per byte).
    codes: { bytes: r.symmetric ? int4ToSigned(bytes) : bytes },
    dtype: r.symmetric ? 'int4' : 'uint4',
    scale: scales,
    ...(zp ? { zeroPoint: zp } : {}),
    axis: inAxis,
    blockSize: r.group,
  });
}
