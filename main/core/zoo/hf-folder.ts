// Hugging Face model folders in the zoo: one model made of several files (config.json, the
// safetensors shards and their index, tokenizer and generation files). The store keeps such a
// model as a folder under the hash of its file list (each file's name and sha256), so the same
// checkpoint imported twice is one stored copy, and a changed shard is a different model.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import { HfFolder, LINEARS, isHfFolder, linearName } from '../model/hf/folder';
import { inspectLlm, type LlmInspection } from '../model/hf/inspect';
import type { ModelFacts } from './model-facts';
import { hashFile } from './store';
import type { LayerStat } from './types';
import { combinedStats, weightStats } from './weights';
import type { LlmDecoderSummary } from '../../../preload/contract';

export { isHfFolder };

/** Files of a model folder besides the weights that a loader reads (copied with it). */
const SIDE_FILES = ['config.json', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'tokenizer.model'];

/** The files that make up the model (names relative to the folder), in a fixed order. */
export function hfModelFiles(dir: string): string[] {
  const f = HfFolder.open(dir);
  try {
    const names = new Set([...SIDE_FILES.filter((n) => fs.existsSync(path.join(dir, n))), ...f.shards]);
    return [...names].sort();
  } finally {
    f.close();
  }
}

/** sha256 of the folder: over "sha256  name" lines of its model files, sorted by name. */
export function hashHfFolder(dir: string, files = hfModelFiles(dir)): { sha: string; bytes: number; files: { name: string; sha: string; bytes: number }[] } {
  const listed = files.map((name) => ({ name, ...hashFile(path.join(dir, name)) }));
  return { sha: treeHash(listed), bytes: listed.reduce((n, x) => n + x.bytes, 0), files: listed };
}

export function treeHash(files: { name: string; sha: string }[]): string {
  const lines = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => `${f.sha}  ${f.name}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** What the zoo records about a model folder: the decoder structure, no per-layer stats. */
export function readHfFacts(dir: string): ModelFacts {
  let r: LlmInspection;
  try {
    r = inspectLlm(dir);
  } catch (e) {
    if (e instanceof TwinforgeError) throw badInput(`${dir} is not a model folder Twinforge can import: ${e.message}`, `${e.hint ?? ''} Nothing was imported.`.trim());
    throw e;
  }
  const { path: _path, ...rest } = r;
  const decoder: LlmDecoderSummary = rest;
  const { layers, maskHash, sparsity } = linearStats(dir);
  return {
    format: 'hf',
    producer: r.architecture,
    parameters: r.parameters.total,
    meta: { decoder, maskHash, sparsity },
    layers,
    maskHash,
    sparsity,
  };
}

/**
 * Statistics of the block linears (the model's layers: q, k, v, o, gate, up, down per block),
 * streamed one weight at a time, with the overall mask hash as for model files. A checkpoint
 * that stores them packed (compressed-tensors) has no plain weight to read: no rows then.
 */
function linearStats(dir: string): { layers: LayerStat[]; maskHash: string | null; sparsity: number | null } {
  const f = HfFolder.open(dir);
  try {
    const names = new Set(f.names());
    const layers: LayerStat[] = [];
    for (let l = 0; l < f.config.numLayers; l++) {
      for (const lin of LINEARS) {
        const name = linearName(l, lin);
        if (names.has(name)) layers.push({ ...weightStats(f.weight(name)), opType: 'Linear' });
      }
    }
    return { layers, ...combinedStats(layers) };
  } finally {
    f.close();
  }
}
