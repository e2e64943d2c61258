// The compressed-tensors checkpoint format (the one vLLM and transformers load), written from
// its public description: config.json carries `quantization_config` with
// quant_method 'compressed-tensors'; per Linear module PREFIX (model.layers.0.self_attn.q_proj):
//  - pack-quantized (int4 W4A16): PREFIX.weight_packed int32 [out, in/8] — eight 4-bit values
//    per word, low bits first, each stored as q + 8 (q in -8..7); PREFIX.weight_scale
//    [out, in/group] in the model dtype; PREFIX.weight_shape int64 [2]. w = q · scale.
//  - int-quantized (int8, per-channel): PREFIX.weight int8 [out, in], PREFIX.weight_scale [out, 1].
//  - sparse-24-bitmask (2:4, not quantized): PREFIX.compressed [out, in/2] (the kept values in
//    row order), PREFIX.bitmask uint8 [out, ceil(in/8)] (numpy packbits, little bit order: bit
//    k of byte b is column 8b+k), PREFIX.shape int64 [2, 1].
// Everything else (norms, embeddings, lm_head, dense linears) is stored as usual.
import type { DType } from '../dtype';
import { decodeToFloat32, encodeFromNumbers } from '../dtype';
import { TwinforgeError } from '../../errors';

export const CT_QUANT_METHOD = 'compressed-tensors';

export interface CtTensor {
  name: string;
  dtype: DType;
  dims: number[];
  bytes: Uint8Array;
}

export type CtFormat = 'pack-quantized' | 'int-quantized' | 'sparse-24-bitmask' | 'dense';

/** Rounds values to the model dtype and back (what a reader of the file will see). */
export function roundTo(dtype: DType, v: Float32Array): Float32Array {
  return decodeToFloat32(dtype, encodeFromNumbers(dtype, v), v.length);
}

/** The dense shape as the int64 tensor the format stores. */
function int64Shape(dims: number[]): CtTensor['bytes'] {
  return new Uint8Array(BigInt64Array.from(dims.map((d) => BigInt(d))).buffer);
}

/** int4 GPTQ codes (nibbles low first, zero point 8) and scales -> pack-quantized tensors. */
export function packQuantized(prefix: string, rows: number, cols: number, codes: Uint8Array, scales: Float32Array, groups: number, dtype: DType): CtTensor[] {
  // Two nibbles per byte, low first, four bytes little-endian = one int32 of eight values, low
  // first: the byte layout of the codes is already the packed layout.
  return [
    { name: `${prefix}.weight_packed`, dtype: 'int32', dims: [rows, cols / 8], bytes: codes.slice() },
    { name: `${prefix}.weight_scale`, dtype, dims: [rows, groups], bytes: encodeFromNumbers(dtype, scales) },
    { name: `${prefix}.weight_shape`, dtype: 'int64', dims: [2], bytes: int64Shape([rows, cols]) },
  ];
}

/** int8 per-channel codes and scales -> int-quantized tensors. */
export function intQuantized(prefix: string, rows: number, cols: number, codes: Int8Array, scales: Float32Array, dtype: DType): CtTensor[] {
  return [
    { name: `${prefix}.weight`, dtype: 'int8', dims: [rows, cols], bytes: new Uint8Array(codes.buffer, codes.byteOffset, codes.length).slice() },
    { name: `${prefix}.weight_scale`, dtype, dims: [rows, 1], bytes: encodeFromNumbers(dtype, scales) },
  ];
}

/** A 2:4 weight (mask exactly two of every four per row) -> sparse-24-bitmask tensors. */
export function sparse24Bitmask(prefix: string, rows: number, cols: number, w: Float32Array, mask: Uint8Array, dtype: DType): CtTensor[] {
  const kept = new Float32Array((rows * cols) / 2);
  const rowBytes = Math.ceil(cols / 8);
  const bits = new Uint8Array(rows * rowBytes);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let inRow = 0;
    for (let c = 0; c < cols; c++) {
      if (!mask[r * cols + c]) continue;
      kept[k++] = w[r * cols + c];
      inRow++;
      bits[r * rowBytes + (c >> 3)] |= 1 << (c & 7);
    }
    if (inRow !== cols / 2) throw new TwinforgeError('INTERNAL', `${prefix}: row ${r} keeps ${inRow} of ${cols} weights; a 2:4 mask keeps half.`);
  }
  return [
    { name: `${prefix}.compressed`, dtype, dims: [rows, cols / 2], bytes: encodeFromNumbers(dtype, kept) },
    { name: `${prefix}.bitmask`, dtype: 'uint8', dims: [rows, rowBytes], bytes: bits },
    { name: `${prefix}.shape`, dtype: 'int64', dims: [2, 1], bytes: int64Shape([rows, cols]) },
  ];
}

/** Dense weights back from pack-quantized tensors (the reader side; used by tests and infer). */
export function unpackQuantized(packed: Int32Array, scales: Float32Array, rows: number, cols: number): Float32Array {
  const groups = scales.length / rows;
  const gsize = cols / groups;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const word = packed[r * (cols / 8) + (c >> 3)];
      const q = ((word >>> (4 * (c & 7))) & 15) - 8;
      out[r * cols + c] = q * scales[r * groups + Math.floor(c / gsize)];
    }
  }
  return out;
}

/** Dense weights back from int-quantized tensors. */
export function unpackInt8(codes: Int8Array, scales: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = codes[r * cols + c] * scales[r];
  return out;
}

/** Dense weights back from sparse-24-bitmask tensors. */
export function unpackBitmask(kept: Float32Array, bits: Uint8Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const rowBytes = Math.ceil(cols / 8);
  let k = 0;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (bits[r * rowBytes + (c >> 3)] & (1 << (c & 7))) out[r * cols + c] = kept[k++];
  if (k !== kept.length) throw new TwinforgeError('CORRUPT_MODEL', `sparse-24-bitmask: ${kept.length} stored values but the bitmask sets ${k}.`, 'The checkpoint is damaged.');
  return out;
}

export interface CtSchemeInput {
  quant?: { bits: 4 | 8; groupSize: number };
  sparsity?: { structure: '2:4' | 'unstructured' | string; global: number };
}

/** The quantization_config block for config.json. */
export function quantizationConfig(s: CtSchemeInput): { config: Record<string, unknown>; quantFormat: CtFormat; sparseFormat: CtFormat } {
  const sparseFormat: CtFormat = s.sparsity?.structure === '2:4' && !s.quant ? 'sparse-24-bitmask' : 'dense';
  const quantFormat: CtFormat = !s.quant ? sparseFormat : s.quant.bits === 4 ? 'pack-quantized' : 'int-quantized';
  const config: Record<string, unknown> = { quant_method: CT_QUANT_METHOD, format: quantFormat, quantization_status: 'compressed', ignore: ['lm_head'], kv_cache_scheme: null };
  if (s.quant) {
    const int4 = s.quant.bits === 4;
    const weights = {
      num_bits: s.quant.bits,
      type: 'int',
      symmetric: true,
      strategy: s.quant.groupSize > 0 ? 'group' : 'channel',
      group_size: s.quant.groupSize > 0 ? s.quant.groupSize : null,
      dynamic: false,
      actorder: null,
      block_structure: null,
      observer: 'minmax',
      observer_kwargs: {},
    };
    // W8A8: int8 activations quantized per token at run time by the runtime (not stored).
    const inputs = int4 ? null : { num_bits: 8, type: 'int', symmetric: true, strategy: 'token', dynamic: true, group_size: null, block_structure: null, actorder: null, observer: null, observer_kwargs: {} };
    config.config_groups = { group_0: { targets: ['Linear'], weights, input_activations: inputs, output_activations: null } };
  } else config.config_groups = {};
  if (s.sparsity) {
    config.sparsity_config = {
      format: sparseFormat,
      sparsity_structure: s.sparsity.structure,
      global_sparsity: s.sparsity.global,
      targets: ['Linear'],
      ignore: ['lm_head'],
      registry_requires_subclass: false,
    };
  }
  return { config, quantFormat, sparseFormat };
}
