// What the zoo records about a model file when it is imported: its format (recognised by
// signature, not by extension), producer, parameter count and per-layer table.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import type { LayerStat, ModelFormat } from './types';

export interface ModelFacts {
  format: ModelFormat;
  producer: string | null;
  parameters: number | null;
  meta: Record<string, unknown>;
  layers: LayerStat[];
}

/** Extensions a folder import picks up. */
export const MODEL_EXTENSIONS = ['.onnx', '.safetensors'];

/** Recognises the format from the first bytes; undefined when it is neither ONNX nor safetensors. */
export function sniffFormat(file: string): ModelFormat | undefined {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(16);
  let n: number;
  try {
    n = readSync(fd, head, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 9) {
    // safetensors: u64 little-endian header length, then a JSON object.
    const len = head.readBigUInt64LE(0);
    const size = BigInt(statSync(file).size);
    if (len > 1n && len + 8n <= size && head[8] === 0x7b /* { */) return 'safetensors';
  }
  // ONNX ModelProto: the first field is ir_version (1, varint) or, from some writers, another
  // known top-level field; all start with a valid tag byte of field 1..20 and wire type 0 or 2.
  if (n >= 2) {
    const tag = head[0];
    const field = tag >> 3;
    const wire = tag & 7;
    if (field >= 1 && field <= 20 && (wire === 0 || wire === 2)) return 'onnx';
  }
  return undefined;
}

type Inspector = (file: string) => Promise<ModelFacts>;

/**
 * Reads a model file's facts. The format is checked by signature first, then the model I/O
 * layer parses it: a file that fails either is not a model, and the error says which file.
 */
export async function readModelFacts(file: string, inspect: Inspector = inspectWithModelIo): Promise<ModelFacts> {
  const format = sniffFormat(file);
  const ext = path.extname(file).toLowerCase();
  if (!format) {
    throw badInput(`${file} is not a model file (neither ONNX nor safetensors).`, `Import ${MODEL_EXTENSIONS.join(' or ')} files, or a folder of them.`);
  }
  try {
    const facts = await inspect(file);
    return facts;
  } catch (e) {
    if (e instanceof TwinforgeError && (e.code === 'CORRUPT_MODEL' || e.code === 'BAD_INPUT' || e.code === 'UNSUPPORTED')) {
      throw badInput(`${file} is not a readable ${ext === '.safetensors' ? 'safetensors' : 'ONNX'} model: ${e.message}`, e.hint ?? 'Re-export or re-download the model.');
    }
    throw e;
  }
}

// The model I/O layer's inspectModel gives the summary `twinforge inspect` prints.
async function inspectWithModelIo(file: string): Promise<ModelFacts> {
  const { inspectModel } = await import('../api/model');
  const s = (await inspectModel(file, {})) as unknown as InspectSummary;
  const layers: LayerStat[] = (s.layers ?? []).map((l) => {
    const params = Number(l.parameters ?? 0);
    const nonzeros = Number(l.nonzeros ?? params);
    return {
      layer: String(l.weight ?? l.name),
      opType: l.op ?? null,
      shape: Array.isArray(l.shape) ? l.shape.map(Number) : [],
      params,
      nonzeros,
      sparsity: params > 0 ? 1 - nonzeros / params : 0,
      mean: null,
      std: null,
      absMean: null,
      absMax: null,
      l2Norm: null,
      maskHash: null,
    };
  });
  return {
    format: s.format === 'safetensors' ? 'safetensors' : 'onnx',
    producer: s.producer ? String(s.producer) : null,
    parameters: s.totals?.parameters ?? null,
    meta: {
      inputs: s.inputs ?? [],
      outputs: s.outputs ?? [],
      opsets: s.opsets ?? null,
      flops: s.totals?.flops ?? null,
      weightTensors: s.totals?.weightTensors ?? null,
    },
    layers,
  };
}

interface InspectSummary {
  format: string;
  producer?: string;
  opsets?: unknown;
  inputs?: unknown[];
  outputs?: unknown[];
  totals?: { parameters?: number; flops?: number; weightTensors?: number };
  layers?: { name: string; op?: string; weight?: string; shape?: number[]; parameters?: number; nonzeros?: number }[];
}
