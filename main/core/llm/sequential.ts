// Sequential (layer-by-layer) compression of a decoder, the way the SparseGPT and GPTQ papers
// run it: the calibration tokens' hidden states flow through the model one block at a time;
// each block's linears get their Hessians / input norms from the inputs the *already
// compressed* earlier blocks produce, are pruned and/or quantized with the shared solvers, and
// the compressed block then produces the next block's inputs. `sequential: false` is the
// one-shot variant (every block sees the dense model's activations), kept for comparison.
// Memory: one block's weights, its statistics and the calibration set's hidden states (twice).
import { TwinforgeError, badInput } from '../errors';
import type { LlmConfig } from '../model/hf/config';
import { ropeInvFreq } from '../model/hf/config';
import { type BlockWeights, type HfFolder, LINEARS, type LinearName, linearShape } from '../model/hf/folder';
import { maskForPattern } from '../methods/sparsity';
import { wandaScores } from '../methods/kernels';
import { absScores } from '../methods/pruning/magnitude';
import { featureNormsAccumulate, gptq, hessianAccumulate, sparsegpt, type GptqResult, type SolverDevice } from '../native/solvers';
import { cudaInfo } from '../native/cuda';
import { CAPTURE_POINTS, type CapturePoint, blockForward, embedTokens, positionsFor } from './forward';
import type { TokenBatch } from './tokens';
import { dsnotRefine } from './dsnot';

export type LlmPruneMethod = 'sparsegpt' | 'wanda' | 'magnitude';

export interface LlmCompressOptions {
  prune?: { method: LlmPruneMethod; sparsity: number; n?: number; m?: number; dsnot?: boolean };
  /** GPTQ weight quantization, symmetric; groupSize 0 = one scale per output channel. */
  quant?: { bits: 4 | 8; groupSize: number };
  /** Default true; false = one-shot statistics from the dense model. */
  sequential?: boolean;
  /** Sequences per forward chunk (bounds the activations of one block; default 8). */
  chunk?: number;
  percdamp?: number;
  /** Where the Hessians and solvers run (default: 'cuda' when a CUDA device is present). */
  device?: SolverDevice;
  signal?: AbortSignal;
  onProgress?: (p: { stage: string; done: number; total: number; detail?: string }) => void;
}

export interface LinearReport {
  name: LinearName;
  rows: number;
  cols: number;
  /** Fraction of weights that are zero after compression. */
  sparsity: number;
  /** SparseGPT / GPTQ OBS loss estimates. */
  pruneLoss?: number;
  quantLoss?: number;
  dsnotSwaps?: number;
}

export interface LayerReport {
  layer: number;
  /** ‖block_c(x) − block(x)‖² / ‖block(x)‖² on the calibration inputs of this block. */
  relError: number;
  linears: LinearReport[];
}

export interface Timings {
  forwardMs: number;
  statsMs: number;
  solveMs: number;
  ioMs: number;
}

/** What the writer receives per block: the compressed weights plus the GPTQ codes, if any. */
export interface CompressedBlock {
  layer: number;
  weights: BlockWeights;
  masks: Partial<Record<LinearName, Uint8Array>>;
  quant: Partial<Record<LinearName, GptqResult>>;
}

interface PointStats {
  h?: Float32Array;
  sq?: Float32Array;
  n: number;
}

function now(): number {
  return performance.now();
}

function checkOptions(cfg: LlmConfig, o: LlmCompressOptions): void {
  if (!o.prune && !o.quant) throw badInput('nothing to do: give a pruning method and/or a quantization.');
  const p = o.prune;
  if (p) {
    if (p.n !== undefined && p.m !== undefined) {
      for (const lin of LINEARS) {
        const cols = linearShape(cfg, lin)[1];
        if (cols % p.m !== 0) throw badInput(`${lin} has ${cols} inputs, not a multiple of ${p.m} for ${p.n}:${p.m}.`);
      }
      if (p.dsnot) throw badInput('DSnoT refines unstructured masks; it is not defined for N:M patterns.', 'Drop --dsnot or use an unstructured --sparsity.');
    } else if (!(p.sparsity >= 0 && p.sparsity < 1)) throw badInput(`sparsity must be in [0, 1), got ${p.sparsity}.`);
  }
  if (o.quant) {
    const g = o.quant.groupSize;
    for (const lin of LINEARS) {
      const cols = linearShape(cfg, lin)[1];
      if (g > 0 && cols % g !== 0) throw badInput(`${lin} has ${cols} inputs, not a multiple of the quantization group size ${g}.`, 'Choose a group size that divides hidden_size and intermediate_size (e.g. 32, 64, 128).');
      if (o.quant.bits === 4 && cols % 8 !== 0) throw badInput(`${lin} has ${cols} inputs; packed int4 needs a multiple of 8.`);
    }
  }
}

/**
 * Compresses every block of `folder` with calibration tokens `calib`, handing each compressed
 * block to `sink` (which writes it) before the next is read. Returns per-layer reports and timings.
 */
export function compressSequential(folder: HfFolder, calib: TokenBatch, opts: LlmCompressOptions, sink: (b: CompressedBlock) => void): { layers: LayerReport[]; timings: Timings } {
  const cfg = folder.config;
  checkOptions(cfg, opts);
  opts = { ...opts, device: opts.device ?? defaultDevice() };
  const sequential = opts.sequential !== false;
  const chunk = Math.max(1, opts.chunk ?? 8);
  const timings: Timings = { forwardMs: 0, statsMs: 0, solveMs: 0, ioMs: 0 };
  const needH = !!opts.quant || opts.prune?.method === 'sparsegpt' || !!opts.prune?.dsnot;
  const needNorms = opts.prune?.method === 'wanda';
  const invFreq = ropeInvFreq(cfg);
  // Hidden states of the calibration set, one array per chunk of sequences.
  let t0 = now();
  const embed = folder.tensor('model.embed_tokens.weight');
  timings.ioMs += now() - t0;
  t0 = now();
  let hidden: { x: Float32Array; batch: number }[] = [];
  for (let b = 0; b < calib.batch; b += chunk) {
    const nb = Math.min(chunk, calib.batch - b);
    hidden.push({ x: embedTokens(embed, calib.ids.subarray(b * calib.seq, (b + nb) * calib.seq), cfg), batch: nb });
  }
  timings.forwardMs += now() - t0;
  const layers: LayerReport[] = [];
  const totalTokens = calib.batch * calib.seq;
  for (let l = 0; l < cfg.numLayers; l++) {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'compression cancelled');
    opts.onProgress?.({ stage: 'layers', done: l, total: cfg.numLayers, detail: `block ${l}: statistics` });
    t0 = now();
    const w = folder.block(l);
    const dense: Record<LinearName, Float32Array> = { ...w.linears };
    const work: BlockWeights = { ...w, linears: { ...w.linears } };
    for (const lin of LINEARS) work.linears[lin] = w.linears[lin].slice();
    timings.ioMs += now() - t0;
    // Pass 1: the dense block on this block's inputs; its statistics and its outputs.
    const stats = new Map<CapturePoint, PointStats>();
    const denseOut: Float32Array[] = [];
    for (const c of hidden) {
      const shape = { batch: c.batch, seq: calib.seq };
      const cache = { invFreq, positions: positionsFor(shape) };
      const x = c.x.slice();
      let statsMs = 0;
      const tf = now();
      blockForward(cfg, w, x, shape, (point, a, rows, cols) => {
        const ts = now();
        let s = stats.get(point);
        if (!s) {
          s = { n: 0 };
          if (needH) s.h = new Float32Array(cols * cols);
          if (needNorms) s.sq = new Float32Array(cols);
          stats.set(point, s);
        }
        if (s.h) hessianAccumulate(s.h, a, { nSamples: rows, dim: cols, alpha: 2 / totalTokens, device: opts.device });
        if (s.sq) featureNormsAccumulate(s.sq, a, { nSamples: rows, dim: cols });
        s.n += rows;
        statsMs += now() - ts;
      }, cache);
      timings.statsMs += statsMs;
      timings.forwardMs += now() - tf - statsMs;
      denseOut.push(x);
    }
    // Solve every linear of the block.
    opts.onProgress?.({ stage: 'layers', done: l, total: cfg.numLayers, detail: `block ${l}: solving` });
    const ts = now();
    const block: CompressedBlock = { layer: l, weights: work, masks: {}, quant: {} };
    const reports: LinearReport[] = [];
    for (const { point, linears } of CAPTURE_POINTS) {
      const s = stats.get(point);
      if (!s) throw new TwinforgeError('INTERNAL', `no activations reached ${point} of block ${l}`);
      for (const lin of linears) reports.push(compressLinear(cfg, lin, work, dense[lin], s, opts, block));
    }
    timings.solveMs += now() - ts;
    // Pass 2: the compressed block on the same inputs: its error, and the next inputs.
    const tf2 = now();
    let num = 0;
    let den = 0;
    const next: { x: Float32Array; batch: number }[] = [];
    hidden.forEach((c, i) => {
      const shape = { batch: c.batch, seq: calib.seq };
      const y = blockForward(cfg, work, c.x, shape, undefined, { invFreq, positions: positionsFor(shape) });
      const d = denseOut[i];
      for (let k = 0; k < y.length; k++) {
        const diff = y[k] - d[k];
        num += diff * diff;
        den += d[k] * d[k];
      }
      next.push({ x: sequential ? y : d, batch: c.batch });
    });
    hidden = next;
    timings.forwardMs += now() - tf2;
    layers.push({ layer: l, relError: den > 0 ? num / den : 0, linears: reports });
    const tw = now();
    sink(block);
    timings.ioMs += now() - tw;
  }
  opts.onProgress?.({ stage: 'layers', done: cfg.numLayers, total: cfg.numLayers });
  return { layers, timings };
}

/** 'cuda' when the addon sees a CUDA device (the solvers' CUDA variants), else 'cpu'. */
export function defaultDevice(): SolverDevice {
  try {
    return cudaInfo().devices > 0 ? 'cuda' : 'cpu';
  } catch {
    return 'cpu';
  }
}

function compressLinear(cfg: LlmConfig, lin: LinearName, work: BlockWeights, dense: Float32Array, s: PointStats, opts: LlmCompressOptions, out: CompressedBlock): LinearReport {
  const [rows, cols] = linearShape(cfg, lin);
  const w = work.linears[lin];
  const rep: LinearReport = { name: lin, rows, cols, sparsity: 0 };
  const p = opts.prune;
  let mask: Uint8Array | undefined;
  if (p) {
    const nm = p.n !== undefined && p.m !== undefined ? { n: p.n, m: p.m } : undefined;
    const pattern = nm ? ({ kind: 'nm', n: nm.n, m: nm.m } as const) : ({ kind: 'unstructured' } as const);
    if (p.method === 'sparsegpt') {
      const r = sparsegpt(w, s.h!, { rows, cols, ...(nm ?? { sparsity: p.sparsity }), percdamp: opts.percdamp, device: opts.device });
      mask = r.mask;
      rep.pruneLoss = r.loss;
    } else {
      const scores = p.method === 'wanda' ? wandaScores(w, s.sq!, rows, cols) : absScores(w);
      mask = maskForPattern(scores, rows, cols, pattern, p.sparsity, { scope: 'row' });
      for (let i = 0; i < w.length; i++) if (!mask[i]) w[i] = 0;
    }
    if (p.dsnot) rep.dsnotSwaps = dsnotRefine(dense, w, mask, s.h!, { rows, cols });
    out.masks[lin] = mask;
  }
  if (opts.quant) {
    const q = gptq(w, s.h!, { rows, cols, bits: opts.quant.bits, groupSize: opts.quant.groupSize, symmetric: true, ...(mask ? { mask } : {}), percdamp: opts.percdamp, device: opts.device });
    rep.quantLoss = q.loss;
    out.quant[lin] = q;
  }
  let zeros = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) zeros++;
  rep.sparsity = zeros / w.length;
  return rep;
}
