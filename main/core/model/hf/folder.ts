// A Hugging Face model folder: config.json, model.safetensors or shards listed by
// model.safetensors.index.json, and tokenizer.json when present. Every tensor the decoder needs
// is checked (present, shape, float dtype) at open; tensors are read one at a time from the
// shards (positional reads), so one layer's weights are in memory at once, never the model.
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../../errors';
import type { DType } from '../dtype';
import type { Weight } from '../ir';
import { SafetensorsModel } from '../safetensors/reader';
import { type LlmConfig, parseLlmConfig } from './config';
import { unpackBitmask, unpackInt8, unpackQuantized } from './ct-format';

/** The linear layers of one decoder block, in the order a forward pass meets them. */
export const LINEARS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LinearName = (typeof LINEARS)[number];

/** Full tensor name of a block linear's weight (model.layers.3.self_attn.q_proj.weight). */
export function linearName(layer: number, lin: LinearName): string {
  const group = lin === 'gate_proj' || lin === 'up_proj' || lin === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${group}.${lin}.weight`;
}

/** [rows = outputs, cols = inputs] of a block linear. */
export function linearShape(cfg: LlmConfig, lin: LinearName): [number, number] {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  switch (lin) {
    case 'q_proj':
      return [q, h];
    case 'k_proj':
    case 'v_proj':
      return [kv, h];
    case 'o_proj':
      return [h, q];
    case 'gate_proj':
    case 'up_proj':
      return [cfg.intermediateSize, h];
    case 'down_proj':
      return [h, cfg.intermediateSize];
  }
}

/** One decoder block's weights in fp32 (linears [out, in] row-major). */
export interface BlockWeights {
  inputNorm: Float32Array;
  postNorm: Float32Array;
  linears: Record<LinearName, Float32Array>;
  /** Qwen2: q/k/v biases. */
  bias?: { q: Float32Array; k: Float32Array; v: Float32Array };
}

/** Whether `dir` looks like a Hugging Face model folder (config.json plus safetensors weights). */
export function isHfFolder(dir: string): boolean {
  try {
    if (!fs.statSync(dir).isDirectory()) return false;
  } catch {
    return false;
  }
  return fs.existsSync(path.join(dir, 'config.json')) && (fs.existsSync(path.join(dir, 'model.safetensors')) || fs.existsSync(path.join(dir, 'model.safetensors.index.json')));
}

export class HfFolder {
  readonly dir: string;
  readonly config: LlmConfig;
  /** tokenizer.json when the folder has one. */
  readonly tokenizerPath?: string;
  /** The shard file names (relative to dir). */
  readonly shards: string[];
  private readonly files: SafetensorsModel[] = [];
  private readonly byName = new Map<string, Weight>();

  private constructor(dir: string) {
    this.dir = path.resolve(dir);
    const cfgPath = path.join(this.dir, 'config.json');
    if (!fs.existsSync(cfgPath)) throw badInput(`${this.dir} has no config.json: not a Hugging Face model folder.`, 'Point at the folder that holds config.json and the .safetensors weights.');
    this.config = parseLlmConfig(fs.readFileSync(cfgPath, 'utf8'), cfgPath);
    this.shards = this.listShards();
    try {
      for (const s of this.shards) {
        const m = SafetensorsModel.open(path.join(this.dir, s));
        this.files.push(m);
        for (const w of m.weights) this.byName.set(w.name, w);
      }
      this.checkTensors();
    } catch (err) {
      this.close();
      throw err;
    }
    const tok = path.join(this.dir, 'tokenizer.json');
    if (fs.existsSync(tok)) this.tokenizerPath = tok;
  }

  /** Opens and checks a model folder (reads config and safetensors headers only). */
  static open(dir: string): HfFolder {
    return new HfFolder(dir);
  }

  private listShards(): string[] {
    const single = path.join(this.dir, 'model.safetensors');
    const index = path.join(this.dir, 'model.safetensors.index.json');
    if (fs.existsSync(index)) {
      let parsed: { weight_map?: Record<string, unknown> };
      try {
        parsed = JSON.parse(fs.readFileSync(index, 'utf8')) as typeof parsed;
      } catch (err) {
        throw new TwinforgeError('CORRUPT_MODEL', `${index}: not valid JSON (${(err as Error).message}).`, 'Download the model folder again.');
      }
      const map = parsed.weight_map;
      if (!map || typeof map !== 'object') throw new TwinforgeError('CORRUPT_MODEL', `${index} has no weight_map.`, 'Download the model folder again.');
      const files = [...new Set(Object.values(map))];
      for (const f of files) {
        if (typeof f !== 'string' || f.includes('/') || f.includes('\\') || !f.endsWith('.safetensors')) throw new TwinforgeError('CORRUPT_MODEL', `${index} names an invalid shard ${JSON.stringify(f)}.`, 'Download the model folder again.');
        if (!fs.existsSync(path.join(this.dir, f))) throw new TwinforgeError('CORRUPT_MODEL', `${index} lists ${f}, which is missing from ${this.dir}.`, 'Download the missing shard (all model-0000x-of-0000y.safetensors files).');
      }
      return (files as string[]).sort();
    }
    if (fs.existsSync(single)) return ['model.safetensors'];
    const bins = fs.readdirSync(this.dir).filter((f) => /\.bin$|\.pt$|\.pth$/.test(f));
    throw new TwinforgeError(
      'UNSUPPORTED',
      `${this.dir} has no model.safetensors${bins.length ? ` (only ${bins.join(', ')}: PyTorch pickles)` : ''}.`,
      'Use the safetensors release of the model, or convert with transformers: model.save_pretrained(dir, safe_serialization=True).',
    );
  }

  private expect(name: string, dims: number[]): void {
    const w = this.byName.get(name);
    if (!w) throw new TwinforgeError('CORRUPT_MODEL', `${this.dir}: tensor ${name} is missing.`, `A ${this.config.className} checkpoint has it; the folder is incomplete or of another architecture.`);
    if (w.dims.length !== dims.length || w.dims.some((d, i) => d !== dims[i])) throw new TwinforgeError('CORRUPT_MODEL', `${this.dir}: tensor ${name} has shape [${w.dims}], config.json implies [${dims}].`, 'config.json and the weights disagree; download the folder again.');
    if (!['float32', 'float16', 'bfloat16'].includes(w.dtype)) throw new TwinforgeError('UNSUPPORTED', `${this.dir}: tensor ${name} is ${w.dtype}; Twinforge reads fp32/fp16/bf16 checkpoints.`, 'Use the unquantized release of the model.');
  }

  /** A block linear: a float weight, or (compressed-tensors) its packed / int8 / 2:4 form. */
  private expectLinear(name: string, [rows, cols]: [number, number]): void {
    const prefix = name.slice(0, -'.weight'.length);
    if (this.config.compressedTensors && this.byName.has(`${prefix}.weight_packed`)) {
      this.expectRaw(`${prefix}.weight_packed`, [rows, cols / 8], 'int32');
      const s = this.byName.get(`${prefix}.weight_scale`);
      if (!s || s.dims[0] !== rows || cols % s.dims[1] !== 0) throw new TwinforgeError('CORRUPT_MODEL', `${this.dir}: ${prefix}.weight_scale is missing or not [${rows}, groups].`, 'The compressed-tensors checkpoint is incomplete.');
    } else if (this.config.compressedTensors && this.byName.has(`${prefix}.compressed`)) {
      this.expect(`${prefix}.compressed`, [rows, cols / 2]);
      this.expectRaw(`${prefix}.bitmask`, [rows, Math.ceil(cols / 8)], 'uint8');
    } else if (this.config.compressedTensors && this.byName.get(name)?.dtype === 'int8') {
      this.expectRaw(name, [rows, cols], 'int8');
      this.expect(`${prefix}.weight_scale`, [rows, 1]);
    } else this.expect(name, [rows, cols]);
  }

  private expectRaw(name: string, dims: number[], dtype: DType): void {
    const w = this.byName.get(name);
    if (!w || w.dtype !== dtype || w.dims.join() !== dims.join()) throw new TwinforgeError('CORRUPT_MODEL', `${this.dir}: ${name} is ${w ? `${w.dtype} [${w.dims}]` : 'missing'}, expected ${dtype} [${dims}].`, 'The compressed-tensors checkpoint is damaged or incomplete.');
  }

  /** A block linear in fp32, decoded from its compressed-tensors form when stored that way. */
  linear(layer: number, lin: LinearName): Float32Array {
    const name = linearName(layer, lin);
    const [rows, cols] = linearShape(this.config, lin);
    const prefix = name.slice(0, -'.weight'.length);
    if (this.config.compressedTensors) {
      const raw = (n: string): Uint8Array => Uint8Array.from(this.weight(n).bytes());
      if (this.byName.has(`${prefix}.weight_packed`)) return unpackQuantized(new Int32Array(raw(`${prefix}.weight_packed`).buffer), this.tensor(`${prefix}.weight_scale`), rows, cols);
      if (this.byName.has(`${prefix}.compressed`)) return unpackBitmask(this.tensor(`${prefix}.compressed`), raw(`${prefix}.bitmask`), rows, cols);
      if (this.weight(name).dtype === 'int8') return unpackInt8(new Int8Array(raw(name).buffer), this.tensor(`${prefix}.weight_scale`), rows, cols);
    }
    return this.tensor(name);
  }

  private checkTensors(): void {
    const c = this.config;
    const h = c.hiddenSize;
    this.expect('model.embed_tokens.weight', [c.vocabSize, h]);
    this.expect('model.norm.weight', [h]);
    if (!c.tieWordEmbeddings) this.expect('lm_head.weight', [c.vocabSize, h]);
    for (let l = 0; l < c.numLayers; l++) {
      this.expect(`model.layers.${l}.input_layernorm.weight`, [h]);
      this.expect(`model.layers.${l}.post_attention_layernorm.weight`, [h]);
      for (const lin of LINEARS) this.expectLinear(linearName(l, lin), linearShape(c, lin));
      if (c.attentionBias) for (const p of ['q', 'k', 'v'] as const) this.expect(`model.layers.${l}.self_attn.${p}_proj.bias`, [linearShape(c, `${p}_proj`)[0]]);
    }
  }

  /** The stored tensor (for copying it as is). */
  weight(name: string): Weight {
    const w = this.byName.get(name);
    if (!w) throw badInput(`${this.dir} has no tensor ${name}.`);
    return w;
  }

  /** Every stored tensor name. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** The dtype most of the block linears are stored in (what a dense twin is written in). */
  get weightDtype(): DType {
    return this.weight('model.embed_tokens.weight').dtype;
  }

  /** A tensor decoded to fp32. */
  tensor(name: string): Float32Array {
    return this.weight(name).float32();
  }

  /** The output projection: lm_head, or the embedding when tied. */
  lmHeadName(): string {
    return this.config.tieWordEmbeddings || !this.byName.has('lm_head.weight') ? 'model.embed_tokens.weight' : 'lm_head.weight';
  }

  /** One decoder block's weights in fp32. */
  block(layer: number): BlockWeights {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.config.numLayers) throw badInput(`layer ${layer} is outside 0..${this.config.numLayers - 1}.`);
    const p = `model.layers.${layer}`;
    const linears = {} as Record<LinearName, Float32Array>;
    for (const lin of LINEARS) linears[lin] = this.linear(layer, lin);
    const out: BlockWeights = { inputNorm: this.tensor(`${p}.input_layernorm.weight`), postNorm: this.tensor(`${p}.post_attention_layernorm.weight`), linears };
    if (this.config.attentionBias) out.bias = { q: this.tensor(`${p}.self_attn.q_proj.bias`), k: this.tensor(`${p}.self_attn.k_proj.bias`), v: this.tensor(`${p}.self_attn.v_proj.bias`) };
    return out;
  }

  close(): void {
    for (const f of this.files) f.close();
    this.files.length = 0;
  }
}
