// One layer of a real model as a one-node ONNX model, dense or under an option (zeros in a
// pattern, channels removed, int8 / int4 / fp16 weights), plus a "floor" model with the same
// inputs and outputs that does no work: `hw validate` times layer = probe - floor, in ONNX Runtime.
import type { GraphNodeView } from './costs';
import { effectiveLevel, parsePattern, type LayerOption } from './options';
import { applyZeros, buildProbeModel, quantizeInt8PerColumn, type ProbeNode, type ProbeTensor } from './synth';
import { nBlocks, quantizeNBits } from '../model/onnx/nbits';

export interface LayerData {
  node: GraphNodeView;
  inputDims: number[];
  outputDims: number[];
  weight: Float32Array;
  weightDims: number[];
  bias?: Float32Array;
}

export type Probe = { ok: true; bytes: Uint8Array; shapes: Record<string, number[]>; outDims: number[] } | { ok: false; why: string };

function f32ToF16(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | (mant >>> 13);
}

/** [K, N] view of a MatMul/Gemm weight (transposing a transB Gemm weight). */
function asKN(d: LayerData): { w: Float32Array; k: number; n: number } {
  const [a, b] = d.weightDims;
  const transB = d.node.op === 'Gemm' && d.node.attrs.transB === 1;
  if (!transB) return { w: d.weight, k: a, n: b };
  const w = new Float32Array(a * b);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) w[j * a + i] = d.weight[i * b + j];
  return { w, k: b, n: a };
}

function zerosOf(o: LayerOption) {
  const p = parsePattern(o.pattern);
  if (p.family === 'nm') return { kind: 'nm' as const, level: effectiveLevel(o), n: p.n, m: p.m };
  if (p.family === 'block') return { kind: 'block' as const, level: o.level, bh: p.bh, bw: p.bw };
  return { kind: 'unstructured' as const, level: o.level };
}

/** Flattens a MatMul/Gemm input to 2-D [M, K] (what the layer multiplies). */
function rows(dims: number[]): number {
  return dims.slice(0, -1).reduce((a, b) => a * b, 1);
}

function matmulProbe(d: LayerData, o: LayerOption | undefined): Probe {
  if (d.weightDims.length !== 2) return { ok: false, why: `${d.node.op} weight of rank ${d.weightDims.length}` };
  const { w, k, n: n0 } = asKN(d);
  const m = rows(d.inputDims);
  if (d.inputDims[d.inputDims.length - 1] !== k) return { ok: false, why: 'weight is the left operand' };
  const fam = o ? parsePattern(o.pattern).family : 'dense';
  let n = n0;
  let wk = w;
  if (fam === 'channels') {
    n = Math.max(1, Math.round(n0 * (1 - o!.level)));
    wk = new Float32Array(k * n);
    for (let r = 0; r < k; r++) for (let c = 0; c < n; c++) wk[r * n + c] = w[r * n0 + c];
  } else if (fam !== 'dense') {
    wk = applyZeros(w, k, n, zerosOf(o!));
  }
  const bias = d.bias ? (fam === 'channels' ? d.bias.slice(0, n) : d.bias) : undefined;
  const inits: ProbeTensor[] = [];
  const nodes: ProbeNode[] = [];
  const prec = o?.precision ?? 'fp32';
  const mmOut = bias ? 'mm' : 'y';
  if (prec === 'int8') {
    // what the pipeline exports: activation Q/DQ (uint8), weight DQ (int8 per output channel), output Q/DQ
    const { q, scales } = quantizeInt8PerColumn(wk, k, n);
    inits.push({ name: 'Wq', dims: [k, n], dtype: 'int8', data: q }, { name: 'Ws', dims: [n], dtype: 'float32', data: scales }, { name: 'Wz', dims: [n], dtype: 'int8', data: new Int8Array(n) });
    qdqActivation(inits, nodes, 'x', 'xd');
    nodes.push({ op: 'DequantizeLinear', inputs: ['Wq', 'Ws', 'Wz'], outputs: ['W'], attrs: { axis: 1 } });
    nodes.push({ op: 'MatMul', inputs: ['xd', 'W'], outputs: [bias ? 'mm' : 'y0'] });
    if (!bias) qdqOutput(inits, nodes, 'y0', 'y');
  } else if (prec === 'int4') {
    if (k % 2) return { ok: false, why: 'odd K for int4 packing' };
    const block = k >= 128 ? 128 : k >= 64 ? 64 : 32;
    // The one JS int4 packer (model/onnx/nbits.ts), in MatMulNBits' layout.
    const { packed, scales } = quantizeNBits(wk, k, n, block);
    const blocks = nBlocks(k, block);
    inits.push({ name: 'Wq', dims: [n, blocks, block / 2], dtype: 'uint8', data: packed }, { name: 'Ws', dims: [n * blocks], dtype: 'float32', data: scales });
    nodes.push({ op: 'MatMulNBits', domain: 'com.microsoft', inputs: ['x', 'Wq', 'Ws'], outputs: [mmOut], attrs: { K: k, N: n, bits: 4, block_size: block, accuracy_level: 4 } });
  } else if (prec === 'fp16' || prec === 'bf16') {
    // stored in 16 bits behind a Cast, as exporters write it; ORT folds the Cast at load
    const h = new Uint16Array(k * n);
    for (let i = 0; i < h.length; i++) h[i] = prec === 'fp16' ? f32ToF16(wk[i]) : new Uint32Array(new Float32Array([wk[i]]).buffer)[0] >>> 16;
    inits.push({ name: 'Wh', dims: [k, n], dtype: prec === 'fp16' ? 'float16' : 'bfloat16', data: new Uint8Array(h.buffer) });
    nodes.push({ op: 'Cast', inputs: ['Wh'], outputs: ['W'], attrs: { to: 1 } });
    nodes.push({ op: 'MatMul', inputs: ['x', 'W'], outputs: [mmOut] });
  } else if (prec === 'fp32') {
    inits.push({ name: 'W', dims: [k, n], dtype: 'float32', data: wk });
    nodes.push({ op: 'MatMul', inputs: ['x', 'W'], outputs: [mmOut] });
  } else {
    return { ok: false, why: `no ${prec} kernel in ONNX Runtime's CPU provider` };
  }
  if (bias) {
    inits.push({ name: 'b', dims: [n], dtype: 'float32', data: bias });
    nodes.push({ op: 'Add', inputs: ['mm', 'b'], outputs: [prec === 'int8' ? 'y0' : 'y'] });
    if (prec === 'int8') qdqOutput(inits, nodes, 'y0', 'y');
  }
  return { ok: true, bytes: buildProbeModel({ inputs: [{ name: 'x', dims: [m, k] }], outputs: [{ name: 'y', dims: [m, n] }], initializers: inits, nodes }), shapes: { x: [m, k] }, outDims: [m, n] };
}

/** x -> QuantizeLinear (uint8) -> DequantizeLinear -> out: the activation side of a QDQ layer. */
function qdqActivation(inits: ProbeTensor[], nodes: ProbeNode[], x: string, out: string): void {
  inits.push({ name: 'sx', dims: [], dtype: 'float32', data: new Float32Array([0.02]) }, { name: 'zx', dims: [], dtype: 'uint8', data: new Uint8Array([128]) });
  nodes.push({ op: 'QuantizeLinear', inputs: [x, 'sx', 'zx'], outputs: [`${x}q`] });
  nodes.push({ op: 'DequantizeLinear', inputs: [`${x}q`, 'sx', 'zx'], outputs: [out] });
}

function qdqOutput(inits: ProbeTensor[], nodes: ProbeNode[], y: string, out: string): void {
  inits.push({ name: 'sy', dims: [], dtype: 'float32', data: new Float32Array([0.05]) }, { name: 'zy', dims: [], dtype: 'uint8', data: new Uint8Array([128]) });
  nodes.push({ op: 'QuantizeLinear', inputs: [y, 'sy', 'zy'], outputs: [`${y}q`] });
  nodes.push({ op: 'DequantizeLinear', inputs: [`${y}q`, 'sy', 'zy'], outputs: [out] });
}

function convProbe(d: LayerData, o: LayerOption | undefined): Probe {
  const prec = o?.precision ?? 'fp32';
  if (prec !== 'fp32' && prec !== 'fp16' && prec !== 'bf16' && prec !== 'int8') return { ok: false, why: `no ${prec} convolution in ONNX Runtime's CPU provider (int4 is weight-only for MatMul/Gemm)` };
  const fam = o ? parsePattern(o.pattern).family : 'dense';
  const group = typeof d.node.attrs.group === 'number' ? d.node.attrs.group : 1;
  let dims = [...d.weightDims];
  let w = d.weight;
  let bias = d.bias;
  const co = dims[0];
  const per = w.length / co;
  if (fam === 'channels') {
    if (group !== 1) return { ok: false, why: 'channel removal of a grouped convolution changes its groups' };
    const keep = Math.max(1, Math.round(co * (1 - o!.level)));
    w = w.slice(0, keep * per);
    bias = bias?.slice(0, keep);
    dims = [keep, ...dims.slice(1)];
  } else if (fam !== 'dense') {
    // zeros along each output channel's K = Ci*kh*kw: weight [Co, K] is [N, K], i.e. transposed [K, N]
    const t = new Float32Array(w.length);
    for (let c = 0; c < co; c++) for (let j = 0; j < per; j++) t[j * co + c] = w[c * per + j];
    const z = applyZeros(t, per, co, zerosOf(o!));
    w = new Float32Array(w.length);
    for (let c = 0; c < co; c++) for (let j = 0; j < per; j++) w[c * per + j] = z[j * co + c];
  }
  const attrs: Record<string, number | number[] | string> = {};
  for (const key of ['strides', 'pads', 'dilations', 'group', 'kernel_shape', 'auto_pad']) if (d.node.attrs[key] !== undefined) attrs[key] = d.node.attrs[key];
  const inits: ProbeTensor[] = [];
  const nodes: ProbeNode[] = [];
  let x = 'x';
  if (prec === 'int8') {
    const co2 = dims[0];
    const per2 = w.length / co2;
    const scales = new Float32Array(co2);
    const q = new Int8Array(w.length);
    for (let c = 0; c < co2; c++) {
      let mx = 0;
      for (let j = 0; j < per2; j++) mx = Math.max(mx, Math.abs(w[c * per2 + j]));
      scales[c] = mx > 0 ? mx / 127 : 1;
      for (let j = 0; j < per2; j++) q[c * per2 + j] = Math.round(w[c * per2 + j] / scales[c]);
    }
    inits.push({ name: 'Wq', dims, dtype: 'int8', data: q }, { name: 'Ws', dims: [co2], dtype: 'float32', data: scales }, { name: 'Wz', dims: [co2], dtype: 'int8', data: new Int8Array(co2) });
    nodes.push({ op: 'DequantizeLinear', inputs: ['Wq', 'Ws', 'Wz'], outputs: ['W'], attrs: { axis: 0 } });
    qdqActivation(inits, nodes, 'x', 'xd');
    x = 'xd';
  } else {
    inits.push({ name: 'W', dims, dtype: 'float32', data: w });
  }
  if (bias) inits.push({ name: 'b', dims: [bias.length], dtype: 'float32', data: bias });
  const outDims = [...d.outputDims];
  outDims[1] = dims[0];
  nodes.push({ op: 'Conv', inputs: bias ? [x, 'W', 'b'] : [x, 'W'], outputs: [prec === 'int8' ? 'y0' : 'y'], attrs });
  if (prec === 'int8') qdqOutput(inits, nodes, 'y0', 'y');
  return {
    ok: true,
    bytes: buildProbeModel({ inputs: [{ name: 'x', dims: d.inputDims }], outputs: [{ name: 'y', dims: outDims }], initializers: inits, nodes }),
    shapes: { x: d.inputDims },
    outDims,
  };
}

/** The layer as a one-node model, dense (option undefined) or under an option. */
export function layerProbe(d: LayerData, o?: LayerOption): Probe {
  if (d.node.op === 'MatMul' || d.node.op === 'Gemm') {
    if (d.node.op === 'Gemm' && (d.node.attrs.transA === 1 || (typeof d.node.attrs.alpha === 'number' && d.node.attrs.alpha !== 1))) return { ok: false, why: 'Gemm with transA/alpha' };
    return matmulProbe(d, o);
  }
  if (d.node.op === 'Conv') return convProbe(d, o);
  return { ok: false, why: `no probe for ${d.node.op}` };
}

/** A model with the probe's input and an output of `outputDims` that does no work (call + output cost only). */
export function floorProbe(inputDims: number[], outputDims: number[]): Uint8Array {
  const n = outputDims.reduce((a, b) => a * b, 1);
  // Identity of a constant: ORT hands back a tensor of the same size without computing anything
  return buildProbeModel({
    inputs: [{ name: 'x', dims: inputDims }],
    outputs: [{ name: 'y', dims: outputDims }],
    initializers: [{ name: 'C', dims: outputDims, dtype: 'float32', data: new Float32Array(n) }],
    nodes: [{ op: 'Identity', inputs: ['C'], outputs: ['y'] }],
  });
}
