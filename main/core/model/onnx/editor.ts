// Edits of an open ONNX model that compression needs: new weight data (same or new dtype and
// dims), quantized weights behind DequantizeLinear (per-tensor, per-axis, blocked int4), Q/DQ
// pairs on activations, 4-bit MatMulNBits, and cleanup. Everything not edited is kept as read.
import { create } from '@bufbuild/protobuf';
import { type AttributeProto, type GraphProto, StringStringEntryProtoSchema, type TensorProto, type ValueInfoProto } from 'onnx-buf';
import { TwinforgeError, badInput } from '../../errors';
import { type DType, isFloatDType } from '../dtype';
import { type TensorInit, node as makeNode, tensorProto, valueInfo } from './build';
import { type NBitsWeights, checkNBits, nBlocks } from './nbits';
import { defaultOpset, ensureDomain, ensureIrVersion, upgradeOpset } from './opset';
import { type OnnxOpenOptions, OnnxModel } from './reader';
import { type OnnxSaveOptions, type SaveResult, saveOnnx } from './writer';
import { LAZY_FIELD } from './wire';
import type { OnnxWeightEntry } from './graph';

/** Quantized weight data for addDequantize. */
export interface DequantizeSpec {
  /** Codes: integer values (Int8Array, number[]) or raw packed storage ({bytes}). */
  codes: TensorInit;
  dtype: Extract<DType, 'int8' | 'uint8' | 'int4' | 'uint4' | 'int16' | 'uint16' | 'float8e4m3fn' | 'float8e4m3fnuz' | 'float8e5m2' | 'float8e5m2fnuz'>;
  /** One scale (per-tensor), one per slice along `axis` (per-axis), or one per block (blocked). */
  scale: ArrayLike<number>;
  zeroPoint?: ArrayLike<number>;
  /** Channel axis (per-axis) or blocked axis (with blockSize). */
  axis?: number;
  /** Block size along `axis` (opset 21 blocked quantization). */
  blockSize?: number;
  /** dtype of the scales = dtype DequantizeLinear outputs (default: the weight's float dtype, else float32). */
  scaleDtype?: 'float32' | 'float16' | 'bfloat16';
}

/** Activation Q/DQ for addQuantizeDequantize. */
export interface QdqSpec {
  scale: ArrayLike<number>;
  zeroPoint?: ArrayLike<number>;
  dtype: 'int8' | 'uint8' | 'int16' | 'uint16';
  axis?: number;
  /** Graph path of the tensor ('' = main graph). */
  graph?: string;
}

/** Batches edits on one ONNX model and saves them (atomically) as a new file. */
export class ModelEditor {
  private dirty = false;
  private names?: Set<string>;

  constructor(readonly model: OnnxModel) {}

  /** Opens a model file for editing. */
  static open(file: string, opts?: OnnxOpenOptions): ModelEditor {
    return new ModelEditor(OnnxModel.open(file, opts));
  }

  /** The model with the edits so far (weights, roles and nodes re-indexed). */
  current(): OnnxModel {
    if (this.dirty) {
      this.model.index();
      this.dirty = false;
    }
    return this.model;
  }

  /**
   * Raises the ai.onnx opset to at least `target` (models below 13 through the op converters of
   * ./upgrade); UNSUPPORTED naming the node, with the model untouched, when one cannot be raised.
   */
  raiseOpset(target: number): void {
    const before = defaultOpset(this.model.proto);
    upgradeOpset(this.model.proto, target);
    if (defaultOpset(this.model.proto) !== before) {
      // New nodes and names: re-index, and rebuild the name set unique() draws from.
      this.dirty = true;
      this.names = undefined;
    }
  }

  /** Replaces a weight's data; dtype and dims default to the current ones (new dims: channel removal). */
  setTensor(id: string, data: TensorInit, opts: { dtype?: DType; dims?: number[] } = {}): void {
    const e = this.entry(id);
    const dtype = opts.dtype ?? this.current().weight(id)!.dtype;
    const dims = opts.dims ?? this.current().weight(id)!.dims;
    const fresh = tensorProto(e.name, dtype, dims, data);
    if (e.tensor && !e.sparse) {
      const t = e.tensor;
      this.model.invalidate(t);
      t.dataType = fresh.dataType;
      t.dims = fresh.dims;
      t.rawData = fresh.rawData;
      t.floatData = [];
      t.int32Data = [];
      t.int64Data = [];
      t.doubleData = [];
      t.uint64Data = [];
      t.stringData = [];
      t.externalData = [];
      t.dataLocation = 0;
      const unknown = (t.$unknown ?? []).filter((u) => u.no !== LAZY_FIELD);
      t.$unknown = unknown.length ? unknown : undefined;
    } else if (e.source === 'constant') {
      replaceConstantValue(e, fresh);
    } else {
      // Sparse initializer: stored dense from now on.
      const g = e.graphProto;
      g.sparseInitializer = g.sparseInitializer.filter((s) => s !== e.sparse);
      g.initializer.push(fresh);
    }
    this.retype(e.graphProto, e.name, dtype, dims);
    this.dirty = true;
  }

  /**
   * Stores a weight as quantized codes behind a DequantizeLinear whose output keeps the weight's
   * name, so its consumers are unchanged. Raises the opset when the form needs it (per-axis 13,
   * float8 19, int4 / int16 / blocked 21).
   */
  addDequantize(id: string, q: DequantizeSpec): { codes: string; scale: string; zeroPoint?: string } {
    const e = this.entry(id);
    const w = this.current().weight(id)!;
    if (e.sparse) throw new TwinforgeError('UNSUPPORTED', `Weight "${id}" is sparse; set it dense first (setTensor).`);
    const dims = w.dims;
    const rank = dims.length;
    const axis = q.axis === undefined ? undefined : q.axis < 0 ? q.axis + rank : q.axis;
    if (axis !== undefined && !(axis >= 0 && axis < rank)) throw badInput(`Axis ${q.axis} is outside a rank-${rank} weight.`);
    let scaleDims: number[];
    if (q.blockSize !== undefined) {
      if (axis === undefined) throw badInput('Blocked quantization needs an axis.');
      if (!(q.blockSize >= 2)) throw badInput(`Block size ${q.blockSize} must be at least 2.`);
      scaleDims = dims.map((d, i) => (i === axis ? Math.ceil(d / q.blockSize!) : d));
    } else if (axis !== undefined) scaleDims = [dims[axis]];
    else scaleDims = [];
    const nScale = scaleDims.reduce((a, b) => a * b, 1);
    if (q.scale.length !== nScale) throw badInput(`${q.scale.length} scales given; this form needs ${nScale} (shape [${scaleDims}]).`);
    if (q.zeroPoint && q.zeroPoint.length !== nScale) throw badInput(`${q.zeroPoint.length} zero points given; ${nScale} needed.`);
    const scaleDtype = q.scaleDtype ?? (w.dtype === 'float16' || w.dtype === 'bfloat16' ? w.dtype : 'float32');
    let opset = axis !== undefined ? 13 : 10;
    if (q.dtype.startsWith('float8') || scaleDtype !== 'float32') opset = Math.max(opset, 19);
    if (q.dtype === 'int4' || q.dtype === 'uint4' || q.dtype === 'int16' || q.dtype === 'uint16' || q.blockSize !== undefined) opset = Math.max(opset, 21);
    this.raiseOpset(opset);
    if (q.dtype.startsWith('float8')) ensureIrVersion(this.model.proto, 9);
    if (q.dtype.endsWith('int4')) ensureIrVersion(this.model.proto, 10);

    const g = e.graphProto;
    const codesName = this.unique(`${e.name}_quantized`);
    const scaleName = this.unique(`${e.name}_scale`);
    const zpName = q.zeroPoint ? this.unique(`${e.name}_zero_point`) : undefined;
    const inits = [tensorProto(codesName, q.dtype, dims, q.codes), tensorProto(scaleName, scaleDtype, scaleDims, Array.from(q.scale))];
    if (zpName) inits.push(tensorProto(zpName, q.dtype, scaleDims, Array.from(q.zeroPoint!)));
    this.detach(e);
    g.initializer.push(...inits);
    const attrs: Record<string, number> = {};
    if (axis !== undefined) attrs.axis = axis;
    if (q.blockSize !== undefined) attrs.block_size = q.blockSize;
    g.node.unshift(makeNode('DequantizeLinear', zpName ? [codesName, scaleName, zpName] : [codesName, scaleName], [e.name], attrs, { name: this.unique(`${e.name}_DequantizeLinear`) }));
    this.dirty = true;
    return { codes: codesName, scale: scaleName, zeroPoint: zpName };
  }

  /** Inserts QuantizeLinear → DequantizeLinear on a tensor edge; every reader then sees the quantized values. */
  addQuantizeDequantize(tensor: string, q: QdqSpec): { quantized: string; dequantized: string } {
    const graphPath = q.graph ?? '';
    const g = this.current().walked.graphs.get(graphPath);
    if (!g) throw badInput(`No graph "${graphPath}" in the model.`);
    const producerIndex = g.node.findIndex((n) => n.output.includes(tensor));
    const known = producerIndex >= 0 || g.input.some((v) => v.name === tensor) || g.initializer.some((t) => t.name === tensor);
    if (!known) throw badInput(`No tensor "${tensor}" in graph "${graphPath || 'main'}".`, 'Give the name of a node output or graph input.');
    const nScale = q.scale.length;
    if (q.axis === undefined && nScale !== 1) throw badInput(`Per-tensor Q/DQ takes one scale, ${nScale} given.`);
    if (q.zeroPoint && q.zeroPoint.length !== nScale) throw badInput(`${q.zeroPoint.length} zero points given; ${nScale} needed.`);
    this.raiseOpset(q.dtype.endsWith('16') ? 21 : q.axis !== undefined ? 13 : 10);
    const scaleDims = q.axis === undefined ? [] : [nScale];
    const scaleName = this.unique(`${tensor}_scale`);
    const zpName = this.unique(`${tensor}_zero_point`);
    const qName = this.unique(`${tensor}_quantized`);
    const dqName = this.unique(`${tensor}_dequantized`);
    g.initializer.push(tensorProto(scaleName, 'float32', scaleDims, Array.from(q.scale)), tensorProto(zpName, q.dtype, scaleDims, Array.from(q.zeroPoint ?? new Array(nScale).fill(0))));
    const attrs: Record<string, number> = q.axis === undefined ? {} : { axis: q.axis };
    const qn = makeNode('QuantizeLinear', [tensor, scaleName, zpName], [qName], attrs, { name: this.unique(`${tensor}_QuantizeLinear`) });
    const dqn = makeNode('DequantizeLinear', [qName, scaleName, zpName], [dqName], attrs, { name: this.unique(`${tensor}_DequantizeLinear`) });
    renameReaders(g, tensor, dqName);
    g.node.splice(producerIndex + 1, 0, qn, dqn);
    this.dirty = true;
    return { quantized: qName, dequantized: dqName };
  }

  /**
   * Replaces every MatMul that reads weight `id` as B by com.microsoft MatMulNBits with the
   * given 4-bit data (see nbits.ts for the layout). accuracyLevel 4 (int8 compute) is what
   * makes it fast on CPU.
   */
  replaceMatMulWithNBits(id: string, q: NBitsWeights, opts: { accuracyLevel?: number } = {}): string[] {
    checkNBits(q);
    const e = this.entry(id);
    const w = this.current().weight(id)!;
    if (w.dims.length !== 2 || w.dims[0] !== q.K || w.dims[1] !== q.N) throw badInput(`Weight "${id}" is [${w.dims}], the 4-bit data is for [${q.K}, ${q.N}].`);
    if (!isFloatDType(w.dtype)) throw badInput(`Weight "${id}" is ${w.dtype}; MatMulNBits replaces float weights.`);
    const g = e.graphProto;
    const matmuls = g.node.filter((n) => n.opType === 'MatMul' && (n.domain === '' || n.domain === 'ai.onnx') && n.input[1] === e.name);
    if (matmuls.length === 0) throw badInput(`Weight "${id}" is not the B input of any MatMul.`, 'MatMulNBits replaces MatMul(A, W) with W an initializer read directly.');
    const scaleDtype = w.dtype === 'float16' ? 'float16' : 'float32';
    const nb = nBlocks(q.K, q.blockSize);
    const bName = this.unique(`${e.name}_Q4`);
    const sName = this.unique(`${e.name}_scales`);
    const zName = q.zeroPoints ? this.unique(`${e.name}_zero_points`) : undefined;
    g.initializer.push(tensorProto(bName, 'uint8', [q.N, nb, q.blockSize / 2], { bytes: q.packed }), tensorProto(sName, scaleDtype, [q.N * nb], q.scales));
    if (zName) g.initializer.push(tensorProto(zName, 'uint8', [q.zeroPoints!.byteLength], { bytes: q.zeroPoints! }));
    const names: string[] = [];
    for (const mm of matmuls) {
      const attrs: Record<string, number> = { K: q.K, N: q.N, bits: 4, block_size: q.blockSize };
      if (opts.accuracyLevel !== undefined) attrs.accuracy_level = opts.accuracyLevel;
      const name = this.unique(mm.name ? `${mm.name}_Q4` : `${e.name}_MatMulNBits`);
      const nn = makeNode('MatMulNBits', zName ? [mm.input[0], bName, sName, zName] : [mm.input[0], bName, sName], [...mm.output], attrs, { name, domain: 'com.microsoft' });
      g.node[g.node.indexOf(mm)] = nn;
      names.push(name);
    }
    ensureDomain(this.model.proto, 'com.microsoft', 1);
    if (!stillRead(g, e.name)) this.detach(e);
    this.dirty = true;
    return names;
  }

  /** Removes initializers and Constant nodes whose values nothing reads; returns their ids. */
  removeUnused(): string[] {
    const m = this.current();
    const removed: string[] = [];
    const outputs = new Set(m.proto.graph!.output.map((o) => o.name));
    for (const w of m.weights) {
      if (w.consumers.length || (w.graph === '' && outputs.has(w.name))) continue;
      this.detach(m.entry(w.id)!);
      removed.push(w.id);
    }
    if (removed.length) this.dirty = true;
    return removed;
  }

  /** Drops value_info of intermediate tensors (their shapes go stale when dims change). */
  clearValueInfo(): void {
    const clear = (g: GraphProto): void => {
      g.valueInfo = [];
      for (const n of g.node) for (const a of n.attribute) {
        if (a.g) clear(a.g);
        for (const sg of a.graphs) clear(sg);
      }
    };
    if (this.model.proto.graph) clear(this.model.proto.graph);
    this.dirty = true;
  }

  /** Sets (or adds) a metadata_props entry. */
  setMetadata(key: string, value: string): void {
    const p = this.model.proto.metadataProps.find((x) => x.key === key);
    if (p) p.value = value;
    else this.model.proto.metadataProps.push(create(StringStringEntryProtoSchema, { key, value }));
  }

  /** Writes the edited model (atomically); external data past 2 GB. */
  save(file: string, opts?: OnnxSaveOptions): SaveResult {
    return saveOnnx(this.current(), file, opts);
  }

  /** Closes the files the model reads from. */
  close(): void {
    this.model.close();
  }

  private entry(id: string): OnnxWeightEntry {
    const e = this.current().entry(id);
    if (!e) throw new TwinforgeError('NOT_FOUND', `No weight "${id}" in the model.`, 'List the weights with `twinforge inspect MODEL --json`.');
    return e;
  }

  // Takes a weight out of its graph (initializer, sparse initializer, or Constant node) and out of graph inputs.
  private detach(e: OnnxWeightEntry): void {
    const g = e.graphProto;
    if (e.source === 'initializer') g.initializer = g.initializer.filter((t) => t !== e.tensor);
    else if (e.source === 'sparse_initializer') g.sparseInitializer = g.sparseInitializer.filter((s) => s !== e.sparse);
    else g.node = g.node.filter((n) => n !== e.node);
    g.input = g.input.filter((v) => v.name !== e.name);
    g.valueInfo = g.valueInfo.filter((v) => v.name !== e.name);
  }

  // Keeps graph inputs / value_info that name a weight in step with its new dtype and dims.
  private retype(g: GraphProto, name: string, dtype: DType, dims: number[]): void {
    const fix = (list: ValueInfoProto[]): void => {
      for (const v of list) if (v.name === name) v.type = valueInfo(name, dtype, dims).type;
    };
    fix(g.input);
    fix(g.valueInfo);
  }

  // A name no graph of the model uses yet.
  private unique(base: string): string {
    if (!this.names) {
      this.names = new Set();
      const add = (g: GraphProto): void => {
        for (const t of g.initializer) this.names!.add(t.name);
        for (const v of [...g.input, ...g.output, ...g.valueInfo]) this.names!.add(v.name);
        for (const n of g.node) {
          for (const o of n.output) this.names!.add(o);
          if (n.name) this.names!.add(n.name);
          for (const a of n.attribute) {
            if (a.g) add(a.g);
            for (const sg of a.graphs) add(sg);
          }
        }
      };
      if (this.model.proto.graph) add(this.model.proto.graph);
    }
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }
}

function replaceConstantValue(e: OnnxWeightEntry, fresh: TensorProto): void {
  const n = e.node!;
  const attr = makeNode('Constant', [], [], { value: fresh }).attribute[0] as AttributeProto;
  n.attribute = [...n.attribute.filter((a) => a !== e.attr), attr];
}

// Points every reader of `from` (in this graph and the subgraphs that see it) at `to`.
function renameReaders(g: GraphProto, from: string, to: string): void {
  for (const n of g.node) {
    n.input = n.input.map((i) => (i === from ? to : i));
    for (const a of n.attribute) {
      if (a.g && !defines(a.g, from)) renameReaders(a.g, from, to);
      for (const sg of a.graphs) if (!defines(sg, from)) renameReaders(sg, from, to);
    }
  }
}

function defines(g: GraphProto, name: string): boolean {
  return g.initializer.some((t) => t.name === name) || g.input.some((v) => v.name === name) || g.node.some((n) => n.output.includes(name));
}

function stillRead(g: GraphProto, name: string): boolean {
  if (g.output.some((o) => o.name === name)) return true;
  for (const n of g.node) {
    if (n.input.includes(name)) return true;
    for (const a of n.attribute) {
      if (a.g && stillRead(a.g, name)) return true;
      if (a.graphs.some((sg) => stillRead(sg, name))) return true;
    }
  }
  return false;
}

