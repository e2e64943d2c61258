// Writes the outputs of an LLM compression, one block at a time (each block is its own shard,
// so one block's weights are in memory at once):
//   OUT/                 compressed-tensors checkpoint (config.json with quantization_config)
//   OUT/dense/           plain dense safetensors twin for any loader (and `twinforge infer`)
// both with the parent's tokenizer and generation files copied, and sharded the Hugging Face
// way (model-0000k-of-0000n.safetensors + model.safetensors.index.json).
import fs from 'node:fs';
import path from 'node:path';
import type { DType } from '../model/dtype';
import { encodeFromNumbers } from '../model/dtype';
import { type HfFolder, LINEARS, linearName, linearShape } from '../model/hf/folder';
import { type SafetensorsTensor, saveSafetensors } from '../model/safetensors/writer';
import { type CtFormat, type CtSchemeInput, type CtTensor, intQuantized, packQuantized, quantizationConfig, roundTo, sparse24Bitmask, unpackInt8, unpackQuantized } from '../model/hf/ct-format';
import type { CompressedBlock } from './sequential';

const COPIED = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'tokenizer.model'];

class ShardedWriter {
  readonly weightMap: Record<string, string> = {};
  bytes = 0;
  constructor(
    readonly dir: string,
    readonly shards: number,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  file(k: number): string {
    const pad = (n: number): string => String(n).padStart(5, '0');
    return `model-${pad(k + 1)}-of-${pad(this.shards)}.safetensors`;
  }

  write(k: number, tensors: SafetensorsTensor[]): void {
    const f = this.file(k);
    this.bytes += saveSafetensors(path.join(this.dir, f), tensors, { format: 'pt' });
    for (const t of tensors) this.weightMap[t.name] = f;
  }

  finish(config: Record<string, unknown>, src: string): void {
    fs.writeFileSync(path.join(this.dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: this.bytes }, weight_map: this.weightMap }, null, 2));
    fs.writeFileSync(path.join(this.dir, 'config.json'), JSON.stringify(config, null, 2));
    for (const f of COPIED) if (fs.existsSync(path.join(src, f))) fs.copyFileSync(path.join(src, f), path.join(this.dir, f));
  }
}

export interface TwinPaths {
  compressed: string;
  dense: string;
}

/** Streams compressed blocks into the compressed-tensors folder and the dense twin. */
export class LlmTwinWriter {
  private readonly ct: ShardedWriter;
  private readonly dense: ShardedWriter;
  private readonly dtype: DType;
  private readonly formats: { config: Record<string, unknown>; quantFormat: CtFormat; sparseFormat: CtFormat };
  private zeros = 0;
  private total = 0;

  constructor(
    private readonly folder: HfFolder,
    readonly out: string,
    private readonly scheme: CtSchemeInput,
  ) {
    const shards = folder.config.numLayers + 1;
    this.ct = new ShardedWriter(out, shards);
    this.dense = new ShardedWriter(path.join(out, 'dense'), shards);
    this.dtype = folder.weightDtype;
    this.formats = quantizationConfig(scheme);
  }

  get paths(): TwinPaths {
    return { compressed: this.ct.dir, dense: this.dense.dir };
  }

  /** Writes one block: the dense twin gets exactly the weights the compressed form decodes to. */
  writeBlock(b: CompressedBlock): void {
    const cfg = this.folder.config;
    const copies: SafetensorsTensor[] = [];
    const p = `model.layers.${b.layer}`;
    for (const n of [`${p}.input_layernorm.weight`, `${p}.post_attention_layernorm.weight`]) copies.push({ name: n, weight: this.folder.weight(n) });
    if (cfg.attentionBias) for (const x of ['q', 'k', 'v']) copies.push({ name: `${p}.self_attn.${x}_proj.bias`, weight: this.folder.weight(`${p}.self_attn.${x}_proj.bias`) });
    const ctTensors: SafetensorsTensor[] = [...copies];
    const denseTensors: SafetensorsTensor[] = [...copies];
    for (const lin of LINEARS) {
      const name = linearName(b.layer, lin);
      const prefix = name.slice(0, -'.weight'.length);
      const [rows, cols] = linearShape(cfg, lin);
      const q = b.quant[lin];
      let ct: CtTensor[];
      let values: Float32Array;
      if (q && q.bits === 4) {
        const groups = q.scales.length / rows;
        const scales = roundTo(this.dtype, q.scales);
        ct = packQuantized(prefix, rows, cols, q.codes as Uint8Array, scales, groups, this.dtype);
        const packed = new Int32Array(q.codes.buffer.slice(q.codes.byteOffset, q.codes.byteOffset + q.codes.byteLength));
        values = unpackQuantized(packed, scales, rows, cols);
      } else if (q && q.bits === 8) {
        const scales = roundTo(this.dtype, q.scales);
        ct = intQuantized(prefix, rows, cols, q.codes as Int8Array, scales, this.dtype);
        values = unpackInt8(q.codes as Int8Array, scales, rows, cols);
      } else {
        values = roundTo(this.dtype, b.weights.linears[lin]);
        const mask = b.masks[lin];
        ct =
          this.formats.sparseFormat === 'sparse-24-bitmask' && mask
            ? sparse24Bitmask(prefix, rows, cols, values, mask, this.dtype)
            : [{ name, dtype: this.dtype, dims: [rows, cols], bytes: encodeFromNumbers(this.dtype, values) }];
      }
      for (let i = 0; i < values.length; i++) if (values[i] === 0) this.zeros++;
      this.total += values.length;
      ctTensors.push(...ct);
      denseTensors.push({ name, dtype: this.dtype, dims: [rows, cols], bytes: encodeFromNumbers(this.dtype, values) });
    }
    this.ct.write(b.layer, ctTensors);
    this.dense.write(b.layer, denseTensors);
  }

  /** Embedding, final norm, lm head; configs, index files and tokenizer. Returns the sparsity written. */
  finish(): { sparsity: number; compressedBytes: number; denseBytes: number } {
    const cfg = this.folder.config;
    const rest: SafetensorsTensor[] = ['model.embed_tokens.weight', 'model.norm.weight'].map((n) => ({ name: n, weight: this.folder.weight(n) }));
    if (!cfg.tieWordEmbeddings) rest.push({ name: 'lm_head.weight', weight: this.folder.weight(this.folder.lmHeadName()) });
    this.ct.write(cfg.numLayers, rest);
    this.dense.write(cfg.numLayers, rest);
    const parentConfig = JSON.parse(fs.readFileSync(path.join(this.folder.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    delete parentConfig.quantization_config;
    const sparsity = this.total ? this.zeros / this.total : 0;
    const scheme = this.scheme.sparsity ? { ...this.scheme, sparsity: { ...this.scheme.sparsity, global: Number(sparsity.toFixed(6)) } } : this.scheme;
    this.ct.finish({ ...parentConfig, quantization_config: quantizationConfig(scheme).config }, this.folder.dir);
    this.dense.finish(parentConfig, this.folder.dir);
    return { sparsity, compressedBytes: this.ct.bytes, denseBytes: this.dense.bytes };
  }
}
