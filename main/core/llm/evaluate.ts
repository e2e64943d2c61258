// Evaluation of an LLM twin against its parent on held-out tokens: perplexity of each
// (exp of the mean next-token negative log-likelihood), the mean KL divergence
// KL(parent ‖ twin) of the next-token distributions and how often their top-1 tokens agree.
// Both models run block by block over the whole set (one block's weights in memory at once).
import type { HfFolder } from '../model/hf/folder';
import { ropeInvFreq } from '../model/hf/config';
import { blockForward, embedTokens, headForward, loadHeadWeights, positionsFor } from './forward';
import type { TokenBatch } from './tokens';

export interface LlmEvaluation {
  tokens: number;
  parentPerplexity: number;
  twinPerplexity: number;
  /** Mean KL(parent ‖ twin) in nats per predicted token. */
  kl: number;
  top1Agreement: number;
}

const CHUNK = 8;

/** Final hidden states of every chunk of sequences (block-major: all chunks through block 0, then 1, ...). */
function finalHidden(folder: HfFolder, data: TokenBatch, embed: Float32Array): { x: Float32Array; batch: number }[] {
  const cfg = folder.config;
  const invFreq = ropeInvFreq(cfg);
  const chunks: { x: Float32Array; batch: number }[] = [];
  for (let b = 0; b < data.batch; b += CHUNK) {
    const nb = Math.min(CHUNK, data.batch - b);
    chunks.push({ x: embedTokens(embed, data.ids.subarray(b * data.seq, (b + nb) * data.seq), cfg), batch: nb });
  }
  for (let l = 0; l < cfg.numLayers; l++) {
    const w = folder.block(l);
    for (const c of chunks) {
      const shape = { batch: c.batch, seq: data.seq };
      blockForward(cfg, w, c.x, shape, undefined, { invFreq, positions: positionsFor(shape) });
    }
  }
  return chunks;
}

function logSoftmaxRow(z: Float32Array, off: number, n: number, out: Float64Array): void {
  let mx = -Infinity;
  for (let j = 0; j < n; j++) mx = Math.max(mx, z[off + j]);
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(z[off + j] - mx);
  const lse = mx + Math.log(s);
  for (let j = 0; j < n; j++) out[j] = z[off + j] - lse;
}

/** Mean next-token NLL -> perplexity of one model (no twin). */
export function perplexity(folder: HfFolder, data: TokenBatch): number {
  const cfg = folder.config;
  const head = loadHeadWeights(folder);
  const chunks = finalHidden(folder, data, head.embed);
  const V = cfg.vocabSize;
  const lp = new Float64Array(V);
  let nll = 0;
  let n = 0;
  let first = 0;
  for (const c of chunks) {
    const logits = headForward(cfg, head.norm, head.head, c.x, c.batch * data.seq);
    for (let s = 0; s < c.batch; s++) {
      for (let t = 0; t + 1 < data.seq; t++) {
        const row = s * data.seq + t;
        logSoftmaxRow(logits, row * V, V, lp);
        nll -= lp[data.ids[(first + s) * data.seq + t + 1]];
        n++;
      }
    }
    first += c.batch;
  }
  return Math.exp(nll / n);
}

/** Perplexity of parent and twin, KL and top-1 agreement on `data`. */
export function evaluateTwin(parent: HfFolder, twin: HfFolder, data: TokenBatch): LlmEvaluation {
  const cfg = parent.config;
  const hp = loadHeadWeights(parent);
  const ht = loadHeadWeights(twin);
  const cp = finalHidden(parent, data, hp.embed);
  const ctw = finalHidden(twin, data, ht.embed);
  const V = cfg.vocabSize;
  const a = new Float64Array(V);
  const b = new Float64Array(V);
  let nllP = 0;
  let nllT = 0;
  let kl = 0;
  let agree = 0;
  let n = 0;
  let first = 0;
  cp.forEach((c, i) => {
    const rows = c.batch * data.seq;
    const lpP = headForward(cfg, hp.norm, hp.head, c.x, rows);
    const lpT = headForward(cfg, ht.norm, ht.head, ctw[i].x, rows);
    for (let s = 0; s < c.batch; s++) {
      for (let t = 0; t + 1 < data.seq; t++) {
        const row = s * data.seq + t;
        logSoftmaxRow(lpP, row * V, V, a);
        logSoftmaxRow(lpT, row * V, V, b);
        const next = data.ids[(first + s) * data.seq + t + 1];
        nllP -= a[next];
        nllT -= b[next];
        let argA = 0;
        let argB = 0;
        for (let j = 0; j < V; j++) {
          kl += Math.exp(a[j]) * (a[j] - b[j]);
          if (a[j] > a[argA]) argA = j;
          if (b[j] > b[argB]) argB = j;
        }
        if (argA === argB) agree++;
        n++;
      }
    }
    first += c.batch;
  });
  return { tokens: n, parentPerplexity: Math.exp(nllP / n), twinPerplexity: Math.exp(nllT / n), kl: kl / n, top1Agreement: agree / n };
}
