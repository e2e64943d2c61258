// Structured pruning of an ONNX model by dependency groups: build the groups, score each group's
// channels (summed over its members), allocate removals (uniform or global), remove them
// physically, and optionally re-fit the layers that read them by least squares. Returns the
// honest per-group account: channels before -> after, or the reason and the blocking node.
import type { ModelEditor } from '../model/onnx/editor';
import type { NodeInfo } from '../model/ir';
import type { Dataset } from '../data/dataset';
import { runPass } from './calibration';
import { tensorProto } from '../model/onnx/build';
import type { OnnxModel } from '../model/onnx/reader';
import { buildGroups, type ChannelGroup } from '../methods/structured/depgraph';
import { allocate, groupScores, type Allocation, type Importance } from '../methods/structured/importance';
import { entriesOf, removeGroupChannels } from '../methods/structured/apply';
import { convRows, denseRows, residual, solveRidge, type FitProblem } from '../methods/structured/refit';
import { rng } from '../runtime/inputs';

export interface StructuredOptions {
  /** Share of channels to remove per group (the producers' level). */
  sparsity: (producer: string) => number | undefined;
  importance: Importance;
  allocation: Allocation;
  refit: boolean;
  seed: number;
  /** Calibration data (Wanda norms, re-fit); loaded on first need. */
  calibration?: () => Dataset;
  batchSize?: number;
  tmpDir?: string;
  log?: (line: string) => void;
  /** Rows sampled per layer for the re-fit. */
  refitRows?: number;
  /**
   * Keep channel counts a multiple of this in groups of at least twice as many that already are
   * (default 8: ONNX Runtime's blocked NCHWc convolutions want multiples of 8 and run other
   * counts through slower reorders); 1 = the exact level everywhere.
   */
  roundTo?: number;
}

export interface GroupReport {
  id: number;
  channels: number;
  after: number;
  producers: string[];
  consumers: string[];
  removed: boolean;
  reason?: string;
  node?: string;
}

export interface RefitReport {
  layer: string;
  /** Relative residual ‖ŷ − y‖/‖y‖ of the layer's output on calibration rows: plain removal, re-fit. */
  plain: number;
  refit: number;
  applied: boolean;
}

export interface StructuredResult {
  groups: GroupReport[];
  refit: RefitReport[];
  /** Shared initializers copied so each reader could be sliced its own way. */
  duplicated: string[];
}

const FIT_OPS = new Set(['Conv', 'Gemm', 'MatMul']);

/** Prunes the editor's model in place. */
export async function pruneStructured(editor: ModelEditor, opts: StructuredOptions): Promise<StructuredResult> {
  const ir = editor.current();
  const groups = buildGroups(ir);
  const reports = new Map<number, GroupReport>();
  const chosen: ChannelGroup[] = [];
  const level = new Map<number, number>();
  for (const g of groups) {
    const r: GroupReport = { id: g.id, channels: g.channels, after: g.channels, producers: g.producers, consumers: g.consumers, removed: false };
    reports.set(g.id, r);
    if (g.blocked) {
      r.reason = g.blocked.reason;
      r.node = g.blocked.node;
      continue;
    }
    const levels = g.producers.map((p) => opts.sparsity(p));
    const left = g.producers.find((_, k) => levels[k] === undefined);
    if (left) {
      r.reason = 'a layer of the group is not in the stage (excluded or skipped)';
      r.node = left;
      continue;
    }
    const s = (levels as number[]).reduce((a, b) => a + b, 0) / levels.length;
    if (!(s > 0)) {
      r.reason = 'level 0';
      continue;
    }
    level.set(g.id, s);
    chosen.push(g);
  }
  const needNorms = opts.importance === 'wanda';
  let norms: Map<string, Float32Array> | undefined;
  if (needNorms && chosen.length) norms = await inputNorms(editor, chosen, opts);
  const rand = rng(opts.seed);
  const scores = new Map(chosen.map((g) => [g.id, groupScores(g, opts.importance, norms, rand)]));
  const keep = allocate(chosen, scores, { allocation: opts.allocation, sparsity: (g) => level.get(g.id)!, roundTo: opts.roundTo ?? 8 });

  // Removed entries per (node, input, axis): what the re-fit needs to know about each reader.
  const removed = new Map<string, Map<number, Set<number>>>();
  for (const g of chosen) {
    const k = new Set(keep.get(g.id)!);
    for (const m of g.members) {
      const key = `${m.node.name}\u0000${m.input}`;
      const byAxis = removed.get(key) ?? new Map<number, Set<number>>();
      removed.set(key, byAxis);
      const set = byAxis.get(m.axis) ?? new Set<number>();
      byAxis.set(m.axis, set);
      for (let c = 0; c < g.channels; c++) if (!k.has(c)) for (const e of entriesOf(m, c)) set.add(e);
    }
  }
  const fits = opts.refit && opts.calibration ? await collectFits(editor, chosen, keep, removed, opts) : [];
  const { duplicated } = removeGroupChannels(editor, chosen, keep);
  for (const g of chosen) {
    const r = reports.get(g.id)!;
    r.after = keep.get(g.id)!.length;
    r.removed = r.after < r.channels;
    if (!r.removed) r.reason = 'no channel fell below the allocation';
  }
  const refit = fits.length ? applyFits(editor, fits) : [];
  editor.removeUnused();
  return { groups: [...reports.values()], refit, duplicated };
}

const channelAxis = (n: NodeInfo, rank: number): number => (n.op === 'Conv' && rank >= 3 ? 1 : rank - 1);

/** Per-entry L2 norms of the channel axis of the inputs the groups' layers read (Wanda). */
async function inputNorms(editor: ModelEditor, groups: ChannelGroup[], opts: StructuredOptions): Promise<Map<string, Float32Array>> {
  const nodeOf = new Map<string, NodeInfo>();
  for (const g of groups) for (const m of g.members) if (m.kind === 'in' || m.kind === 'out') nodeOf.set(m.node.inputs[0], m.node);
  const sums = new Map<string, Float64Array>();
  await runPass(editor, opts.calibration!(), [...nodeOf.keys()], { batchSize: opts.batchSize ?? 8, tmpDir: opts.tmpDir ?? '/tmp' }, async (acts) => {
    for (const [t, a] of acts) {
      const ax = channelAxis(nodeOf.get(t)!, a.dims.length);
      const C = a.dims[ax];
      const inner = a.dims.slice(ax + 1).reduce((x, y) => x * y, 1);
      let s = sums.get(t);
      if (!s) sums.set(t, (s = new Float64Array(C)));
      for (let i = 0; i < a.data.length; i++) s[Math.floor(i / inner) % C] += a.data[i] * a.data[i];
    }
  }, { stats: new Map(), ranges: new Map(), missing: new Map(), passes: 0, batches: 0, ortMs: 0, nativeMs: 0, ioMs: 0 });
  return new Map([...sums].map(([t, s]) => [t, Float32Array.from(s, Math.sqrt)]));
}

interface Fit {
  node: string;
  op: string;
  problem: FitProblem;
  keepIn: number[];
  keepOut: number[];
}

/** Samples, on the parent, each re-fittable reader's kept inputs and kept outputs. */
async function collectFits(editor: ModelEditor, groups: ChannelGroup[], keep: Map<number, number[]>, removed: Map<string, Map<number, Set<number>>>, opts: StructuredOptions): Promise<Fit[]> {
  const readers = new Map<string, NodeInfo>();
  for (const g of groups) {
    if (keep.get(g.id)!.length === g.channels) continue;
    for (const m of g.members) if (m.kind === 'in' && FIT_OPS.has(m.node.op)) readers.set(m.node.name, m.node);
  }
  const plans: { node: NodeInfo; keepIn: number[]; keepOut: number[]; inAxis: number; outAxis: number; wDims: number[] }[] = [];
  const ir = editor.current();
  for (const n of readers.values()) {
    const w = ir.weights.find((x) => x.graph === '' && x.name === n.inputs[1]);
    if (!w) continue;
    if (n.op === 'Conv' && (w.dims.length !== 4 || (typeof n.attributes.group === 'number' && n.attributes.group !== 1))) continue;
    if (n.op === 'Gemm' && ((n.attributes.alpha ?? 1) !== 1 || (n.attributes.beta ?? 1) !== 1)) continue;
    const tb = n.op === 'Gemm' && n.attributes.transB === 1;
    const inAxis = n.op === 'Conv' || tb ? 1 : 0;
    const outAxis = n.op === 'Conv' || tb ? 0 : 1;
    const gone = removed.get(`${n.name}\u00001`);
    const keepOf = (axis: number) => Array.from({ length: w.dims[axis] }, (_, i) => i).filter((i) => !gone?.get(axis)?.has(i));
    plans.push({ node: n, keepIn: keepOf(inAxis), keepOut: keepOf(outAxis), inAxis, outAxis, wDims: [...w.dims] });
  }
  if (!plans.length) return [];
  const maxRows = opts.refitRows ?? 4096;
  const data = opts.calibration!();
  const batches = Math.max(1, Math.ceil(data.count / (opts.batchSize ?? 8)));
  const per = Math.ceil(maxRows / batches);
  const pick = rng(opts.seed + 1);
  const acc = plans.map(() => ({ x: [] as Float32Array[], y: [] as Float32Array[], rows: 0 }));
  const tensors = [...new Set(plans.flatMap((p) => [p.node.inputs[0], p.node.outputs[0]]))];
  await runPass(editor, data, tensors, { batchSize: opts.batchSize ?? 8, tmpDir: opts.tmpDir ?? '/tmp' }, async (acts) => {
    plans.forEach((p, k) => {
      const x = acts.get(p.node.inputs[0]);
      const y = acts.get(p.node.outputs[0]);
      if (!x || !y) return;
      let part;
      if (p.node.op === 'Conv') {
        const a = p.node.attributes;
        const num = (v: unknown, d: number[]) => (Array.isArray(v) ? (v as number[]) : d);
        const pads = num(a.pads, [0, 0, 0, 0]);
        part = convRows(x.data, x.dims, y.data, y.dims, { kernel: [p.wDims[2], p.wDims[3]], strides: num(a.strides, [1, 1]), pads: [pads[0], pads[1]], dilations: num(a.dilations, [1, 1]) }, p.keepIn, p.keepOut, per, pick);
      } else {
        const inF = p.wDims[p.inAxis];
        const outF = p.wDims[p.outAxis];
        part = denseRows(x.data, inF, y.data, outF, p.keepIn, p.keepOut, per, pick);
      }
      acc[k].x.push(part.x);
      acc[k].y.push(part.y);
      acc[k].rows += part.rows;
    });
  }, { stats: new Map(), ranges: new Map(), missing: new Map(), passes: 0, batches: 0, ortMs: 0, nativeMs: 0, ioMs: 0 });
  const cat = (xs: Float32Array[]) => {
    const out = new Float32Array(xs.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const x of xs) (out.set(x, o), (o += x.length));
    return out;
  };
  return plans.flatMap((p, k) => {
    const a = acc[k];
    if (!a.rows) return [];
    const features = p.node.op === 'Conv' ? p.keepIn.length * p.wDims[2] * p.wDims[3] : p.keepIn.length;
    return [{ node: p.node.name, op: p.node.op, keepIn: p.keepIn, keepOut: p.keepOut, problem: { x: cat(a.x), y: cat(a.y), rows: a.rows, features, outputs: p.keepOut.length, intercept: p.node.op !== 'MatMul' } }];
  });
}

/** Solves each fit on the pruned model's layers; keeps the re-fit where it lowers the residual. */
function applyFits(editor: ModelEditor, fits: Fit[]): RefitReport[] {
  const out: RefitReport[] = [];
  for (const f of fits) {
    const ir = editor.current();
    const n = ir.nodes.find((x) => x.graph === '' && x.name === f.node);
    const w = n && ir.weights.find((x) => x.graph === '' && x.name === n.inputs[1]);
    if (!n || !w) continue;
    const b = n.inputs[2] ? ir.weights.find((x) => x.graph === '' && x.name === n.inputs[2]) : undefined;
    const O = f.keepOut.length;
    const F = f.problem.features;
    const tb = n.op === 'Gemm' && n.attributes.transB === 1;
    const rowsMajor = n.op === 'Conv' || tb; // weight stored [out, features]
    // The plain (sliced) weights as β, to measure plain removal the same way.
    const wd = w.float32();
    const plain = new Float64Array((F + (f.problem.intercept ? 1 : 0)) * O);
    for (let o = 0; o < O; o++) for (let j = 0; j < F; j++) plain[j * O + o] = rowsMajor ? wd[o * F + j] : wd[j * O + o];
    const bd = b?.float32();
    if (f.problem.intercept) for (let o = 0; o < O; o++) plain[F * O + o] = bd ? bd[o] : 0;
    const beta = solveRidge(f.problem);
    const rPlain = residual(f.problem, plain);
    const rFit = residual(f.problem, beta);
    const applied = rFit < rPlain;
    out.push({ layer: w.id, plain: rPlain, refit: rFit, applied });
    if (!applied) continue;
    const nw = new Float32Array(w.numel);
    for (let o = 0; o < O; o++) for (let j = 0; j < F; j++) nw[rowsMajor ? o * F + j : j * O + o] = beta[j * O + o];
    editor.setTensor(w.id, nw);
    if (!f.problem.intercept) continue;
    const nb = Float32Array.from({ length: O }, (_, o) => beta[F * O + o]);
    if (b && b.consumers.length === 1) editor.setTensor(b.id, nb);
    else {
      const model = editor.current() as OnnxModel;
      const node = model.walked.protoOf.get(model.nodes.find((x) => x.graph === '' && x.name === f.node)!)!;
      const g = model.proto.graph!;
      let name = `${w.name}_refit_bias`;
      for (let k = 1; g.initializer.some((t) => t.name === name); k++) name = `${w.name}_refit_bias_${k}`;
      g.initializer.push(tensorProto(name, w.dtype, [O], nb));
      while (node.input.length < 3) node.input.push('');
      node.input[2] = name;
      editor.clearValueInfo();
    }
  }
  return out;
}
