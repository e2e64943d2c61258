// Small constructors for ONNX protobuf messages: tensors, nodes, value infos, graphs, models.
// Used by the editor (new nodes and tensors) and by the test fixtures.
import { create } from '@bufbuild/protobuf';
import {
  type AttributeProto,
  AttributeProtoSchema,
  type GraphProto,
  GraphProtoSchema,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  StringStringEntryProtoSchema,
  type TensorProto,
  TensorProtoSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from 'onnx-buf';
import { badInput } from '../../errors';
import { type DType, byteSize, encodeFromNumbers, onnxDataType } from '../dtype';
import type { Dim } from '../ir';

/** Tensor data: raw little-endian storage ({bytes}), or values encoded into the dtype. */
export type TensorInit = { bytes: Uint8Array } | ArrayLike<number> | BigInt64Array | BigUint64Array;

/** A TensorProto with raw_data (the layout every runtime reads fastest). */
export function tensorProto(name: string, dtype: DType, dims: readonly number[], data: TensorInit): TensorProto {
  const numel = dims.reduce((a, b) => a * b, 1);
  const bytes = 'bytes' in data && data.bytes instanceof Uint8Array ? data.bytes : encodeFromNumbers(dtype, data as ArrayLike<number>);
  const need = byteSize(dtype, numel);
  if (bytes.byteLength !== need) throw badInput(`Tensor "${name}": ${bytes.byteLength} bytes given, ${dtype} [${dims.join(', ')}] needs ${need}.`);
  return create(TensorProtoSchema, { name, dataType: onnxDataType(dtype), dims: dims.map(BigInt), rawData: bytes as Uint8Array<ArrayBuffer> });
}

/** Attribute value: explicit forms for anything ambiguous (a float that is a whole number: {f: 1}). */
export type AttrInit =
  | number
  | string
  | number[]
  | string[]
  | { f: number }
  | { i: number }
  | { floats: number[] }
  | { ints: number[] }
  | TensorProto
  | GraphProto
  | { graphs: GraphProto[] };

/** An AttributeProto: integers as INT(S), other numbers as FLOAT(S), strings as STRING(S). */
export function attribute(name: string, v: AttrInit): AttributeProto {
  const a = create(AttributeProtoSchema, { name });
  const isMsg = (x: unknown, t: string): boolean => typeof x === 'object' && x !== null && (x as { $typeName?: string }).$typeName === t;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) Object.assign(a, { type: 2, i: BigInt(v) });
    else Object.assign(a, { type: 1, f: v });
  } else if (typeof v === 'string') Object.assign(a, { type: 3, s: new TextEncoder().encode(v) });
  else if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) Object.assign(a, { type: 8, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) });
    else if ((v as number[]).every(Number.isInteger)) Object.assign(a, { type: 7, ints: (v as number[]).map(BigInt) });
    else Object.assign(a, { type: 6, floats: v as number[] });
  } else if (isMsg(v, 'onnx.TensorProto')) Object.assign(a, { type: 4, t: v });
  else if (isMsg(v, 'onnx.GraphProto')) Object.assign(a, { type: 5, g: v });
  else if ('f' in v) Object.assign(a, { type: 1, f: v.f });
  else if ('i' in v) Object.assign(a, { type: 2, i: BigInt(v.i) });
  else if ('floats' in v) Object.assign(a, { type: 6, floats: v.floats });
  else if ('ints' in v) Object.assign(a, { type: 7, ints: v.ints.map(BigInt) });
  else if ('graphs' in v) Object.assign(a, { type: 10, graphs: v.graphs });
  return a;
}

/** A NodeProto. */
export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrInit> = {}, opts: { name?: string; domain?: string; docString?: string } = {}): NodeProto {
  // Unset optional fields stay unset (proto2 presence): no empty strings in the file.
  return create(NodeProtoSchema, {
    opType: op,
    input: inputs,
    output: outputs,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.domain ? { domain: opts.domain } : {}),
    ...(opts.docString ? { docString: opts.docString } : {}),
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  });
}

/** A tensor ValueInfoProto; dims are numbers, symbolic names, or null (unknown). */
export function valueInfo(name: string, dtype: DType, shape: readonly Dim[] | null): ValueInfoProto {
  const tt = create(TypeProto_TensorSchema, { elemType: onnxDataType(dtype) });
  if (shape) {
    tt.shape = create(TensorShapeProtoSchema, {
      dim: shape.map((d) =>
        create(TensorShapeProto_DimensionSchema, typeof d === 'number' ? { value: { case: 'dimValue', value: BigInt(d) } } : typeof d === 'string' ? { value: { case: 'dimParam', value: d } } : {}),
      ),
    });
  }
  return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tt } }) });
}

export interface GraphInit {
  name: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
  docString?: string;
}

export function graphProto(g: GraphInit): GraphProto {
  return create(GraphProtoSchema, {
    name: g.name,
    node: g.nodes,
    input: g.inputs,
    output: g.outputs,
    initializer: g.initializers ?? [],
    valueInfo: g.valueInfo ?? [],
    ...(g.docString ? { docString: g.docString } : {}),
  });
}

export interface ModelInit {
  graph: GraphProto;
  /** Opset per domain ('' = ai.onnx). */
  opsets: Record<string, number>;
  irVersion?: number;
  producer?: { name: string; version: string };
  docString?: string;
  metadata?: Record<string, string>;
  modelVersion?: number;
  domain?: string;
}

/** A ModelProto; the IR version defaults to the one the default opset needs. */
export function modelProto(m: ModelInit): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: BigInt(m.irVersion ?? irVersionFor(m.opsets[''] ?? 13)),
    opsetImport: Object.entries(m.opsets).map(([domain, version]) => create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) })),
    producerName: m.producer?.name ?? 'twinforge',
    ...(m.producer?.version ? { producerVersion: m.producer.version } : {}),
    ...(m.docString ? { docString: m.docString } : {}),
    ...(m.domain ? { domain: m.domain } : {}),
    ...(m.modelVersion ? { modelVersion: BigInt(m.modelVersion) } : {}),
    metadataProps: Object.entries(m.metadata ?? {}).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
    graph: m.graph,
  });
}

/** The lowest IR version that allows an ai.onnx opset (ONNX's versioning table). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}
