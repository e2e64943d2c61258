// What a hardware profile predicts for a decoder: the latency model (hardware/latency.ts) on the
// layer shapes an LLM actually runs. Decoding one token at batch 1 makes every linear a GEMV
// (M = 1): each weight byte is read once per token, so time follows memory bandwidth. Prefill
// runs the prompt's tokens through the same linears as GEMMs (M = prompt length): the weights
// are read once for many rows, so time follows the compute rate. Attention adds products over
// the context (the KV cache) whose size grows with it.
import type { LlmConfig } from '../model/hf/config';
import type { LayerCost, ModelCost } from '../hardware/costs';
import { estimateModel, type ModelEstimate } from '../hardware/latency';
import type { Target } from '../hardware/profile';
import { LINEARS, linearShape } from '../model/hf/folder';

export interface PhaseEstimate {
  /** Tokens computed in this call (1 for a decode step, the prompt for prefill). */
  tokens: number;
  /** Tokens attended to (the context / KV cache length). */
  context: number;
  seconds: number;
  /** Shares of the predicted time spent in layers bound by memory, compute or fixed costs. */
  bound: { memory: number; compute: number; overhead: number };
  weightBytes: number;
  flops: number;
  bandwidth: number;
  memoryLevel: string;
}

export interface LlmLatency {
  target: string;
  /** One decode step at batch 1 with `prompt` tokens already in the cache. */
  decode: PhaseEstimate;
  /** The whole prompt in one call. */
  prefill: PhaseEstimate;
}

/** The decoder's cost for one call computing `tokens` new tokens over a context of `context`. */
export function decoderCost(cfg: LlmConfig, tokens: number, context: number, weightElementBytes: number): ModelCost {
  const layers: LayerCost[] = [];
  const h = cfg.hiddenSize;
  const act = 4; // activations are fp32
  const light = (name: string, op: string, elements: number): LayerCost => ({ name, op, kind: 'light', flops: 4 * elements, weightBytes: 0, activationBytes: 2 * elements * act, outputElements: elements });
  const matmul = (name: string, n: number, k: number, m = tokens): LayerCost => ({
    name,
    op: 'MatMul',
    kind: 'matmul',
    flops: 2 * m * n * k,
    weightBytes: n * k * weightElementBytes,
    activationBytes: (m * k + m * n) * act,
    weight: { name: `${name}.weight`, shape: [n, k], params: n * k, nonzeros: n * k, elementBytes: weightElementBytes },
    m,
    n,
    k,
    outputElements: m * n,
  });
  // Causal: new token i sees context - tokens + i + 1 keys; summed over the call's tokens.
  const seen = tokens * (context - tokens) + (tokens * (tokens + 1)) / 2;
  const hd = cfg.headDim;
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}`;
    layers.push(light(`${p}.input_layernorm`, 'RMSNormalization', tokens * h));
    for (const lin of LINEARS.slice(0, 3)) {
      const [n, k] = linearShape(cfg, lin);
      layers.push(matmul(`${p}.self_attn.${lin}`, n, k));
    }
    layers.push({
      name: `${p}.self_attn.attention`,
      op: 'MatMul',
      kind: 'matmul',
      flops: 2 * 2 * cfg.numHeads * hd * seen,
      weightBytes: 0,
      // the K and V cache read once per call, queries in and outputs out
      activationBytes: (2 * context * cfg.numKvHeads * hd + 2 * tokens * cfg.numHeads * hd) * act,
      batches: cfg.numHeads,
      outputElements: tokens * cfg.numHeads * hd,
    });
    const [on, ok] = linearShape(cfg, 'o_proj');
    layers.push(matmul(`${p}.self_attn.o_proj`, on, ok));
    layers.push(light(`${p}.post_attention_layernorm`, 'RMSNormalization', tokens * h));
    for (const lin of ['gate_proj', 'up_proj'] as const) {
      const [n, k] = linearShape(cfg, lin);
      layers.push(matmul(`${p}.mlp.${lin}`, n, k));
    }
    layers.push(light(`${p}.mlp.act`, 'Mul', tokens * cfg.intermediateSize));
    const [dn, dk] = linearShape(cfg, 'down_proj');
    layers.push(matmul(`${p}.mlp.down_proj`, dn, dk));
  }
  layers.push(light('model.norm', 'RMSNormalization', tokens * h));
  // Only the last position's logits are needed to pick the next token.
  layers.push(matmul('lm_head', cfg.vocabSize, h, 1));
  const weightBytes = layers.reduce((a, x) => a + x.weightBytes, 0);
  return {
    layers,
    inputBytes: tokens * 8,
    outputBytes: cfg.vocabSize * act,
    outputCount: 1,
    weightBytes,
    peakActivationBytes: Math.max(tokens * cfg.intermediateSize, tokens * cfg.numHeads * Math.min(context, 4096)) * act,
  };
}

function phase(e: ModelEstimate, cost: ModelCost, tokens: number, context: number): PhaseEstimate {
  const by = { memory: 0, compute: 0, overhead: 0 };
  for (const l of e.layers) by[l.bound] += l.seconds;
  const total = Math.max(1e-30, by.memory + by.compute + by.overhead);
  return {
    tokens,
    context,
    seconds: e.seconds,
    bound: { memory: by.memory / total, compute: by.compute / total, overhead: by.overhead / total },
    weightBytes: cost.weightBytes,
    flops: cost.layers.reduce((a, l) => a + l.flops, 0),
    bandwidth: e.bandwidth,
    memoryLevel: e.memoryLevel,
  };
}

/** Decode (batch 1) and prefill predictions for a prompt of `prompt` tokens on `target`. */
export function llmLatency(cfg: LlmConfig, target: Target, opts: { prompt: number; weightElementBytes: number }): LlmLatency {
  const dc = decoderCost(cfg, 1, opts.prompt + 1, opts.weightElementBytes);
  const pc = decoderCost(cfg, opts.prompt, opts.prompt, opts.weightElementBytes);
  return { target: target.id, decode: phase(estimateModel(dc, target), dc, 1, opts.prompt + 1), prefill: phase(estimateModel(pc, target), pc, opts.prompt, opts.prompt) };
}
