// The twin folder a Twinforge target deploys (docs/RUNTIME.md): model.onnx (the graph, each
// sparse layer replaced by one ai.twinforge SparseLinear node), weights.twsp (the packed sparse
// weights, layout in pipeline/export.ts) and manifest.json (what the folder holds, with the
// sha256 of every file so a changed byte is refused before anything runs).
import { createHash } from 'node:crypto';
import { TwinforgeError } from '../errors';

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILE = 'model.onnx';
export const WEIGHTS_FILE = 'weights.twsp';
export const TWIN_FORMAT = 'twinforge-twin';
export const TWIN_FORMAT_VERSION = 1;
/** The ONNX domain of the marked sparse layers. */
export const SPARSE_DOMAIN = 'ai.twinforge';
export const SPARSE_OP = 'SparseLinear';

/** One sparse layer as the manifest lists it (the .twsp header holds its sections). */
export interface TwinLayerInfo {
  /** The SparseLinear node's name in model.onnx. */
  node: string;
  /** The layer's name in weights.twsp (the original weight initializer's name). */
  layer: string;
  /** What the node replaced: MatMul, Gemm or Conv (1x1). */
  from: 'MatMul' | 'Gemm' | 'Conv';
  /** The packed form in weights.twsp: '2:4' runs on the packed 2:4 kernels (fp16 values when exact). */
  format: 'csr' | 'bsr' | 'nm' | '2:4';
  rows: number;
  cols: number;
  nnz: number;
  sparsity: number;
  bias: boolean;
  activation: 'none' | 'relu';
}

export interface TwinManifest {
  format: typeof TWIN_FORMAT;
  version: number;
  createdBy: string;
  model: string;
  weights: string;
  files: Record<string, { sha256: string; bytes: number }>;
  inputs: string[];
  outputs: string[];
  layers: TwinLayerInfo[];
  /** Dense bytes of the replaced weights vs their packed bytes. */
  denseWeightBytes: number;
  packedWeightBytes: number;
  parent?: string;
}

/** A Twinforge-target twin run end to end by the twin runtime, parent in plain ORT, same run (ms). */
export interface TwinforgeRuntimeLatency {
  /** The twin folder (final path, next to the twin's other files). */
  folder: string;
  parent: number;
  twin: number;
  speedup: number;
  threads: number;
  sparseLayers: number;
  ortSegments: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface TwspSection {
  dtype: 'float32' | 'uint8' | 'int32';
  offset: number;
  length: number;
}
export interface TwspLayer {
  name: string;
  rows: number;
  cols: number;
  format: string;
  nnz: number;
  blockRows?: number;
  blockCols?: number;
  n?: number;
  m?: number;
  sections: Record<string, TwspSection>;
}

const corrupt = (file: string, why: string) =>
  new TwinforgeError('CORRUPT_MODEL', `${file}: ${why}`, 'Export the twin again (twinforge compress with a Twinforge target, or exportTwin()).');

/** Parses a .twsp body: header and section views (views when aligned, copies otherwise). */
export function decodeTwsp(body: Uint8Array, file = WEIGHTS_FILE): { header: Record<string, unknown>; layers: TwspLayer[]; section: (l: TwspLayer, name: string) => Float32Array | Int32Array | Uint8Array } {
  if (body.byteLength < 16 || Buffer.from(body.buffer, body.byteOffset, 8).toString('latin1') !== 'TWSPARSE') throw corrupt(file, 'not a Twinforge packed sparse file (no TWSPARSE magic)');
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== 1) throw corrupt(file, `packed file version ${version} is not supported (this build reads version 1)`);
  const hb = dv.getUint32(12, true);
  if (16 + hb > body.byteLength) throw corrupt(file, 'header runs past the end of the file');
  let header: { layers?: TwspLayer[] } & Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(body.buffer, body.byteOffset + 16, hb).toString('utf8'));
  } catch {
    throw corrupt(file, 'header is not JSON');
  }
  if (!Array.isArray(header.layers)) throw corrupt(file, 'header lists no layers');
  const section = (l: TwspLayer, name: string) => {
    const s = l.sections?.[name];
    if (!s || !Number.isSafeInteger(s.offset) || !Number.isSafeInteger(s.length) || s.offset < 0 || s.length < 0 || s.offset + s.length > body.byteLength) {
      throw corrupt(file, `layer '${l.name}': section '${name}' is missing or runs past the end`);
    }
    const Ctor = s.dtype === 'float32' ? Float32Array : s.dtype === 'int32' ? Int32Array : s.dtype === 'uint8' ? Uint8Array : undefined;
    if (!Ctor) throw corrupt(file, `layer '${l.name}': section '${name}' has unknown dtype ${String(s.dtype)}`);
    if (s.length % Ctor.BYTES_PER_ELEMENT) throw corrupt(file, `layer '${l.name}': section '${name}' length is not a whole number of ${s.dtype}`);
    const at = body.byteOffset + s.offset;
    // Sections are 64-byte aligned in the file; a view is possible whenever the buffer is too.
    if (at % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(body.buffer as ArrayBuffer, at, s.length / Ctor.BYTES_PER_ELEMENT);
    return new Ctor(Uint8Array.from(body.subarray(s.offset, s.offset + s.length)).buffer);
  };
  return { header, layers: header.layers, section };
}
