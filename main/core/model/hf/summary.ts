// model.inspect for a Hugging Face model folder: the ModelSummary every screen reads (inputs,
// outputs, totals, one row per stored tensor) plus the decoder structure. Nonzeros are counted
// from the stored bits, so a pruned twin's folder shows its real sparsity. Compute is per token: 2 FLOPs per weight of the block linears and
// the lm head (the embedding is a gather); attention's own products grow with the context.
import path from 'node:path';
import type { LayerRow, ModelSummary } from '../../../../preload/contract';
import type { Weight } from '../ir';
import { SafetensorsModel } from '../safetensors/reader';
import { countNonzeros } from '../dtype';
import { HfFolder } from './folder';
import { inspectLlm } from './inspect';

function nonzerosOf(w: Weight): number {
  const b = w.bytes();
  return countNonzeros(w.dtype, b, w.dims.reduce((x, y) => x * y, 1));
}

function role(name: string, dims: number[]): { op: string; role: string } {
  if (name.includes('embed_tokens')) return { op: 'Embedding', role: 'embedding' };
  if (name.endsWith('norm.weight')) return { op: 'RMSNorm', role: 'norm' };
  if (name.endsWith('.bias')) return { op: 'Add', role: 'bias' };
  if (dims.length === 2) return { op: 'Linear', role: name.includes('lm_head') ? 'head' : name.includes('self_attn') ? 'attention' : 'mlp' };
  return { op: 'Tensor', role: 'other' };
}

/** The summary of a model folder (reads headers and every tensor's bytes once). */
export function hfModelSummary(dir: string): ModelSummary {
  const decoderFull = inspectLlm(dir);
  const { path: _path, ...decoder } = decoderFull;
  const folder = HfFolder.open(dir);
  const rows: LayerRow[] = [];
  try {
    for (const shard of folder.shards) {
      const m = SafetensorsModel.open(path.join(folder.dir, shard));
      try {
        for (const w of m.weights) {
          const params = w.dims.reduce((a, b) => a * b, 1);
          const { op, role: r } = role(w.name, w.dims);
          const macs = op === 'Linear' ? params : 0;
          const isLayer = op === 'Linear' && r !== 'head';
          // `layer`: the block linears are the model's layers (norms, embedding, head are not).
          const row = { name: w.name.replace(/\.weight$/, ''), layer: isLayer, op, weight: w.name, shape: w.dims, dtype: w.dtype, role: r, parameters: params, nonzeros: nonzerosOf(w), bytes: w.bytes().byteLength, macs, flops: 2 * macs, weights: [w.name], graph: 'decoder' };
          rows.push(row);
        }
      } finally {
        m.close();
      }
    }
  } finally {
    folder.close();
  }
  const sum = (f: (r: LayerRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  const parameters = sum((r) => r.parameters);
  const nonzeros = sum((r) => r.nonzeros);
  // Built apart from the literal so the summary carries every count the contract asks for.
  const totals = { layers: rows.filter((r) => r.layer).length, weightTensors: rows.length, parameters, nonzeros, bytes: decoder.bytes, flops: sum((r) => r.flops), macs: sum((r) => r.macs), sparsity: parameters ? 1 - nonzeros / parameters : 0 };
  const summary: ModelSummary = {
    format: 'hf',
    producer: decoder.architecture,
    opsets: {},
    inputs: [{ name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] }],
    outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 'sequence', decoder.vocab] }],
    totals,
    layers: rows,
    fileBytes: decoder.bytes,
    assumedDims: { sequence: 1 },
    flopsKnown: true,
    layerDefinition: `A layer is one of the seven linear projections of a decoder block (q, k, v, o, gate, up, down): ${decoder.layers} blocks x 7. Embedding, norms and lm head are weights, not layers. FLOPs are per token.`,
    decoder,
  };
  return summary;
}
