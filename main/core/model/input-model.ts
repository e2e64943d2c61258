// The input model of a graph: decided once, in the engine, for every model input — what it is
// (features, token ids, an attention mask, recurrent state, a scalar control value), which of its
// dims is the batch, which are fixed, and which are still unresolved. Every stage that feeds the
// model (calibration, evaluation, latency, estimates, sensitivity) takes its shapes from here,
// so no dynamic dim is ever silently set to 1: batch-like dims default to 1 (one request at a
// time), every other unresolved dim must come from the user (shape editor, --input-shape, --dim)
// or from the data's own shapes.
import { badInput } from '../errors';

export type InputRole = 'features' | 'token-ids' | 'mask' | 'state' | 'control';

/** A model input as the graph declares it (dims: numbers, symbolic names, or null when unknown). */
export interface DeclaredInput {
  name: string;
  /** Element type as ONNX / ORT spell it: float32, int64, bool, ... */
  dtype: string;
  dims: Array<number | string | null> | null;
}

/** The graph facts the input model needs: nodes (op, inputs) and the dims of constant tensors. */
export interface GraphFacts {
  inputs: DeclaredInput[];
  nodes: Array<{ op: string; inputs: string[]; outputs: string[]; attributes?: Record<string, unknown> }>;
  /** Dims of initializers by name (embedding tables give the vocabulary size). */
  constDims: Map<string, number[]>;
}

export type DimKind = 'fixed' | 'batch' | 'given' | 'unresolved';

export interface DimPlan {
  axis: number;
  /** What the model declares: a number, a symbolic name, or null. */
  declared: number | string | null;
  kind: DimKind;
  /** The value used (undefined while unresolved). */
  value?: number;
}

export interface InputPlan {
  name: string;
  dtype: string;
  role: InputRole;
  /** Why the role was chosen, for the warning a user reads. */
  why: string;
  /** The axis that counts samples, or null (the whole tensor is one sample, e.g. fixed state). */
  batchAxis: number | null;
  dims: DimPlan[];
  /** Token ids: ids are drawn from [0, vocab). */
  vocab?: number;
  /** Control inputs: the value the user gave (every element set to it). */
  value?: number;
  /**
   * Masks: what "nothing hidden" is for this mask. 'ones' for a keep-mask (1 = attend: integer or
   * boolean masks, float masks multiplied in); 'zeros' for an additive float mask (added to the
   * attention scores: 0 = attend); 'causal' for a square additive mask, which a decoder expects to
   * hide the future (0 on and below the diagonal, a large negative above it).
   */
  maskFill?: MaskFill;
}

export type MaskFill = 'ones' | 'zeros' | 'causal';

export interface InputModel {
  inputs: InputPlan[];
  /** The symbolic dim that is the batch, when the graph has one. */
  batchSymbol?: string;
  /** A batch fixed by the model (every batch-carrying input's dim 0 is this number). */
  fixedBatch?: number;
  /** Dims nobody resolved: name them to the user, never guess. */
  unresolved: Array<{ input: string; axis: number; declared: string | null }>;
  /** Control inputs without a value. */
  missingValues: string[];
}

export interface InputModelOptions {
  /** Full shapes per input (batch included), from --input-shape / recipe inputShapes / the GUI. */
  inputShapes?: Record<string, number[]>;
  /** Values of symbolic dims by name ({ seq: 64 }), from --dim / recipe dims. */
  dims?: Record<string, number>;
  /** Values of control inputs by name, from --input-value / recipe inputValues. */
  inputValues?: Record<string, number>;
}

const BATCH_NAME = /^(n|b|bs|batch|batch_?size|batches|num_?batch\w*|unk__\d+_batch)$|batch/i;
const MASK_NAME = /mask/i;
const CAUSAL_NAME = /causal|tril|future/i;
const STATE_NAME = /^(h|c|hx|cx|h0|c0|h_0|c_0|state|states|hidden|hidden_?state|cell|initial_[hc]|past\w*|cache\w*)$/i;
const RECURRENT = new Set(['LSTM', 'GRU', 'RNN']);
const PASS = new Set(['Cast', 'Identity', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Expand']);
const INT_TYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64']);

/** Decides role, batch axis and dims of every input. Throws BAD_INPUT on a contradictory given shape. */
export function buildInputModel(g: GraphFacts, opts: InputModelOptions = {}): InputModel {
  const names = new Set(g.inputs.map((i) => i.name));
  for (const k of Object.keys(opts.inputShapes ?? {})) {
    if (!names.has(k)) throw badInput(`The input shape names '${k}', which is not an input of the model.`, `Inputs: ${[...names].join(', ') || '(none)'}.`);
  }
  for (const k of Object.keys(opts.inputValues ?? {})) {
    if (!names.has(k)) throw badInput(`The input value names '${k}', which is not an input of the model.`, `Inputs: ${[...names].join(', ') || '(none)'}.`);
  }
  const uses = consumersThroughPassOps(g);
  const roles = new Map<string, { role: InputRole; why: string; vocab?: number; recurrentBatchAxis?: number; maskFill?: MaskFill }>();
  for (const inp of g.inputs) roles.set(inp.name, decideRole(inp, uses.get(inp.name) ?? [], g));

  // The batch symbol: a symbolic dim with a batch-like name, else the leading symbolic dim shared
  // by the feature inputs, else the recurrent input's batch axis.
  const symbolic = (inp: DeclaredInput, axis: number): string | null => {
    const d = inp.dims?.[axis];
    return typeof d === 'string' && d ? d : null;
  };
  let batchSymbol: string | undefined;
  const allSymbols = g.inputs.flatMap((i) => (i.dims ?? []).filter((d): d is string => typeof d === 'string' && d !== ''));
  batchSymbol = allSymbols.find((s) => BATCH_NAME.test(s));
  if (!batchSymbol) {
    const counts = new Map<string, number>();
    for (const inp of g.inputs) {
      const r = roles.get(inp.name)!;
      const axis = r.recurrentBatchAxis ?? 0;
      const s = r.role === 'control' ? null : symbolic(inp, axis);
      if (s) counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    // The most shared leading symbol: a dim that leads several inputs is the batch.
    batchSymbol = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  }

  // A batch fixed by the model: no symbolic batch, and every non-state, non-control input of rank
  // >= 1 starts with the same positive number.
  let fixedBatch: number | undefined;
  if (!batchSymbol) {
    const leads = g.inputs
      .filter((i) => !['state', 'control'].includes(roles.get(i.name)!.role) && (i.dims?.length ?? 0) >= 1)
      .map((i) => i.dims![0]);
    if (leads.length && leads.every((d) => typeof d === 'number' && d > 0 && d === leads[0])) fixedBatch = leads[0] as number;
  }

  const unresolved: InputModel['unresolved'] = [];
  const missingValues: string[] = [];
  const inputs: InputPlan[] = g.inputs.map((inp) => {
    const r = roles.get(inp.name)!;
    const given = opts.inputShapes?.[inp.name];
    const declared = inp.dims ?? (given ? given.map(() => null) : []);
    if (given && inp.dims && given.length !== inp.dims.length) {
      throw badInput(`Input '${inp.name}' has rank ${inp.dims.length}; the shape given has ${given.length} dims.`, `The model declares [${inp.dims.map((d) => d ?? '?').join(', ')}].`);
    }
    let batchAxis: number | null = null;
    if (batchSymbol) {
      const a = declared.findIndex((d) => d === batchSymbol);
      batchAxis = a >= 0 ? a : null;
    } else if (fixedBatch !== undefined && r.role !== 'state' && r.role !== 'control' && declared.length >= 1) batchAxis = 0;
    const dims: DimPlan[] = declared.map((d, axis) => {
      if (typeof d === 'number' && d >= 0) {
        if (given && given[axis] !== d) throw badInput(`Input '${inp.name}' dim ${axis} is fixed at ${d} by the model; ${given[axis]} was given.`, `Keep ${d} there.`);
        return { axis, declared: d, kind: axis === batchAxis ? 'batch' : 'fixed', value: d };
      }
      const sym = typeof d === 'string' && d ? d : null;
      if (given) return { axis, declared: sym, kind: 'given', value: given[axis] };
      if (sym && opts.dims?.[sym] !== undefined) return { axis, declared: sym, kind: 'given', value: opts.dims[sym] };
      if (axis === batchAxis) return { axis, declared: sym, kind: 'batch', value: 1 };
      unresolved.push({ input: inp.name, axis, declared: sym });
      return { axis, declared: sym, kind: 'unresolved' };
    });
    const plan: InputPlan = { name: inp.name, dtype: inp.dtype, role: r.role, why: r.why, batchAxis, dims };
    if (r.vocab) plan.vocab = r.vocab;
    if (r.maskFill) plan.maskFill = r.maskFill;
    if (r.role === 'control') {
      const v = opts.inputValues?.[inp.name];
      if (v === undefined) missingValues.push(inp.name);
      else plan.value = v;
    } else if (opts.inputValues?.[inp.name] !== undefined) plan.value = opts.inputValues[inp.name];
    return plan;
  });
  return { inputs, ...(batchSymbol ? { batchSymbol } : {}), ...(fixedBatch !== undefined ? { fixedBatch } : {}), unresolved, missingValues };
}

/** Concrete shapes per input with the batch (where there is one) set to `batch`; undefined while dims are unresolved. */
export function concreteShapes(im: InputModel, batch = im.fixedBatch ?? 1): Record<string, number[]> | undefined {
  if (im.unresolved.length) return undefined;
  const out: Record<string, number[]> = {};
  for (const i of im.inputs) out[i.name] = i.dims.map((d) => (d.kind === 'batch' && typeof d.declared !== 'number' ? batch : d.value!));
  return out;
}

/** Human names of the unresolved dims: "'x' dim 2 (height)". */
export function describeUnresolved(im: InputModel): string[] {
  return im.unresolved.map((u) => `'${u.input}' dim ${u.axis}${u.declared ? ` (${u.declared})` : ''}`);
}

/** The BAD_INPUT every run raises while a dim is unresolved or a control input has no value. */
export function requireResolved(im: InputModel, what = 'This run', opts: { values?: boolean } = {}): void {
  if (im.unresolved.length) {
    throw badInput(
      `${what} needs the size of ${describeUnresolved(im).join(', ')}: the model leaves ${im.unresolved.length > 1 ? 'them' : 'it'} open and Twinforge never guesses.`,
      'Set the input shape (the shape editor on the Model step; inputShapes or dims in a recipe), or give real samples whose arrays carry the shape.',
      { unresolved: im.unresolved, example: cliExample(im) },
    );
  }
  if (im.missingValues.length && opts.values !== false) {
    throw badInput(
      `Input${im.missingValues.length > 1 ? 's' : ''} ${im.missingValues.map((n) => `'${n}'`).join(', ')} ${im.missingValues.length > 1 ? 'are' : 'is a'} scalar control value${im.missingValues.length > 1 ? 's' : ''} (it steers the graph, e.g. a sample rate or a flag): random values would run the wrong branch.`,
      'Give the value (input values on the Model step; inputValues in a recipe).',
      { missingValues: im.missingValues, example: im.missingValues.map((n) => `--input-value ${n}=VALUE`).join(' ') },
    );
  }
}

/** The command-line flags that would resolve the open dims (the CLI adds them to its hint). */
function cliExample(im: InputModel): string {
  return im.inputs
    .filter((i) => im.unresolved.some((u) => u.input === i.name))
    .map((i) => `--input-shape ${i.name}=${i.dims.map((d) => d.value ?? '?').join(',')}`)
    .join(' ');
}

/** One line per input role that is not plain features: what synthetic data will hold for it. */
export function roleWarnings(im: InputModel): string[] {
  const out: string[] = [];
  for (const i of im.inputs) {
    if (i.role === 'token-ids') out.push(`Input '${i.name}' holds token ids (${i.why}): synthetic ids are drawn from 0..${(i.vocab ?? 16) - 1}.`);
    else if (i.role === 'mask') out.push(`Input '${i.name}' is an attention mask (${i.why}): synthetic masks are ${maskFillWords(i.maskFill)}.`);
    else if (i.role === 'state') out.push(`Input '${i.name}' is recurrent state (${i.why}): it starts at zeros, as a fresh sequence does.`);
    else if (i.role === 'control') out.push(`Input '${i.name}' is a control value (${i.why}): it is set to ${i.value ?? '(not given)'} in every run.`);
  }
  return out;
}

/** Where each input's value goes, following pass-through ops (Cast, Unsqueeze, ...). */
function consumersThroughPassOps(g: GraphFacts): Map<string, Array<{ op: string; index: number; node: GraphFacts['nodes'][number] }>> {
  const byInput = new Map<string, Array<{ node: GraphFacts['nodes'][number]; index: number }>>();
  g.nodes.forEach((node) =>
    node.inputs.forEach((name, index) => {
      if (!name) return;
      const list = byInput.get(name) ?? [];
      list.push({ node, index });
      byInput.set(name, list);
    }),
  );
  const out = new Map<string, Array<{ op: string; index: number; node: GraphFacts['nodes'][number] }>>();
  for (const inp of g.inputs) {
    const found: Array<{ op: string; index: number; node: GraphFacts['nodes'][number] }> = [];
    const seen = new Set<string>();
    const stack = [inp.name];
    while (stack.length && found.length < 64) {
      const v = stack.pop()!;
      if (seen.has(v)) continue;
      seen.add(v);
      for (const u of byInput.get(v) ?? []) {
        if (PASS.has(u.node.op) && u.index === 0) stack.push(...u.node.outputs);
        else found.push({ op: u.node.op, index: u.index, node: u.node });
      }
    }
    out.set(inp.name, found);
  }
  return out;
}

function decideRole(
  inp: DeclaredInput,
  uses: Array<{ op: string; index: number; node: GraphFacts['nodes'][number] }>,
  g: GraphFacts,
): { role: InputRole; why: string; vocab?: number; recurrentBatchAxis?: number; maskFill?: MaskFill } {
  const rank = inp.dims?.length ?? -1;
  const isInt = INT_TYPES.has(inp.dtype);
  // Recurrent state: the initial_h / initial_c input of an LSTM / GRU / RNN.
  const rec = uses.find((u) => RECURRENT.has(u.op) && (u.index === 5 || u.index === 6));
  if (rec) {
    const layout = Number((rec.node.attributes?.layout as number | undefined) ?? 0);
    return { role: 'state', why: `initial ${rec.index === 5 ? 'hidden' : 'cell'} state of ${rec.op}`, recurrentBatchAxis: layout === 1 ? 0 : 1 };
  }
  const seq = uses.find((u) => RECURRENT.has(u.op) && u.index === 0);
  if (seq) {
    const layout = Number((seq.node.attributes?.layout as number | undefined) ?? 0);
    return { role: 'features', why: `sequence input of ${seq.op}`, recurrentBatchAxis: layout === 1 ? 0 : 1 };
  }
  if (!isInt && rank === 3 && STATE_NAME.test(inp.name)) return { role: 'state', why: `named like recurrent state` };
  // Token ids: integer indices into a constant table (an embedding).
  const gather = uses.find((u) => u.op === 'Gather' && u.index === 1 && g.constDims.has(u.node.inputs[0]));
  if (isInt && gather) {
    const table = g.constDims.get(gather.node.inputs[0])!;
    const axis = Number((gather.node.attributes?.axis as number | undefined) ?? 0);
    return { role: 'token-ids', why: `indices into the ${table.join('x')} table of a Gather`, vocab: table[axis < 0 ? axis + table.length : axis] };
  }
  if (MASK_NAME.test(inp.name)) return { role: 'mask', ...maskKind(inp, uses, isInt) };
  // Scalar controls: rank 0, or a single element, steering control flow or a computation.
  const numel = inp.dims && inp.dims.every((d) => typeof d === 'number') ? (inp.dims as number[]).reduce((a, b) => a * b, 1) : undefined;
  if (rank === 0 || (numel === 1 && (isInt || inp.dtype === 'bool'))) {
    const steer = uses.find((u) => u.op === 'If' || u.op === 'Loop' || u.op === 'Where' || u.op === 'Equal');
    return { role: 'control', why: steer ? `a scalar that steers ${steer.op}` : 'a single value, not a tensor of features' };
  }
  if (isInt) return { role: 'token-ids', why: 'an integer input whose table was not found', vocab: 16 };
  return { role: 'features', why: 'a tensor of values' };
}

/**
 * A mask's kind from how the graph uses it: a float mask that only reaches Add nodes is added to
 * attention scores (0 keeps a position); anything multiplied in, selected with Where or integer is
 * a keep-mask (1 keeps). A square additive mask over the last two dims is a decoder's causal mask.
 */
function maskKind(inp: DeclaredInput, uses: Array<{ op: string }>, isInt: boolean): { why: string; maskFill: MaskFill } {
  const named = `named '${inp.name}'`;
  if (isInt || inp.dtype === 'bool') return { why: `${named}, ${inp.dtype}`, maskFill: 'ones' };
  const additive = uses.length > 0 && uses.every((u) => u.op === 'Add');
  if (!additive) return { why: `${named}, ${uses.length ? `multiplied in (${[...new Set(uses.map((u) => u.op))].join(', ')})` : 'a float mask'}`, maskFill: 'ones' };
  const d = inp.dims ?? [];
  const square = d.length >= 2 && d[d.length - 1] !== null && d[d.length - 1] === d[d.length - 2];
  // square as declared, or named causal (exporters name its two dims apart: sequence x sequence_k);
  // the pattern is written only where the fed mask is square
  if (square || CAUSAL_NAME.test(inp.name)) return { why: `${named}, ${square ? 'square and ' : ''}added to the scores`, maskFill: 'causal' };
  return { why: `${named}, added to the scores`, maskFill: 'zeros' };
}

/** What the engine fills a mask with, in words (the warning and the Data step say the same). */
export function maskFillWords(fill: MaskFill | undefined): string {
  return fill === 'causal' ? 'a causal mask, to hide the future (0 on and below the diagonal, -1e9 above)' : fill === 'zeros' ? 'zeros (added to the scores: nothing masked)' : 'ones (nothing masked)';
}

/** Graph facts from the model IR (main graph only: subgraph inputs are not model inputs). */
export function factsFromIR(model: {
  inputs: Array<{ name: string; dtype: string | null; shape: Array<number | string | null> | null }>;
  nodes: Array<{ op: string; graph: string; inputs: string[]; outputs: string[]; attributes: Record<string, unknown> }>;
  weights: Array<{ name: string; graph: string; dims: number[] }>;
}): GraphFacts {
  return {
    inputs: model.inputs.map((i) => ({ name: i.name, dtype: i.dtype ?? 'float32', dims: i.shape })),
    nodes: model.nodes,
    constDims: new Map(model.weights.filter((w) => !w.graph).map((w) => [w.name, w.dims])),
  };
}
