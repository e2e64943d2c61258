// config.json of a Hugging Face decoder-only checkpoint, checked and normalised into the one
// shape the native forward runs: Llama (2, 3.x with rope_scaling type 'llama3'), Mistral and
// Qwen2 are the same pre-norm decoder (RMSNorm, RoPE, grouped-query attention, SiLU-gated MLP)
// and differ only in a few fields (Qwen2's q/k/v biases, Mistral's sliding window).
import { TwinforgeError, badInput } from '../../errors';

export type LlmArchitecture = 'llama' | 'mistral' | 'qwen2';

/** Llama 3.x frequency-dependent RoPE rescaling (rope_scaling.rope_type 'llama3'). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface LlmConfig {
  architecture: LlmArchitecture;
  /** config.json's architectures[0], e.g. LlamaForCausalLM. */
  className: string;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling?: Llama3RopeScaling;
  /** lm_head shares the embedding matrix. */
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases (Qwen2). */
  attentionBias: boolean;
  /** Mistral: keys further back than this are masked (0 = none). */
  slidingWindow: number;
  maxPositionEmbeddings: number;
  /** torch_dtype as written (float16, bfloat16, float32) or ''. */
  torchDtype: string;
  /** quantization_config.format of a compressed-tensors checkpoint (its linears are decoded on read). */
  compressedTensors?: string;
}

const CLASSES: Record<string, LlmArchitecture> = {
  LlamaForCausalLM: 'llama',
  MistralForCausalLM: 'mistral',
  Qwen2ForCausalLM: 'qwen2',
};
const MODEL_TYPES: Record<string, LlmArchitecture> = { llama: 'llama', mistral: 'mistral', qwen2: 'qwen2' };

function bad(file: string, message: string, hint = 'config.json is damaged or not a Hugging Face transformers config; download the model folder again.'): TwinforgeError {
  return new TwinforgeError('CORRUPT_MODEL', `${file}: ${message}`, hint);
}

/** Parses config.json text; refuses architectures the native forward does not run, naming them. */
export function parseLlmConfig(text: string, file = 'config.json'): LlmConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw bad(file, `not valid JSON (${(err as Error).message}).`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(file, 'not a JSON object.');
  const qc = raw.quantization_config as { quant_method?: unknown; format?: unknown } | undefined;
  let compressedTensors: string | undefined;
  if (qc && typeof qc === 'object' && qc.quant_method === 'compressed-tensors' && ['pack-quantized', 'int-quantized', 'sparse-24-bitmask', 'dense'].includes(String(qc.format))) {
    // Read back by decoding each linear to dense fp32 (HfFolder.block).
    compressedTensors = String(qc.format);
  } else if (qc && typeof qc === 'object') {
    throw new TwinforgeError(
      'UNSUPPORTED',
      `${file}: the checkpoint is already quantized (quantization_config, quant_method ${JSON.stringify(qc.quant_method)}${qc.format ? `, format ${JSON.stringify(qc.format)}` : ''}).`,
      'Give the unquantized parent. Twinforge reads compressed-tensors checkpoints in the pack-quantized, int-quantized, sparse-24-bitmask and dense formats only.',
    );
  }
  const archs = Array.isArray(raw.architectures) ? (raw.architectures as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  const modelType = typeof raw.model_type === 'string' ? raw.model_type : '';
  const className = archs[0] ?? '';
  const architecture = (className ? CLASSES[className] : undefined) ?? (!className ? MODEL_TYPES[modelType] : undefined);
  if (!architecture) {
    const what = className || modelType || 'an unnamed architecture';
    throw new TwinforgeError(
      'UNSUPPORTED',
      `${file}: the architecture ${what}${modelType && className ? ` (model_type ${modelType})` : ''} is not supported for LLM compression.`,
      'Twinforge runs decoder-only Llama (LlamaForCausalLM, Llama 2 and 3.x), Mistral (MistralForCausalLM) and Qwen2 (Qwen2ForCausalLM) checkpoints; export other models to ONNX.',
    );
  }
  const int = (key: string, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw bad(file, `${key} must be a positive integer, got ${JSON.stringify(raw[key])}.`);
    return v;
  };
  const num = (key: string, fallback: number): number => {
    const v = raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(file, `${key} must be a positive number, got ${JSON.stringify(raw[key])}.`);
    return v;
  };
  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) throw bad(file, `num_attention_heads (${numHeads}) is not a multiple of num_key_value_heads (${numKvHeads}).`);
  const headDim = raw.head_dim === undefined || raw.head_dim === null ? hiddenSize / numHeads : int('head_dim');
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw bad(file, `head_dim ${headDim} must be an even integer (hidden_size / num_attention_heads).`);
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'silu') {
    throw new TwinforgeError('UNSUPPORTED', `${file}: hidden_act "${String(raw.hidden_act)}" is not supported (only silu).`, 'Only SiLU-gated MLPs (Llama, Mistral, Qwen2) are run natively.');
  }
  const cfg: LlmConfig = {
    architecture,
    className: className || modelType,
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: int('vocab_size'),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    ropeTheta: num('rope_theta', 10000),
    tieWordEmbeddings: raw.tie_word_embeddings === true,
    attentionBias: architecture === 'qwen2' ? true : raw.attention_bias === true,
    slidingWindow: 0,
    maxPositionEmbeddings: int('max_position_embeddings', 2048),
    torchDtype: typeof raw.torch_dtype === 'string' ? raw.torch_dtype : '',
    ...(compressedTensors ? { compressedTensors } : {}),
  };
  // Qwen2 and Mistral configs carry sliding_window but only enable it by flag (Qwen2) or value (Mistral).
  const sw = raw.sliding_window;
  if (typeof sw === 'number' && sw > 0 && (architecture === 'mistral' || raw.use_sliding_window === true)) cfg.slidingWindow = sw;
  const rs = raw.rope_scaling;
  if (rs !== undefined && rs !== null) {
    const r = rs as Record<string, unknown>;
    const type = r.rope_type ?? r.type;
    if (type === 'llama3') {
      const f = (k: string): number => {
        const v = r[k];
        if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(file, `rope_scaling.${k} must be a positive number, got ${JSON.stringify(v)}.`);
        return v;
      };
      cfg.ropeScaling = { factor: f('factor'), lowFreqFactor: f('low_freq_factor'), highFreqFactor: f('high_freq_factor'), originalMaxPositionEmbeddings: f('original_max_position_embeddings') };
      if (cfg.ropeScaling.highFreqFactor <= cfg.ropeScaling.lowFreqFactor) throw bad(file, 'rope_scaling.high_freq_factor must be larger than low_freq_factor.');
    } else if (type !== 'default') {
      throw new TwinforgeError('UNSUPPORTED', `${file}: rope_scaling type ${JSON.stringify(type)} is not supported.`, "Supported: no rope_scaling, or rope_type 'llama3' (Llama 3.1+).");
    }
  }
  return cfg;
}

/** RoPE inverse frequencies (head_dim/2 of them), with Llama 3 rescaling when configured. */
export function ropeInvFreq(cfg: Pick<LlmConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>): Float32Array {
  const half = cfg.headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    let f = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
    const s = cfg.ropeScaling;
    if (s) {
      // Long wavelengths are slowed by `factor`, short ones kept, the band between blended.
      const lowWave = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
      const highWave = s.originalMaxPositionEmbeddings / s.highFreqFactor;
      const wave = (2 * Math.PI) / f;
      if (wave > lowWave) f = f / s.factor;
      else if (wave >= highWave) {
        const smooth = (s.originalMaxPositionEmbeddings / wave - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
        f = (1 - smooth) * (f / s.factor) + smooth * f;
      }
    }
    out[i] = f;
  }
  return out;
}

/** Parameters of one decoder block and of the whole model. */
export function parameterCounts(cfg: LlmConfig): { perBlock: number; embedding: number; lmHead: number; total: number } {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const attn = h * q + 2 * h * kv + q * h + (cfg.attentionBias ? q + 2 * kv : 0);
  const mlp = 3 * h * cfg.intermediateSize;
  const perBlock = attn + mlp + 2 * h;
  const embedding = cfg.vocabSize * h;
  const lmHead = cfg.tieWordEmbeddings ? 0 : cfg.vocabSize * h;
  return { perBlock, embedding, lmHead, total: perBlock * cfg.numLayers + embedding + lmHead + h };
}

/** Refuses a token id outside the vocabulary with a message naming it. */
export function checkTokenIds(ids: ArrayLike<number>, vocabSize: number, what = 'input_ids'): void {
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i];
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) throw badInput(`${what}[${i}] = ${t} is not a token id of this model (vocabulary ${vocabSize}).`, 'Tokenize with the model folder’s own tokenizer.');
  }
}
