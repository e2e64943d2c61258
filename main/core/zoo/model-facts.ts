// What the zoo records about a model file when it is imported: its format (recognised by
// signature), producer, parameter count, inputs/outputs and per-layer weight statistics.
import { TwinforgeError, badInput } from '../errors';
import { openModel } from '../model/index';
import type { LayerStat, ModelFormat } from './types';
import { summarizeWeights } from './weights';

export interface ModelFacts {
  format: ModelFormat;
  producer: string | null;
  parameters: number | null;
  meta: Record<string, unknown>;
  layers: LayerStat[];
  maskHash: string | null;
  sparsity: number | null;
}

/** Extensions a folder import picks up. */
export const MODEL_EXTENSIONS = ['.onnx', '.safetensors'];

/**
 * Opens a model file with the model I/O layer and reads its facts. A file that is not a model
 * Twinforge reads is BAD_INPUT naming the file; the reader's reason rides along.
 */
export async function readModelFacts(file: string): Promise<ModelFacts> {
  let ir;
  try {
    ir = openModel(file);
  } catch (e) {
    throw notAModel(file, e);
  }
  try {
    const w = summarizeWeights(ir);
    const producer = [ir.producer.name, ir.producer.version].filter(Boolean).join(' ') || null;
    return {
      format: ir.format,
      producer,
      parameters: w.parameters,
      meta: {
        inputs: ir.inputs,
        outputs: ir.outputs,
        opsets: ir.opsets,
        nodes: ir.nodes.length,
        weights: ir.weights.length,
        maskHash: w.maskHash,
        sparsity: w.sparsity,
      },
      layers: w.layers,
      maskHash: w.maskHash,
      sparsity: w.sparsity,
    };
  } catch (e) {
    throw notAModel(file, e);
  } finally {
    ir.close();
  }
}

function notAModel(file: string, e: unknown): TwinforgeError {
  if (e instanceof TwinforgeError && (e.code === 'CORRUPT_MODEL' || e.code === 'BAD_INPUT' || e.code === 'UNSUPPORTED')) {
    return badInput(`${file} is not a model Twinforge can import: ${e.message}`, `${e.hint ?? ''} Nothing was imported.`.trim());
  }
  if (e instanceof TwinforgeError) return e;
  return badInput(`${file} is not a model Twinforge can import: ${(e as Error).message}`, 'Give ONNX (.onnx) or safetensors (.safetensors) files. Nothing was imported.');
}
