// Recovery without training: after channels are removed, re-fit each layer that read them by
// least squares on calibration activations of the parent, so the kept inputs reproduce the
// parent's output (pre-activation) as well as a linear map can: min ‖[X_kept 1]·β − Y‖² + λ‖β‖².
// The intercept absorbs the mean the removed channels carried. Conv layers are fitted on
// im2col patches (sampled positions).

export interface FitProblem {
  /** Rows × features (row-major) and rows × outputs. */
  x: Float32Array;
  y: Float32Array;
  rows: number;
  features: number;
  outputs: number;
  intercept: boolean;
}

/** Solves the ridge problem; returns β as [features(+1), outputs] row-major. */
export function solveRidge(p: FitProblem, lambdaRel = 1e-3): Float64Array {
  const d = p.features + (p.intercept ? 1 : 0);
  const G = new Float64Array(d * d);
  const B = new Float64Array(d * p.outputs);
  const row = new Float64Array(d);
  for (let r = 0; r < p.rows; r++) {
    for (let j = 0; j < p.features; j++) row[j] = p.x[r * p.features + j];
    if (p.intercept) row[p.features] = 1;
    for (let i = 0; i < d; i++) {
      const ri = row[i];
      if (ri === 0) continue;
      const gi = i * d;
      for (let j = i; j < d; j++) G[gi + j] += ri * row[j];
      const bi = i * p.outputs;
      for (let o = 0; o < p.outputs; o++) B[bi + o] += ri * p.y[r * p.outputs + o];
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) G[i * d + j] = G[j * d + i];
  let tr = 0;
  for (let i = 0; i < p.features; i++) tr += G[i * d + i];
  const lambda = (lambdaRel * tr) / Math.max(1, p.features) + 1e-12;
  for (let i = 0; i < p.features; i++) G[i * d + i] += lambda;
  if (p.intercept) G[d * d - 1] += 1e-9;
  // Cholesky G = LLᵀ in place (lower triangle).
  for (let j = 0; j < d; j++) {
    let s = G[j * d + j];
    for (let k = 0; k < j; k++) s -= G[j * d + k] ** 2;
    const ljj = Math.sqrt(Math.max(s, 1e-12));
    G[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = G[i * d + j];
      for (let k = 0; k < j; k++) t -= G[i * d + k] * G[j * d + k];
      G[i * d + j] = t / ljj;
    }
  }
  // Forward then backward substitution for every output column.
  for (let o = 0; o < p.outputs; o++) {
    for (let i = 0; i < d; i++) {
      let t = B[i * p.outputs + o];
      for (let k = 0; k < i; k++) t -= G[i * d + k] * B[k * p.outputs + o];
      B[i * p.outputs + o] = t / G[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let t = B[i * p.outputs + o];
      for (let k = i + 1; k < d; k++) t -= G[k * d + i] * B[k * p.outputs + o];
      B[i * p.outputs + o] = t / G[i * d + i];
    }
  }
  return B;
}

/** Relative residual ‖Xβ − Y‖ / ‖Y‖ of a solution (β rows = features (+1 intercept)). */
export function residual(p: FitProblem, beta: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let r = 0; r < p.rows; r++) for (let o = 0; o < p.outputs; o++) {
    let v = p.intercept ? beta[p.features * p.outputs + o] : 0;
    for (let j = 0; j < p.features; j++) v += p.x[r * p.features + j] * beta[j * p.outputs + o];
    const t = p.y[r * p.outputs + o];
    num += (v - t) ** 2;
    den += t * t;
  }
  return Math.sqrt(num / (den || 1));
}

export interface ConvGeom {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

/**
 * Rows of a fit problem for a 2-D Conv (group 1): im2col of the kept input channels at sampled
 * output positions, features ordered [channel, kh, kw] as the weight stores them.
 */
export function convRows(x: Float32Array, xDims: readonly number[], y: Float32Array, yDims: readonly number[], g: ConvGeom, keepIn: number[], keepOut: number[], maxRows: number, pick: () => number): { x: Float32Array; y: Float32Array; rows: number } {
  const [N, C, H, W] = xDims;
  const [, O, OH, OW] = yDims;
  const [KH, KW] = g.kernel;
  const total = N * OH * OW;
  const rows = Math.min(maxRows, total);
  const f = keepIn.length * KH * KW;
  const X = new Float32Array(rows * f);
  const Y = new Float32Array(rows * keepOut.length);
  for (let r = 0; r < rows; r++) {
    const idx = rows === total ? r : Math.floor(pick() * total);
    const n = Math.floor(idx / (OH * OW));
    const oh = Math.floor(idx / OW) % OH;
    const ow = idx % OW;
    let j = 0;
    for (const c of keepIn) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * g.strides[0] - g.pads[0] + kh * g.dilations[0];
      const iw = ow * g.strides[1] - g.pads[1] + kw * g.dilations[1];
      X[r * f + j++] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[((n * C + c) * H + ih) * W + iw] : 0;
    }
    keepOut.forEach((o, k) => (Y[r * keepOut.length + k] = y[((n * O + o) * OH + oh) * OW + ow]));
  }
  return { x: X, y: Y, rows };
}

/** Rows of a fit problem for a Gemm / MatMul: the last axis holds the features. */
export function denseRows(x: Float32Array, inFeatures: number, y: Float32Array, outFeatures: number, keepIn: number[], keepOut: number[], maxRows: number, pick: () => number): { x: Float32Array; y: Float32Array; rows: number } {
  const total = x.length / inFeatures;
  const rows = Math.min(maxRows, total);
  const X = new Float32Array(rows * keepIn.length);
  const Y = new Float32Array(rows * keepOut.length);
  for (let r = 0; r < rows; r++) {
    const i = rows === total ? r : Math.floor(pick() * total);
    keepIn.forEach((c, k) => (X[r * keepIn.length + k] = x[i * inFeatures + c]));
    keepOut.forEach((o, k) => (Y[r * keepOut.length + k] = y[i * outFeatures + o]));
  }
  return { x: X, y: Y, rows };
}
