// A model and its sample data as the UI sees them: the inspected summary, per-layer rows, channel groups, weight histograms, data.inspect.
// Part of the API contract (preload/contract.ts): imports nothing but zod and its sibling parts.
import { z } from 'zod';
import { FilePath, InputShapes, call } from './args';

export interface TensorSpec {
  name: string;
  dtype: string;
  /** null when the file does not say (rank unknown). */
  shape: (number | string | null)[] | null;
}

export interface LayerRow {
  /** The node's name. */
  name: string;
  /** The node's weight is one of the model's layers (ModelSummary.layerDefinition); other rows are weighted nodes (norms, embeddings, biases). */
  layer?: boolean;
  op: string;
  /** The layer's main weight (id). */
  weight: string;
  /** Dims of the main weight. */
  shape: number[];
  dtype: string;
  role: string;
  /** Elements of all parameter weights the node uses (weight + bias, or scale + shift). */
  parameters: number;
  nonzeros: number;
  /** Stored bytes of those weights. */
  bytes: number;
  macs: number;
  flops: number;
  /** All parameter weights of the layer. */
  weights: string[];
  graph: string;
  attention?: string;
  quantized?: boolean;
  inputShape?: number[];
  outputShape?: number[];
}

/** A Hugging Face model folder's decoder structure (model.inspect's `decoder`; a zoo model's meta.decoder). */
export interface LlmDecoderSummary {
  format: 'huggingface';
  architecture: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
  intermediate: number;
  vocab: number;
  tiedEmbeddings: boolean;
  attentionBias: boolean;
  ropeTheta: number;
  ropeScaling: string | null;
  slidingWindow: number;
  dtype: string;
  shards: number;
  bytes: number;
  tokenizer: boolean;
  parameters: { perBlock: number; embedding: number; lmHead: number; total: number };
}

export interface ModelSummary {
  format: string;
  producer: string;
  opsets: Record<string, number> | { domain: string; version: number }[];
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** layers: the model's layer count (the one every screen shows; see layerDefinition); weightTensors and nodes are other counts. */
  totals: { layers: number; weightTensors: number; parameters: number; nonzeros: number; bytes: number; flops: number; macs?: number; nodes?: number; sparsity?: number };
  /** What a layer is, in one sentence (the engine's definition; the Model step shows it). */
  layerDefinition?: string;
  /** Every node that uses a parameter weight; the ones marked `layer` are the model's layers. */
  layers: LayerRow[];
  /** Size of the model file (weights plus graph). */
  fileBytes?: number;
  producerVersion?: string;
  /** Symbolic dims given values for the FLOPs count. */
  assumedDims?: Record<string, number>;
  unknownShapes?: string[];
  /** Per input: role (features, token-ids, mask, state, control), batch axis and each dim's status. */
  inputModel?: Array<{ name: string; role: string; why: string; batchAxis: number | null; dims: Array<{ declared: number | string | null; kind: string; value?: number }>; vocab?: number }>;
  /** Dims nobody has set yet ("'x' dim 2 (height)"); FLOPs are unknown until they are. */
  unresolvedDims?: string[];
  flopsKnown?: boolean;
  /** A Hugging Face model folder (format 'hf'): its decoder structure. */
  decoder?: LlmDecoderSummary;
}

export interface WeightHistogram {
  layer: string;
  weight: string;
  /** Bin edges over |w| (length counts.length + 1). */
  edges: number[];
  counts: number[];
  total: number;
  zeros: number;
  absMax: number;
  absMean: number;
}

/** One channel dependency group: layers that must lose the same channels together. */
export interface ChannelGroupView {
  id: number;
  channels: number;
  /** Channels after pruning (results); equal to channels when the group stayed. */
  after?: number;
  removed?: boolean;
  /** Layers whose output channels the group is (weight ids), and the layers that read them. */
  producers: string[];
  consumers: string[];
  /** Attention heads, when the group moves in whole heads. */
  heads?: number;
  /** Why the group cannot (or did not) shrink, and the node that blocks it. */
  reason?: string;
  node?: string;
}

/** model.groups: the channel dependency groups of an ONNX model. */
export interface ModelGroups {
  path: string;
  groups: ChannelGroupView[];
}

/** What a sample file or folder holds for a model (data.inspect). */
export interface DataInspection {
  samples: number;
  /** Per-input form: false while an input that needs data has no file or a file cannot be used (its `file.problem` says why); samples is then 0. */
  complete?: boolean;
  /** Per model input: its shape in the model, and the dims of one sample the data gives it (null: filled by the engine, e.g. state or a control value). */
  inputs: {
    name: string;
    modelShape: (number | string | null)[];
    sampleDims: number[] | null;
    /** Element type the model takes (float32, int64, ...). */
    dtype?: string;
    /** Role the engine gives the input (features, token-ids, mask, state, control). */
    role?: string;
    /** How the engine fills the input when no file is given (masks, state, control values); absent: a file is needed. */
    fill?: string;
    /** Per-input form: the file chosen for this input, what it holds, or what is wrong with it. */
    file?: { path: string; dtype?: string; shape?: number[]; samples?: number; problem?: string; hint?: string };
  }[];
  /** Number of labels found (labels.npy, an npz key, or the labels file), null when none. */
  labels: number | null;
  warnings: string[];
}

export const modelCalls = {
  'model.inspect': call<ModelSummary>()(
    z.object({ path: FilePath, inputShapes: InputShapes.optional() }).strict(),
    'Reads a model file: format, producer, inputs/outputs, totals and the per-layer table.',
  ),
  'data.inspect': call<DataInspection>()(
    z.object({ path: z.union([FilePath, z.record(z.string().min(1).max(256), FilePath)]), model: FilePath, inputShapes: InputShapes.optional(), labels: FilePath.optional() }).strict(),
    'What a sample file, folder or set of per-input files ({input: .npy}) holds for a model: samples, the shape of one sample per input, labels.',
  ),
  'model.groups': call<ModelGroups>()(
    z.object({ path: FilePath }).strict(),
    'Channel dependency groups of an ONNX model: which layers must lose channels together, and what blocks a group.',
  ),
  'model.weightHistogram': call<WeightHistogram>()(
    z.object({ path: FilePath, layer: z.string().min(1).max(1024), bins: z.number().int().min(4).max(256).optional() }).strict(),
    'Histogram of weight magnitudes |w| of one layer of a model file.',
  ),
} as const;
