// The model IR every format reader produces and every later stage (analysis, methods, pipeline,
// zoo) consumes: the graph as plain nodes, the weights with their role and layout, read lazily.
import type { DType } from './dtype';

export type ModelFormat = 'onnx' | 'safetensors';

/** A dimension: a number, a symbolic name ('batch'), or null when unknown. */
export type Dim = number | string | null;

export interface ValueInfo {
  name: string;
  dtype: DType | null;
  /** null when the rank is unknown. */
  shape: Dim[] | null;
}

/**
 * What a weight does in the network. The layout of the compressible roles says which axes are
 * the layer's inputs, so pruning and quantization know what a "row" or "input channel" is.
 */
export type WeightRole =
  | 'matmul_b' // MatMul input B: [..., in, out] (transposed through a Transpose: [..., out, in])
  | 'matmul_a' // MatMul input A is the weight: y = W·x, W [..., out, in]
  | 'gemm_b' // Gemm B: [in, out], or [out, in] with transB=1
  | 'gemm_a' // Gemm A is the weight (rare)
  | 'conv_w' // Conv W [out, in/group, k...]
  | 'conv_transpose_w' // ConvTranspose W [in, out/group, k...]
  | 'matmul_nbits' // com.microsoft MatMulNBits packed B [N, K/block, block/2]
  | 'attention_w' // com.microsoft Attention fused QKV weight [hidden, 3·hidden]
  | 'rnn_w' // LSTM / GRU / RNN W and R
  | 'embedding' // Gather data: [vocab, hidden]
  | 'norm' // BatchNorm / LayerNorm / GroupNorm / RMSNorm scale, shift, statistics
  | 'bias' // added after a MatMul / Gemm / Conv
  | 'quant_param' // scales and zero points of Q/DQ, MatMulNBits, QLinear ops
  | 'shape' // shapes, axes, indices, pads: integers that steer ops, not parameters
  | 'scalar' // single-element constants (exponents, epsilons)
  | 'other';

/** Roles whose weights are compressible matrices / kernels with a known input axis. */
export const PRUNABLE_ROLES: ReadonlySet<WeightRole> = new Set(['matmul_b', 'matmul_a', 'gemm_b', 'gemm_a', 'conv_w', 'conv_transpose_w']);

export interface WeightLayout {
  /** The output-channel / output-feature axis. */
  outAxis: number;
  /** The axes reduced over per output (input features; for Conv the in/group and kernel axes). */
  inAxes: number[];
  /** Convolution groups (1 otherwise). */
  group: number;
}

/** Parameters a weight counts for: its logical elements (a packed MatMulNBits weight) or its stored ones. */
export function parameterCount(w: Pick<Weight, 'numel' | 'logicalNumel'>): number {
  return w.logicalNumel ?? w.numel;
}

export interface WeightConsumer {
  /** Node name (or op#index when unnamed). */
  node: string;
  op: string;
  input: number;
  /** Graph the node is in ('' = main graph). */
  graph: string;
}

/** A chunk of a weight decoded to float32: elements [first, first + values.length). */
export interface WeightChunk {
  first: number;
  values: Float32Array;
}

export interface Weight {
  /** Unique in the model: the name, prefixed by the subgraph path inside subgraphs. */
  id: string;
  name: string;
  /** '' for the main graph, else e.g. 'If_0/then_branch'. */
  graph: string;
  source: 'initializer' | 'constant' | 'sparse_initializer' | 'safetensors';
  /** Where the bytes are: in the model (inline / lazy), in an external file, typed fields, attribute, sparse. */
  storage: 'inline' | 'lazy' | 'external' | 'typed' | 'attribute' | 'sparse' | 'empty' | 'file';
  dtype: DType;
  dims: number[];
  numel: number;
  /**
   * The weights the stored elements stand for, when that differs from numel: a MatMulNBits
   * weight stores K x N 4-bit codes two a byte (model/onnx/nbits-view.ts). Parameter counts use it.
   */
  logicalNumel?: number;
  /** Stored size (sub-byte types packed; sparse: values + indices). */
  byteLength: number;
  role: WeightRole;
  layout?: WeightLayout;
  /** Set for attention projections found by structure or name. */
  attention?: 'q' | 'k' | 'v' | 'o' | 'qkv';
  /** Reached through a DequantizeLinear (the stored data are quantized codes). */
  quantized?: boolean;
  /** Counted as a parameter (not a shape, scale, scalar or quant parameter). */
  isParameter: boolean;
  consumers: WeightConsumer[];
  /** Little-endian storage bytes (a view when in memory, a read for lazy/external data). */
  bytes(): Uint8Array;
  /** bytes() read on the thread pool, for weights in files (several read in parallel). */
  bytesAsync?(): Promise<Uint8Array>;
  /** Storage bytes [offset, offset + length): streaming copies of huge weights. */
  byteRange(offset: number, length: number): Uint8Array;
  /** All elements decoded to a fresh Float32Array. */
  float32(): Float32Array;
  /** Streams the elements decoded to float32 in chunks (bounded memory for huge weights). */
  chunks(maxElements?: number): Iterable<WeightChunk>;
  /** Nonzero elements, counted by streaming. */
  nonzeros(): number;
}

export type AttrValue = number | string | number[] | string[] | { tensor: { dtype: DType | null; dims: number[] } } | { graph: string } | { graphs: string[] } | null;

export interface NodeInfo {
  /** Node name, or op#index when the file leaves it unnamed (ids are unique per model). */
  name: string;
  op: string;
  domain: string;
  /** '' for the main graph, else the subgraph path. */
  graph: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttrValue>;
}

export interface ModelIR {
  format: ModelFormat;
  path: string;
  producer: { name: string; version: string };
  graphName: string;
  irVersion?: number;
  /** Opset per domain ('' = ai.onnx). */
  opsets: Record<string, number>;
  metadata: Record<string, string>;
  docString?: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Value infos the file carries for intermediate tensors (shapes from the exporter). */
  valueInfo: ValueInfo[];
  /** Declared inputs of each subgraph (Loop / Scan bodies, If branches take none), by graph path. */
  subgraphInputs?: Record<string, ValueInfo[]>;
  /** All nodes, subgraph nodes included (graph says where). */
  nodes: NodeInfo[];
  weights: Weight[];
  weight(id: string): Weight | undefined;
  /** Releases open files (external data, large models). */
  close(): void;
}
