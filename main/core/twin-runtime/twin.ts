// loadTwin(dir): the deployable runtime of a twin folder (format.ts). Checks every file against
// the manifest's sha256 before parsing anything, partitions the graph (partition.ts), opens one
// onnxruntime-node session per ONNX Runtime segment and one SparseLayer per ai.twinforge node,
// and runs them in order. Tensors pass between stages as they are: ORT's output Float32Arrays go
// to the sparse kernels as views and the kernels' outputs go back to ORT wrapped, not copied
// (only a 1x1 convolution's NCHW activation is transposed to rows of channels and back).
// Threads: ORT's intra-op pool and the addon's pool get the same count (runtime/threads.ts) and
// never run at once (stages are sequential, ORT does not spin between runs).
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, ModelProtoSchema, TypeProtoSchema, TypeProto_TensorSchema, ValueInfoProtoSchema, type ModelProto, type NodeProto, type ValueInfoProto } from 'onnx-buf';
import { TwinforgeError, badInput } from '../errors';
import { loadAddon } from '../native/addon';
import { timingSessionOptions } from '../hardware/ort-time';
import { defaultThreads } from '../runtime/threads';
import { MANIFEST_FILE, TWIN_FORMAT, decodeTwsp, sha256, type TwinManifest } from './format';
import { isSparseNode, partition, type OrtStage, type Stage } from './partition';
import { SparseLayer } from './sparse-layer';

export interface LoadTwinOptions {
  /** Intra-op threads of ORT and of the addon (default: runtime/threads.ts). */
  threads?: number;
}

/** ONNX element types of the ORT tensor types a segment boundary can carry. */
const ELEM: Record<string, number> = { float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13 };

const corrupt = (what: string, hint = 'Export the twin again; never edit the folder by hand.') => new TwinforgeError('CORRUPT_MODEL', what, hint);

function readManifest(dir: string): TwinManifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TwinforgeError('NOT_FOUND', `Twin folder not found: ${dir}`, 'Give the folder a Twinforge-target export wrote (it holds manifest.json).');
  if (!existsSync(file)) throw new TwinforgeError('NOT_FOUND', `${dir} has no ${MANIFEST_FILE}: not a Twinforge twin folder`, 'Export the twin for a Twinforge target (twinforge compress --target ...:twinforge-cpu) or run a plain .onnx file instead.');
  let m: TwinManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as TwinManifest;
  } catch (e) {
    throw corrupt(`${file} is not JSON: ${(e as Error).message}`);
  }
  if (m?.format !== TWIN_FORMAT) throw corrupt(`${file} is not a twin manifest (format '${String(m?.format)}', expected '${TWIN_FORMAT}')`);
  if (m.version !== 1) throw new TwinforgeError('UNSUPPORTED', `${file}: twin format version ${m.version} is newer than this runtime reads (1)`, 'Update Twinforge.');
  if (typeof m.files !== 'object' || !m.files || !Array.isArray(m.layers)) throw corrupt(`${file} lacks its file list or layers`);
  for (const f of [m.model, m.weights]) if (typeof f !== 'string' || !m.files[f]) throw corrupt(`${file} does not list a hash for '${String(f)}'`);
  return m;
}

/** Reads a file the manifest lists and refuses it unless its sha256 matches. */
function verified(dir: string, m: TwinManifest, name: string): Uint8Array {
  if (path.basename(name) !== name || name.startsWith('.')) throw corrupt(`manifest names '${name}', which is not a plain file name in the twin folder`);
  const file = path.join(dir, name);
  if (!existsSync(file)) throw new TwinforgeError('NOT_FOUND', `The twin folder lacks ${name}, which its manifest lists`, 'Copy the whole folder.');
  const bytes = readFileSync(file);
  const want = m.files[name];
  const got = sha256(bytes);
  if (typeof want?.sha256 !== 'string' || got !== want.sha256.toLowerCase()) {
    throw corrupt(`${file} does not match the twin's manifest (sha256 ${got.slice(0, 16)}…, manifest says ${String(want?.sha256).slice(0, 16)}…): the folder was changed after export`, 'Refusing to run a tampered or damaged twin. Export it again, or restore the original files.');
  }
  return bytes;
}

interface OrtSegment {
  stage: OrtStage;
  session?: ort.InferenceSession;
}

export class Twin {
  readonly inputNames: string[];
  readonly outputNames: string[];
  readonly threads: number;
  private readonly layers = new Map<string, SparseLayer>();
  private readonly segments = new Map<OrtStage, OrtSegment>();
  private released = false;

  constructor(
    readonly dir: string,
    readonly manifest: TwinManifest,
    private readonly model: ModelProto,
    readonly stages: Stage[],
    layers: Map<string, SparseLayer>,
    threads: number,
  ) {
    const g = model.graph!;
    const inits = new Set(g.initializer.map((t) => t.name));
    this.inputNames = g.input.filter((i) => !inits.has(i.name)).map((i) => i.name);
    this.outputNames = g.output.map((o) => o.name);
    this.layers = layers;
    this.threads = threads;
    for (const s of stages) if (s.kind === 'ort') this.segments.set(s, { stage: s });
  }

  /** The ONNX Runtime tensor type the model declares for an input (undefined when undeclared). */
  inputType(name: string): ort.Tensor.Type | undefined {
    const v = this.model.graph!.input.find((i) => i.name === name)?.type?.value;
    if (v?.case !== 'tensorType') return undefined;
    return Object.entries(ELEM).find(([, e]) => e === v.value.elemType)?.[0] as ort.Tensor.Type | undefined;
  }

  /** Summary of how the graph runs: ORT segments and Twinforge sparse layers, in order. */
  get plan(): { ortSegments: number; sparseLayers: number; kernels: string[]; stages: { kind: Stage['kind']; nodes: number }[] } {
    return {
      ortSegments: this.stages.filter((s) => s.kind === 'ort').length,
      sparseLayers: this.layers.size,
      // per sparse layer, in the manifest's order: which kernel runs it (e.g. 'sp24 fp16')
      kernels: [...this.layers.values()].map((l) => l.kernel),
      stages: this.stages.map((s) => ({ kind: s.kind, nodes: s.nodes.length })),
    };
  }

  private tensorType(name: string, elemType: number): ValueInfoProto {
    const tt = create(TypeProto_TensorSchema, { elemType });
    return create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: tt } }) });
  }

  /** The declared type of a segment input: graph inputs / value_info, or float32 for a sparse layer's output. */
  private declaredInput(name: string): ValueInfoProto | undefined {
    const g = this.model.graph!;
    const d = [...g.input, ...g.valueInfo].find((v) => v.name === name && v.type);
    if (d) return d;
    if (g.node.some((n) => isSparseNode(n) && n.output[0] === name)) return this.tensorType(name, 1);
    return undefined;
  }

  /** Opens now every segment whose input types are known without running (errors surface at load). */
  async prepare(): Promise<void> {
    for (const seg of this.segments.values()) {
      if (seg.stage.inputs.every((i) => this.declaredInput(i))) await this.openSegment(seg, new Map());
    }
  }

  /** One ORT segment as its own ONNX model; undeclared boundary inputs typed from the tensors that arrive. */
  private async openSegment(seg: OrtSegment, env: Map<string, ort.Tensor>): Promise<ort.InferenceSession> {
    if (seg.session) return seg.session;
    const g = this.model.graph!;
    const declared = new Map<string, ValueInfoProto>([...g.valueInfo, ...g.output].map((v) => [v.name, v]));
    const input = seg.stage.inputs.map((name) => this.declaredInput(name) ?? this.tensorType(name, ELEM[env.get(name)!.type] ?? 0));
    const output = seg.stage.outputs.map((name) => declared.get(name) ?? create(ValueInfoProtoSchema, { name }));
    const keep = new Set(seg.stage.initializers);
    const graph = create(GraphProtoSchema, {
      name: `${g.name || 'twin'}_segment`,
      node: seg.stage.nodes,
      input,
      output,
      initializer: g.initializer.filter((t) => keep.has(t.name)),
      valueInfo: g.valueInfo,
    });
    const sub = create(ModelProtoSchema, { ...this.model, graph });
    try {
      seg.session = await ort.InferenceSession.create(toBinary(ModelProtoSchema, sub), timingSessionOptions(this.threads));
    } catch (e) {
      throw new TwinforgeError('UNSUPPORTED', `ONNX Runtime cannot run a segment of the twin (${seg.stage.nodes.map((n) => n.opType).slice(0, 5).join(', ')}…): ${(e as Error).message.split('\n')[0]}`, 'The graph around the sparse layers must be runnable by ONNX Runtime 1.30 on its own.');
    }
    return seg.session;
  }

  private runSparse(n: NodeProto, env: Map<string, ort.Tensor>): void {
    const layer = this.layers.get(n.name)!;
    const x = env.get(n.input[0]);
    if (!x) throw new TwinforgeError('INTERNAL', `sparse layer '${n.name}' ran before its input '${n.input[0]}' existed`);
    if (x.type !== 'float32') throw badInput(`Sparse layer '${n.name}' needs float32 input, got ${x.type}`);
    const axisAttr = n.attribute.find((a) => a.name === 'axis');
    const axis = axisAttr ? Number(axisAttr.i) : -1;
    const dims = [...x.dims];
    const data = x.data as Float32Array;
    if (axis === -1) {
      if (dims[dims.length - 1] !== layer.cols) throw badInput(`Sparse layer '${n.name}' expects ${layer.cols} features in the last dimension, got shape [${dims.join(', ')}]`, 'Check the input shapes against the model\'s inputs.');
      const batch = dims.length ? data.length / layer.cols : 1;
      env.set(n.output[0], new ort.Tensor('float32', layer.forward(data, batch), [...dims.slice(0, -1), layer.rows]));
      return;
    }
    // 1x1 convolution, NCHW: rows of channels per pixel, then back.
    if (dims.length < 2 || dims[1] !== layer.cols) throw badInput(`Sparse 1x1 convolution '${n.name}' expects ${layer.cols} channels on axis 1, got shape [${dims.join(', ')}]`);
    const N = dims[0];
    const C = layer.cols;
    const O = layer.rows;
    const hw = dims.slice(2).reduce((a, b) => a * b, 1);
    let xt = data;
    if (hw > 1) {
      xt = new Float32Array(data.length);
      for (let b = 0; b < N; b++) for (let c = 0; c < C; c++) {
        const src = (b * C + c) * hw;
        for (let p = 0; p < hw; p++) xt[(b * hw + p) * C + c] = data[src + p];
      }
    }
    const yt = layer.forward(xt, N * hw);
    let y = yt;
    if (hw > 1) {
      y = new Float32Array(yt.length);
      for (let b = 0; b < N; b++) for (let p = 0; p < hw; p++) {
        const src = (b * hw + p) * O;
        for (let o = 0; o < O; o++) y[(b * O + o) * hw + p] = yt[src + o];
      }
    }
    env.set(n.output[0], new ort.Tensor('float32', y, [N, O, ...dims.slice(2)]));
  }

  /** Runs the twin on feeds (every model input); returns every graph output. */
  async run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
    if (this.released) throw badInput('This twin was released.', 'Load it again with loadTwin(dir).');
    if (typeof feeds !== 'object' || feeds === null) throw badInput('twin.run(feeds): feeds must be an object of input name -> Tensor');
    for (const name of this.inputNames) {
      const t = feeds[name] as Partial<ort.Tensor> | undefined;
      // duck-typed: a Tensor from another copy of onnxruntime-common is just as good
      if (!t || typeof t.type !== 'string' || !Array.isArray(t.dims) || t.data === undefined) throw badInput(`twin.run: input '${name}' is missing or not an onnxruntime Tensor`, `The twin's inputs are ${this.inputNames.join(', ')}.`);
    }
    for (const name of Object.keys(feeds)) if (!this.inputNames.includes(name)) throw badInput(`twin.run: '${name}' is not an input of the twin`, `The twin's inputs are ${this.inputNames.join(', ')}.`);
    const env = new Map<string, ort.Tensor>(Object.entries(feeds));
    const addon = loadAddon();
    const before = addon.threads();
    if (before !== this.threads) addon.setThreads(this.threads);
    try {
      for (const s of this.stages) {
        if (s.kind === 'sparse') {
          for (const n of s.nodes) this.runSparse(n, env);
          continue;
        }
        const seg = this.segments.get(s)!;
        const session = await this.openSegment(seg, env);
        const sf: Record<string, ort.Tensor> = {};
        for (const i of s.inputs) sf[i] = env.get(i)!;
        let out: ort.InferenceSession.OnnxValueMapType;
        try {
          out = await session.run(sf);
        } catch (e) {
          throw badInput(`ONNX Runtime failed on a segment of the twin: ${(e as Error).message.split('\n')[0]}`, 'Check the input shapes and types against the model\'s inputs.');
        }
        for (const [k, v] of Object.entries(out)) env.set(k, v as ort.Tensor);
      }
    } finally {
      if (before !== this.threads) addon.setThreads(before);
    }
    const result: Record<string, ort.Tensor> = {};
    for (const o of this.outputNames) {
      const t = env.get(o);
      if (!t) throw new TwinforgeError('INTERNAL', `twin output '${o}' was not produced`);
      result[o] = t;
    }
    return result;
  }

  /** Releases the ORT sessions. */
  async release(): Promise<void> {
    this.released = true;
    for (const s of this.segments.values()) await s.session?.release().catch(() => undefined);
  }
}

/** Loads a twin folder: files checked against the manifest's sha256, graph partitioned, sessions opened. */
export async function loadTwin(dir: string, opts: LoadTwinOptions = {}): Promise<Twin> {
  if (typeof dir !== 'string' || !dir) throw badInput('loadTwin(dir): dir must be the path of a twin folder');
  const root = path.resolve(dir);
  const threads = opts.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw badInput(`threads must be an integer in [1, 1024], got ${threads}`);
  const manifest = readManifest(root);
  const modelBytes = verified(root, manifest, manifest.model);
  const weightBytes = verified(root, manifest, manifest.weights);
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, modelBytes);
  } catch (e) {
    throw corrupt(`${manifest.model} is not a readable ONNX model: ${(e as Error).message}`);
  }
  if (!model.graph) throw corrupt(`${manifest.model} has no graph`);
  const twsp = decodeTwsp(weightBytes, manifest.weights);
  const byName = new Map(twsp.layers.map((l) => [l.name, l]));
  const layers = new Map<string, SparseLayer>();
  const sparseNodes = model.graph.node.filter(isSparseNode);
  if (sparseNodes.length !== manifest.layers.length) throw corrupt(`${manifest.model} has ${sparseNodes.length} sparse layers, the manifest lists ${manifest.layers.length}`);
  for (const n of sparseNodes) {
    const info = manifest.layers.find((l) => l.node === n.name);
    const layerAttr = n.attribute.find((a) => a.name === 'layer');
    const layerName = layerAttr ? new TextDecoder().decode(layerAttr.s) : '';
    if (!info || info.layer !== layerName) throw corrupt(`sparse node '${n.name}' is not in the manifest (or names another layer)`);
    const l = byName.get(layerName);
    if (!l) throw corrupt(`${manifest.weights} holds no layer '${layerName}'`);
    layers.set(n.name, new SparseLayer(info, l, twsp.section));
  }
  const stages = partition(model.graph);
  const twin = new Twin(root, manifest, model, stages, layers, threads);
  await twin.prepare();
  return twin;
}
