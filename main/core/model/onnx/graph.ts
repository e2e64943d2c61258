// Walks an ONNX model's graphs (main graph and, recursively, the subgraphs of If / Loop / Scan
// and any other graph attribute) into plain nodes and weight entries: initializers, sparse
// initializers and Constant nodes, with each weight's consumers resolved through the scopes.
import type { AttributeProto, GraphProto, NodeProto, SparseTensorProto, TensorProto, TypeProto, ValueInfoProto } from 'onnx-buf';
import { dtypeFromOnnx } from '../dtype';
import type { AttrValue, Dim, NodeInfo, ValueInfo, WeightConsumer } from '../ir';

/** One weight as found in the file, before roles and data access are attached. */
export interface OnnxWeightEntry {
  id: string;
  name: string;
  graph: string;
  source: 'initializer' | 'constant' | 'sparse_initializer';
  /** Dense tensor (initializer, or Constant 'value'). */
  tensor?: TensorProto;
  /** Sparse tensor (sparse_initializer, or Constant 'sparse_value'). */
  sparse?: SparseTensorProto;
  /** Constant node and its value attribute (for value_float(s) / value_int(s) and edits). */
  node?: NodeProto;
  attr?: AttributeProto;
  graphProto: GraphProto;
}

export interface WalkedGraphs {
  nodes: NodeInfo[];
  /** The protobuf node behind each NodeInfo (for edits). */
  protoOf: Map<NodeInfo, NodeProto>;
  /** Graph path → the GraphProto. */
  graphs: Map<string, GraphProto>;
  entries: OnnxWeightEntry[];
  consumers: Map<string, WeightConsumer[]>;
  valueInfo: ValueInfo[];
}

const utf8 = new TextDecoder();

/** Shape of a TypeProto as dims (numbers, symbolic names or null). */
export function typeShape(type: TypeProto | undefined): { dtype: ValueInfo['dtype']; shape: Dim[] | null } {
  if (!type || type.value.case !== 'tensorType') {
    if (type?.value.case === 'sparseTensorType') {
      const tt = type.value.value;
      return { dtype: dtypeFromOnnx(tt.elemType) ?? null, shape: tt.shape ? tt.shape.dim.map(dimOf) : null };
    }
    return { dtype: null, shape: null };
  }
  const tt = type.value.value;
  return { dtype: dtypeFromOnnx(tt.elemType) ?? null, shape: tt.shape ? tt.shape.dim.map(dimOf) : null };
}

function dimOf(d: { value: { case: 'dimValue'; value: bigint } | { case: 'dimParam'; value: string } | { case: undefined; value?: undefined } }): Dim {
  if (d.value.case === 'dimValue') {
    const n = Number(d.value.value);
    return Number.isSafeInteger(n) && n >= 0 ? n : null;
  }
  if (d.value.case === 'dimParam') return d.value.value || null;
  return null;
}

export function valueInfoOf(v: ValueInfoProto): ValueInfo {
  return { name: v.name, ...typeShape(v.type) };
}

/** Attribute value as plain data (tensors and graphs by reference only). */
export function attrValue(a: AttributeProto, subgraphPath: (i?: number) => string): AttrValue {
  switch (a.type) {
    case 1: return a.f;
    case 2: return Number(a.i);
    case 3: return utf8.decode(a.s);
    case 4: return a.t ? { tensor: { dtype: dtypeFromOnnx(a.t.dataType) ?? null, dims: a.t.dims.map(Number) } } : null;
    case 5: return { graph: subgraphPath() };
    case 6: return [...a.floats];
    case 7: return a.ints.map(Number);
    case 8: return a.strings.map((s) => utf8.decode(s));
    case 10: return { graphs: a.graphs.map((_, i) => subgraphPath(i)) };
    case 11: return a.sparseTensor ? { tensor: { dtype: a.sparseTensor.values ? dtypeFromOnnx(a.sparseTensor.values.dataType) ?? null : null, dims: a.sparseTensor.dims.map(Number) } } : null;
    default: {
      // Files written by old exporters leave `type` unset: guess from the filled field.
      if (a.t) return attrValue({ ...a, type: 4 } as AttributeProto, subgraphPath);
      if (a.g) return attrValue({ ...a, type: 5 } as AttributeProto, subgraphPath);
      if (a.floats.length) return [...a.floats];
      if (a.ints.length) return a.ints.map(Number);
      if (a.strings.length) return a.strings.map((s) => utf8.decode(s));
      if (a.s.byteLength) return utf8.decode(a.s);
      if (a.graphs.length) return attrValue({ ...a, type: 10 } as AttributeProto, subgraphPath);
      if (a.i !== 0n) return Number(a.i);
      return a.f;
    }
  }
}

const CONSTANT_VALUE_ATTRS = new Set(['value', 'value_float', 'value_floats', 'value_int', 'value_ints', 'sparse_value']);

/** Walks every graph of the model, depth first, with lexical scoping of names. */
export function walkGraphs(main: GraphProto): WalkedGraphs {
  const out: WalkedGraphs = { nodes: [], protoOf: new Map(), graphs: new Map(), entries: [], consumers: new Map(), valueInfo: [] };
  const usedNodeNames = new Set<string>();
  const nextSuffix = new Map<string, number>();
  const visit = (g: GraphProto, path: string, outer: Map<string, string>[]): void => {
    out.graphs.set(path, g);
    const scope = new Map<string, string>();
    const idOf = (name: string): string => (path ? `${path}:${name}` : name);
    const add = (e: Omit<OnnxWeightEntry, 'id' | 'graph' | 'graphProto'>): void => {
      const id = idOf(e.name);
      scope.set(e.name, id);
      out.entries.push({ ...e, id, graph: path, graphProto: g });
    };
    for (const t of g.initializer) add({ name: t.name, source: 'initializer', tensor: t });
    for (const s of g.sparseInitializer) add({ name: s.values?.name ?? '', source: 'sparse_initializer', sparse: s });
    if (path === '') for (const v of g.valueInfo) out.valueInfo.push(valueInfoOf(v));
    const chain = [scope, ...outer];
    const resolve = (name: string): string | undefined => {
      for (const s of chain) {
        const id = s.get(name);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    g.node.forEach((n, index) => {
      let name = n.name || `${n.opType}_${index}`;
      if (path) name = `${path}/${name}`;
      if (usedNodeNames.has(name)) {
        // Resume from the last suffix given to this name: 20,000 nodes of one name stay linear.
        let k = nextSuffix.get(name) ?? 2;
        while (usedNodeNames.has(`${name}#${k}`)) k++;
        nextSuffix.set(name, k + 1);
        name = `${name}#${k}`;
      }
      usedNodeNames.add(name);
      // Inputs first: a Constant's own output is not yet in scope for the node itself.
      n.input.forEach((input, i) => {
        if (!input) return;
        const id = resolve(input);
        if (id === undefined) return;
        const list = out.consumers.get(id) ?? [];
        list.push({ node: name, op: n.opType, input: i, graph: path });
        out.consumers.set(id, list);
      });
      const attributes: Record<string, AttrValue> = {};
      for (const a of n.attribute) {
        const sub = (i?: number): string => `${name}/${a.name}${i === undefined ? '' : `[${i}]`}`;
        attributes[a.name] = attrValue(a, sub);
      }
      const info: NodeInfo = { name, op: n.opType, domain: n.domain, graph: path, inputs: [...n.input], outputs: [...n.output], attributes };
      out.nodes.push(info);
      out.protoOf.set(info, n);
      if (n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx') && n.output[0]) {
        const attr = n.attribute.find((a) => CONSTANT_VALUE_ATTRS.has(a.name));
        if (attr && (attr.name !== 'value' || attr.t) && (attr.name !== 'sparse_value' || attr.sparseTensor)) {
          add({
            name: n.output[0],
            source: 'constant',
            tensor: attr.name === 'value' ? attr.t : undefined,
            sparse: attr.name === 'sparse_value' ? attr.sparseTensor : undefined,
            node: n,
            attr,
          });
        }
      }
      // Subgraphs see this graph's names (and the outer ones) as outer scope.
      for (const a of n.attribute) {
        if (a.g) visit(a.g, `${name}/${a.name}`, chain);
        a.graphs.forEach((sg, i) => visit(sg, `${name}/${a.name}[${i}]`, chain));
      }
    });
  };
  visit(main, '', []);
  return out;
}
