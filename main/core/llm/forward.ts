// The decoder forward on the native pieces, one block at a time: embedding gather, then per
// block RMSNorm -> q/k/v (+bias) -> RoPE -> causal GQA attention -> o_proj -> residual ->
// RMSNorm -> SiLU(gate)·up -> down_proj -> residual, then the final norm and the lm head.
// Sequential calibration hooks into the same block forward (`capture`) to see each linear's
// input, so the statistics come from exactly the computation inference runs.
import type { LlmConfig } from '../model/hf/config';
import { ropeInvFreq, checkTokenIds } from '../model/hf/config';
import type { BlockWeights, HfFolder, LinearName } from '../model/hf/folder';
import { linear, rmsNorm, rope, siluMul } from '../native/transformer';
import { causalAttention } from './attention';

/** Which linears read one captured activation: q/k/v share theirs, gate/up theirs. */
export const CAPTURE_POINTS: { point: 'attn_in' | 'o_in' | 'mlp_in' | 'down_in'; linears: LinearName[] }[] = [
  { point: 'attn_in', linears: ['q_proj', 'k_proj', 'v_proj'] },
  { point: 'o_in', linears: ['o_proj'] },
  { point: 'mlp_in', linears: ['gate_proj', 'up_proj'] },
  { point: 'down_in', linears: ['down_proj'] },
];
export type CapturePoint = (typeof CAPTURE_POINTS)[number]['point'];

/** Sees a linear's input activations [rows, cols] (the buffer is reused after the call returns). */
export type Capture = (point: CapturePoint, x: Float32Array, rows: number, cols: number) => void;

export interface BatchShape {
  batch: number;
  seq: number;
}

/** Token positions 0..seq-1 for every sequence of the batch. */
export function positionsFor(s: BatchShape): Int32Array {
  const p = new Int32Array(s.batch * s.seq);
  for (let i = 0; i < p.length; i++) p[i] = i % s.seq;
  return p;
}

/** hidden [batch*seq, hidden] of the token ids, from the embedding table [vocab, hidden]. */
export function embedTokens(table: Float32Array, ids: ArrayLike<number>, cfg: LlmConfig): Float32Array {
  checkTokenIds(ids, cfg.vocabSize);
  const h = cfg.hiddenSize;
  const out = new Float32Array(ids.length * h);
  for (let i = 0; i < ids.length; i++) out.set(table.subarray(ids[i] * h, ids[i] * h + h), i * h);
  return out;
}

/** One decoder block applied to hidden [batch*seq, hiddenSize]; returns the new hidden (in place). */
export function blockForward(cfg: LlmConfig, w: BlockWeights, hidden: Float32Array, s: BatchShape, capture?: Capture, cache?: { invFreq: Float32Array; positions: Int32Array }): Float32Array {
  const rows = s.batch * s.seq;
  const h = cfg.hiddenSize;
  const qd = cfg.numHeads * cfg.headDim;
  const kvd = cfg.numKvHeads * cfg.headDim;
  const invFreq = cache?.invFreq ?? ropeInvFreq(cfg);
  const positions = cache?.positions ?? positionsFor(s);
  const x = rmsNorm(hidden, rows, h, w.inputNorm, cfg.rmsNormEps);
  capture?.('attn_in', x, rows, h);
  const q = linear(x, rows, h, w.linears.q_proj, qd, w.bias?.q);
  const k = linear(x, rows, h, w.linears.k_proj, kvd, w.bias?.k);
  const v = linear(x, rows, h, w.linears.v_proj, kvd, w.bias?.v);
  rope(q, rows, cfg.numHeads, cfg.headDim, positions, invFreq);
  rope(k, rows, cfg.numKvHeads, cfg.headDim, positions, invFreq);
  const a = causalAttention(q, k, v, { batch: s.batch, seq: s.seq, heads: cfg.numHeads, kvHeads: cfg.numKvHeads, headDim: cfg.headDim, window: cfg.slidingWindow });
  capture?.('o_in', a, rows, qd);
  const o = linear(a, rows, qd, w.linears.o_proj, h);
  for (let i = 0; i < hidden.length; i++) hidden[i] += o[i];
  const x2 = rmsNorm(hidden, rows, h, w.postNorm, cfg.rmsNormEps, x);
  capture?.('mlp_in', x2, rows, h);
  const gate = linear(x2, rows, h, w.linears.gate_proj, cfg.intermediateSize);
  const up = linear(x2, rows, h, w.linears.up_proj, cfg.intermediateSize);
  siluMul(gate, up);
  capture?.('down_in', gate, rows, cfg.intermediateSize);
  const d = linear(gate, rows, cfg.intermediateSize, w.linears.down_proj, h);
  for (let i = 0; i < hidden.length; i++) hidden[i] += d[i];
  return hidden;
}

/** The final norm and lm head: logits [rows, vocab]. */
export function headForward(cfg: LlmConfig, norm: Float32Array, head: Float32Array, hidden: Float32Array, rows: number): Float32Array {
  const x = rmsNorm(hidden, rows, cfg.hiddenSize, norm, cfg.rmsNormEps);
  return linear(x, rows, cfg.hiddenSize, head, cfg.vocabSize);
}

/** Weights a forward needs besides the blocks, loaded once. */
export interface HeadWeights {
  embed: Float32Array;
  norm: Float32Array;
  head: Float32Array;
}

export function loadHeadWeights(folder: HfFolder): HeadWeights {
  const embed = folder.tensor('model.embed_tokens.weight');
  const headName = folder.lmHeadName();
  return { embed, norm: folder.tensor('model.norm.weight'), head: headName === 'model.embed_tokens.weight' ? embed : folder.tensor(headName) };
}

/** Hidden states after the last block for ids [batch, seq], reading one block's weights at a time. */
export function hiddenStates(folder: HfFolder, ids: ArrayLike<number>, s: BatchShape, head: HeadWeights = loadHeadWeights(folder), blocks?: (layer: number) => BlockWeights): Float32Array {
  const cfg = folder.config;
  const hidden = embedTokens(head.embed, ids, cfg);
  const cache = { invFreq: ropeInvFreq(cfg), positions: positionsFor(s) };
  for (let l = 0; l < cfg.numLayers; l++) blockForward(cfg, blocks ? blocks(l) : folder.block(l), hidden, s, undefined, cache);
  return hidden;
}

/** Logits [batch, seq, vocab] of a model folder for token ids [batch, seq]. */
export function forwardLogits(folder: HfFolder, ids: ArrayLike<number>, s: BatchShape): Float32Array {
  const head = loadHeadWeights(folder);
  const hidden = hiddenStates(folder, ids, s, head);
  return headForward(folder.config, head.norm, head.head, hidden, s.batch * s.seq);
}
