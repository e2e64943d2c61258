// Token ids for calibration and evaluation: a .npy of integer ids ([sequences, tokens] or one
// flat run), or a text file tokenized with the model folder's own tokenizer.json (through
// @huggingface/tokenizers) and cut into sequences of `seqLen` tokens.
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import { parseNpy } from '../data/npy';
import type { LlmConfig } from '../model/hf/config';
import { checkTokenIds } from '../model/hf/config';

/** Token ids laid out [batch, seq] row-major. */
export interface TokenBatch {
  ids: Int32Array;
  batch: number;
  seq: number;
}

export interface TokenOptions {
  /** Tokens per sequence for text and flat arrays (default 128, at most max_position_embeddings). */
  seqLen?: number;
  /** Keep at most this many sequences. */
  maxSequences?: number;
  /** tokenizer.json of the model (needed for text). */
  tokenizerPath?: string;
}

function cut(flat: ArrayLike<number>, seq: number, file: string): TokenBatch {
  const batch = Math.floor(flat.length / seq);
  if (batch === 0) throw badInput(`${file} has ${flat.length} tokens, fewer than one sequence of ${seq}.`, 'Give more text, or a smaller sequence length.');
  const ids = new Int32Array(batch * seq);
  for (let i = 0; i < ids.length; i++) ids[i] = Number(flat[i]);
  return { ids, batch, seq };
}

/** Reads token ids from .npy (int) or text (.txt/.md/.jsonl, tokenized with tokenizer.json). */
export async function loadTokens(file: string, cfg: LlmConfig, opts: TokenOptions = {}): Promise<TokenBatch> {
  if (!fs.existsSync(file)) throw badInput(`${file} does not exist.`, 'Give a .npy of token ids or a text file.');
  const seqLen = opts.seqLen ?? Math.min(128, cfg.maxPositionEmbeddings);
  if (!Number.isInteger(seqLen) || seqLen < 2 || seqLen > cfg.maxPositionEmbeddings) throw badInput(`sequence length ${seqLen} must be in 2..${cfg.maxPositionEmbeddings} (max_position_embeddings).`);
  let out: TokenBatch;
  if (/\.npy$/i.test(file)) {
    const arr = parseNpy(new Uint8Array(fs.readFileSync(file)), path.basename(file));
    if (!/^u?int(8|16|32|64)$/.test(arr.dtype)) throw badInput(`${file} holds ${arr.dtype}; token ids must be integers.`, 'Save the ids with numpy as int64 or int32.');
    const flat = Array.from(arr.data as ArrayLike<number | bigint>, (v) => Number(v));
    if (arr.shape.length === 2) {
      out = { ids: Int32Array.from(flat), batch: arr.shape[0], seq: arr.shape[1] };
      if (out.seq < 2) throw badInput(`${file} has sequences of ${out.seq} token(s); need at least 2.`);
      if (out.seq > cfg.maxPositionEmbeddings) throw badInput(`${file} has sequences of ${out.seq} tokens, more than max_position_embeddings (${cfg.maxPositionEmbeddings}).`);
    } else if (arr.shape.length === 1) out = cut(flat, seqLen, file);
    else throw badInput(`${file} has shape [${arr.shape}]; token ids must be [sequences, tokens] or one flat run.`);
  } else {
    if (!opts.tokenizerPath) throw badInput(`${file} is text, but the model folder has no tokenizer.json to tokenize it.`, 'Give a .npy of token ids instead.');
    const { Tokenizer } = await import('@huggingface/tokenizers');
    const json = JSON.parse(fs.readFileSync(opts.tokenizerPath, 'utf8')) as object;
    const cfgFile = path.join(path.dirname(opts.tokenizerPath), 'tokenizer_config.json');
    const tokCfg = fs.existsSync(cfgFile) ? (JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as object) : {};
    let tok: InstanceType<typeof Tokenizer>;
    try {
      tok = new Tokenizer(json, tokCfg);
    } catch (err) {
      throw new TwinforgeError('UNSUPPORTED', `${opts.tokenizerPath}: the tokenizer could not be loaded (${(err as Error).message}).`, 'Tokenize the text yourself and give a .npy of token ids.');
    }
    const text = fs.readFileSync(file, 'utf8');
    const enc = tok.encode(text, { add_special_tokens: false });
    out = cut(enc.ids, seqLen, file);
  }
  checkTokenIds(out.ids, cfg.vocabSize, path.basename(file));
  if (opts.maxSequences !== undefined && out.batch > opts.maxSequences) out = { ids: out.ids.slice(0, opts.maxSequences * out.seq), batch: opts.maxSequences, seq: out.seq };
  return out;
}
