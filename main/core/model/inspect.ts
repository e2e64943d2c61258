// inspectModel: the core function behind the contract call `model.inspect` and `twinforge
// inspect`: format, producer, opsets, inputs / outputs, totals, the per-layer table, and every
// weight with its dtype, role, layout and storage.
import fs from 'node:fs';
import { type Analysis, type LayerRow, type ModelTotals, analyzeModel } from './analysis';
import type { Dim, WeightLayout } from './ir';
import { LAYER_DEFINITION } from './layers';
import { openModel } from './index';
import { buildInputModel, concreteShapes, describeUnresolved, factsFromIR, type InputRole } from './input-model';
import type { TensorSpec } from '../../../preload/contract';
// Contract types (preload/contract.ts is their one definition).
export type { TensorSpec };

/** One model input as the engine understands it: role, batch axis, each dim and where its value came from. */
export interface InputRow {
  name: string;
  role: InputRole;
  why: string;
  batchAxis: number | null;
  dims: Array<{ declared: number | string | null; kind: 'fixed' | 'batch' | 'given' | 'unresolved'; value?: number }>;
  vocab?: number;
}

export interface InspectOptions {
  /** Exact input shapes by input name, e.g. { input: [1, 3, 48, 192] }. */
  inputShapes?: Record<string, number[]>;
  /** Values for symbolic dims by name ({ batch: 8 }); others are 1. */
  dimDefaults?: Record<string, number>;
  /** Count nonzeros (reads every weight once, streaming; default true). */
  nonzeros?: boolean;
}


export interface WeightRow {
  id: string;
  graph: string;
  dtype: string;
  shape: number[];
  role: string;
  layout?: WeightLayout;
  attention?: string;
  quantized?: boolean;
  isParameter: boolean;
  /** Where the bytes are: inline, lazy (in the model file), external, typed, attribute, sparse, file. */
  storage: string;
  source: string;
  elements: number;
  nonzeros: number;
  bytes: number;
  consumers: number;
}

export interface InspectResult {
  path: string;
  format: string;
  /** Producer name (e.g. "pytorch"), and its version apart. */
  producer: string;
  producerVersion: string;
  graphName: string;
  irVersion: number | null;
  /** Opset per domain ("ai.onnx" for the default domain). */
  opsets: Record<string, number>;
  metadata: Record<string, string>;
  docString?: string;
  fileBytes: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  totals: ModelTotals;
  /** What a layer is (model/layers.ts): totals.layers counts them. */
  layerDefinition: string;
  layers: LayerRow[];
  weights: WeightRow[];
  /** Symbolic dims that were given values for the FLOPs (1 unless --input-shape said otherwise). */
  assumedDims: Record<string, number>;
  /** Nodes whose shapes could not be inferred (their FLOPs count as 0). */
  unknownShapes: string[];
  /** Per input: role, batch axis and dims (fixed, batch, given, unresolved). */
  inputModel: InputRow[];
  /** Dims nobody resolved ("'x' dim 2 (height)"): until they are set, FLOPs are unknown. */
  unresolvedDims: string[];
  /** False while a non-batch dim is unresolved: the FLOPs figures are then not the model's. */
  flopsKnown: boolean;
}

/** Reads a model file and summarises it; the JSON `twinforge inspect --json` prints. */
export async function inspectModel(path: string, opts: InspectOptions = {}): Promise<InspectResult> {
  const model = openModel(path);
  try {
    // The input model decides the shapes: batch dims 1, given dims as given, and no FLOPs figure
    // pretends to be the model's while a spatial or sequence dim is open.
    const im = model.format === 'onnx' ? buildInputModel(factsFromIR(model), { inputShapes: opts.inputShapes, dims: opts.dimDefaults }) : undefined;
    const shapes = im ? concreteShapes(im) : undefined;
    const analysis: Analysis = analyzeModel(model, { ...opts, ...(shapes ? { inputShapes: { ...shapes, ...(opts.inputShapes ?? {}) } } : {}) });
    const nzById = analysis.nonzeros;
    const spec = (v: { name: string; dtype: string | null; shape: Dim[] | null }): TensorSpec => ({ name: v.name, dtype: v.dtype ?? 'unknown', shape: v.shape });
    const opsets: Record<string, number> = {};
    for (const [d, v] of Object.entries(model.opsets)) opsets[d === '' ? 'ai.onnx' : d] = v;
    return {
      path: model.path,
      format: model.format,
      producer: model.producer.name,
      producerVersion: model.producer.version,
      graphName: model.graphName,
      irVersion: model.irVersion ?? null,
      opsets,
      metadata: model.metadata,
      ...(model.docString ? { docString: model.docString } : {}),
      fileBytes: fs.statSync(model.path).size,
      inputs: model.inputs.map(spec),
      outputs: model.outputs.map(spec),
      totals: analysis.totals,
      layerDefinition: LAYER_DEFINITION,
      layers: analysis.layers,
      weights: model.weights.map((w) => {
        const row: WeightRow = {
          id: w.id,
          graph: w.graph,
          dtype: w.dtype,
          shape: w.dims,
          role: w.role,
          isParameter: w.isParameter,
          storage: w.storage,
          source: w.source,
          elements: w.numel,
          nonzeros: nzById.get(w.id) ?? w.numel,
          bytes: w.byteLength,
          consumers: w.consumers.length,
        };
        if (w.layout) row.layout = w.layout;
        if (w.attention) row.attention = w.attention;
        if (w.quantized) row.quantized = true;
        return row;
      }),
      assumedDims: analysis.assumedDims,
      unknownShapes: analysis.unknownShapes,
      inputModel: (im?.inputs ?? []).map((i) => ({
        name: i.name,
        role: i.role,
        why: i.why,
        batchAxis: i.batchAxis,
        dims: i.dims.map((d) => ({ declared: d.declared, kind: d.kind, ...(d.value !== undefined ? { value: d.value } : {}) })),
        ...(i.vocab ? { vocab: i.vocab } : {}),
      })),
      unresolvedDims: im ? describeUnresolved(im) : [],
      flopsKnown: !im || im.unresolved.length === 0,
    };
  } finally {
    model.close();
  }
}
