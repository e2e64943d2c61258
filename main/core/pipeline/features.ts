// From a captured activation tensor to the feature matrix X [samples, cols] a layer multiplies
// its canonical weight rows with (same column order as layers.ts): rows of a Gemm/MatMul input,
// transposed inputs, and im2col patches of convolutions (kernel position outer, channel inner).
import type { LayerTarget } from '../methods/layers';

export interface FeatureSource {
  /** Number of feature rows this activation yields. */
  rows: number;
  cols: number;
  /** Writes rows [first, first + count) into out (count * cols floats). */
  fill(first: number, count: number, out: Float32Array): void;
}

/** Why a layer's features cannot be derived (undefined when they can). */
export function featureUnfit(layer: LayerTarget): string | undefined {
  const op = layer.op;
  if (!layer.activation) return 'no activation input';
  if (op === 'Conv') {
    if (layer.group !== 1) return `grouped convolution (group ${layer.group})`;
    const k = layer.weight.dims.length - 2;
    if (k < 1 || k > 2) return `${k}-D convolution`;
    return undefined;
  }
  if (op === 'Gemm' || op === 'MatMul') return undefined;
  return `${op} layers`;
}

function attrInts(layer: LayerTarget, name: string, def: number[]): number[] {
  const v = layer.node.attributes[name];
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : def;
}

/** Feature rows of one batch's activation for a layer; undefined when the shapes do not fit. */
export function features(layer: LayerTarget, act: Float32Array, dims: readonly number[]): FeatureSource | undefined {
  const cols = layer.cols;
  if (layer.op === 'Gemm') {
    const transA = layer.node.attributes.transA === 1;
    if (layer.weight.role === 'gemm_b') {
      if (dims.length !== 2) return undefined;
      return transA ? transposed(act, dims[1], dims[0], cols) : plain(act, cols);
    }
    return undefined;
  }
  if (layer.op === 'MatMul') {
    if (layer.weight.role === 'matmul_b') {
      if (dims[dims.length - 1] !== cols) return undefined;
      return plain(act, cols);
    }
    // W·x with x [..., K, N]: each column of x is a sample.
    if (dims.length < 2 || dims[dims.length - 2] !== cols) return undefined;
    const n = dims[dims.length - 1];
    const batches = act.length / (cols * n);
    return {
      rows: batches * n,
      cols,
      fill(first, count, out) {
        for (let r = 0; r < count; r++) {
          const s = first + r;
          const b = Math.floor(s / n);
          const j = s % n;
          const base = b * cols * n;
          for (let k = 0; k < cols; k++) out[r * cols + k] = act[base + k * n + j];
        }
      },
    };
  }
  if (layer.op === 'Conv') return im2col(layer, act, dims);
  return undefined;
}

function plain(act: Float32Array, cols: number): FeatureSource {
  return {
    rows: act.length / cols,
    cols,
    fill(first, count, out) {
      out.set(act.subarray(first * cols, (first + count) * cols));
    },
  };
}

function transposed(act: Float32Array, rows: number, k: number, cols: number): FeatureSource | undefined {
  // act is [K, M] (Gemm transA): sample m is column m.
  if (k !== cols) return undefined;
  return {
    rows,
    cols,
    fill(first, count, out) {
      for (let r = 0; r < count; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = act[c * rows + first + r];
    },
  };
}

function im2col(layer: LayerTarget, act: Float32Array, dims: readonly number[]): FeatureSource | undefined {
  const w = layer.weight.dims; // [O, C, kh, (kw)]
  const spatial = w.length - 2;
  if (dims.length !== spatial + 2) return undefined;
  const C = dims[1];
  if (w[1] !== C) return undefined;
  const B = dims[0];
  const H = dims[2];
  const W = spatial === 2 ? dims[3] : 1;
  const kh = w[2];
  const kw = spatial === 2 ? w[3] : 1;
  const strides = attrInts(layer, 'strides', spatial === 2 ? [1, 1] : [1]);
  const dil = attrInts(layer, 'dilations', spatial === 2 ? [1, 1] : [1]);
  let pads = attrInts(layer, 'pads', new Array(spatial * 2).fill(0));
  const autoPad = layer.node.attributes.auto_pad;
  const inSizes = spatial === 2 ? [H, W] : [H];
  const kSizes = spatial === 2 ? [kh, kw] : [kh];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const p: number[] = new Array(spatial * 2).fill(0);
    for (let d = 0; d < spatial; d++) {
      const out = Math.ceil(inSizes[d] / strides[d]);
      const total = Math.max(0, (out - 1) * strides[d] + (kSizes[d] - 1) * dil[d] + 1 - inSizes[d]);
      const small = Math.floor(total / 2);
      p[d] = autoPad === 'SAME_UPPER' ? small : total - small;
      p[d + spatial] = total - p[d];
    }
    pads = p;
  } else if (autoPad === 'VALID') pads = new Array(spatial * 2).fill(0);
  const sh = strides[0];
  const sw = spatial === 2 ? strides[1] : 1;
  const dh = dil[0];
  const dw = spatial === 2 ? dil[1] : 1;
  const pt = pads[0];
  const pl = spatial === 2 ? pads[1] : 0;
  const pb = spatial === 2 ? pads[2] : pads[1];
  const pr = spatial === 2 ? pads[3] : 0;
  const Ho = Math.floor((H + pt + pb - (dh * (kh - 1) + 1)) / sh) + 1;
  const Wo = Math.floor((W + pl + pr - (dw * (kw - 1) + 1)) / sw) + 1;
  if (Ho < 1 || Wo < 1) return undefined;
  const cols = kh * kw * C;
  if (cols !== layer.cols) return undefined;
  const plane = H * W;
  return {
    rows: B * Ho * Wo,
    cols,
    fill(first, count, out) {
      out.fill(0, 0, count * cols);
      for (let r = 0; r < count; r++) {
        const s = first + r;
        const b = Math.floor(s / (Ho * Wo));
        const rem = s % (Ho * Wo);
        const oy = Math.floor(rem / Wo);
        const ox = rem % Wo;
        const base = b * C * plane;
        let o = r * cols;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
              const off = base + iy * W + ix;
              for (let c = 0; c < C; c++) out[o + c] = act[off + c * plane];
            }
            o += C;
          }
        }
      }
    },
  };
}
