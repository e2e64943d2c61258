// The decoder structure of a Hugging Face model folder, for `twinforge inspect FOLDER`.
import fs from 'node:fs';
import path from 'node:path';
import { parameterCounts } from './config';
import { HfFolder } from './folder';
import type { LlmDecoderSummary } from '../../../../preload/contract';

/** The decoder structure (the contract's LlmDecoderSummary) and where the folder is. */
export interface LlmInspection extends LlmDecoderSummary {
  path: string;
}

/** Reads config and headers only. */
export function inspectLlm(dir: string): LlmInspection {
  const f = HfFolder.open(dir);
  try {
    const c = f.config;
    return {
      path: f.dir,
      format: 'huggingface',
      architecture: c.className,
      layers: c.numLayers,
      heads: c.numHeads,
      kvHeads: c.numKvHeads,
      headDim: c.headDim,
      hidden: c.hiddenSize,
      intermediate: c.intermediateSize,
      vocab: c.vocabSize,
      tiedEmbeddings: c.tieWordEmbeddings,
      attentionBias: c.attentionBias,
      ropeTheta: c.ropeTheta,
      ropeScaling: c.ropeScaling ? `llama3 (factor ${c.ropeScaling.factor}, original context ${c.ropeScaling.originalMaxPositionEmbeddings})` : null,
      slidingWindow: c.slidingWindow,
      dtype: f.weightDtype,
      shards: f.shards.length,
      bytes: f.shards.reduce((n, s) => n + fs.statSync(path.join(f.dir, s)).size, 0),
      tokenizer: !!f.tokenizerPath,
      parameters: parameterCounts(c),
    };
  } finally {
    f.close();
  }
}

/** The human-readable form. */
export function formatLlmInspection(r: LlmInspection): string {
  const kv = (k: string, v: string | number): string => `${k.padEnd(13)} ${v}\n`;
  const p = r.parameters;
  return (
    kv('model', r.path) +
    kv('format', `Hugging Face folder, ${r.shards} safetensors shard(s), ${r.dtype}, ${r.bytes} bytes${r.tokenizer ? ', tokenizer.json' : ''}`) +
    kv('architecture', r.architecture) +
    kv('layers', r.layers) +
    kv('heads', `${r.heads} query, ${r.kvHeads} key/value (head dim ${r.headDim})${r.kvHeads < r.heads ? ' — grouped-query attention' : ''}`) +
    kv('hidden', r.hidden) +
    kv('intermediate', r.intermediate) +
    kv('vocab', `${r.vocab}${r.tiedEmbeddings ? ' (lm head tied to the embedding)' : ''}`) +
    kv('rope', `theta ${r.ropeTheta}${r.ropeScaling ? `, scaling ${r.ropeScaling}` : ''}${r.slidingWindow ? `, sliding window ${r.slidingWindow}` : ''}`) +
    kv('parameters', `${p.total.toLocaleString('en-US')} total: ${p.perBlock.toLocaleString('en-US')} per block x ${r.layers}, embedding ${p.embedding.toLocaleString('en-US')}, lm head ${p.lmHead.toLocaleString('en-US')}`)
  );
}
