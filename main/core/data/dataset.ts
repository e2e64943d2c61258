// Calibration and evaluation inputs: .npy / .npz files or a folder of them (labels optional), or
// synthetic inputs generated from the model's input spec. A dataset hands out batches as plain
// tensors ({type, dims, data}); the pipeline turns them into ORT tensors.
//
// How arrays map onto model inputs:
//  - an .npz whose keys are the model's input names feeds each input from its key;
//  - a single-input model takes the one non-label array of an .npy or .npz, whatever its name;
//  - a folder: files named <input>.npy feed that input; otherwise every file holds samples
//    (of the one input, or an .npz as above) and they are concatenated in name order;
//  - dim 0 of an array counts samples; an array one rank short of the input is one sample;
//  - one .npy per input ({input name: file}, what the Data step picks file by file): each feeds
//    the input it is named for; inputs filled by role (masks, state) may be left out;
//  - labels: an array named 'labels' (or 'label', 'y') in an .npz, labels.npy in a folder, or
//    an explicit labels file.
//  - an array of fractional numbers never feeds an integer input (token ids, indices): that is
//    a mix-up of files, not something to round away.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { badInput, TwinforgeError } from '../errors';
import { parseNpy, toFloat32, toInt64, type NpyArray } from './npy';
import { listZip, readZipEntry } from './zip';
import { Rng } from './rng';
import { describeSource, type DataSource } from './source';
import { buildInputModel, maskFillWords, requireResolved, roleWarnings, type DeclaredInput, type InputModel, type InputPlan } from '../model/input-model';

export type TensorType = 'float32' | 'float16' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** A model input as ORT reports it (dims: numbers, or names / null when dynamic). */
export interface InputSpec {
  name: string;
  type: string;
  shape: readonly (number | string | null | undefined)[];
}

export interface TensorData {
  type: TensorType;
  dims: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Float64Array | Uint16Array;
}

export interface Batch {
  start: number;
  count: number;
  feeds: Record<string, TensorData>;
}

export interface Dataset {
  /** Where it came from (a path or 'synthetic'). */
  source: string;
  synthetic: boolean;
  /** Number of samples (rows along dim 0). */
  count: number;
  /** Per input fed from samples: the dims of ONE sample, batch dim excluded. */
  sampleDims: Record<string, number[]>;
  /** Class labels per sample, when given. */
  labels?: Int32Array;
  /** Largest batch the model accepts (1 when its batch dim is fixed to 1). */
  maxBatch: number;
  /** A batch the model fixes (every batch holds exactly this many samples), when it fixes one. */
  fixedBatch?: number;
  warnings: string[];
  /** Samples [start, start + count) stacked along dim 0. */
  batch(start: number, count: number): Batch;
}

export const SYNTHETIC_WARNING =
  'Synthetic inputs (random values shaped like the model inputs) are used: fidelity measured on them is a weak signal. Give real samples for calibration and evaluation.';

const LABEL_KEYS = ['labels', 'label', 'y'];
/** Arrays that describe samples (subgroup ids for disparate-impact analysis), never model inputs. */
const META_KEYS = ['subgroups', 'subgroup', 'groups'];

export interface LoadOptions {
  /** Field name for errors (e.g. 'calibration.source'). */
  field: string;
  /** Model inputs, from the ORT session or the model IR. */
  inputs: InputSpec[];
  /** Fixed shapes for dynamic dims (from --input-shape / recipe.inputShapes), full shapes with batch. */
  inputShapes?: Record<string, number[]>;
  /** The graph's input model (roles, batch axes, resolved dims); built from `inputs` alone when absent. */
  inputModel?: InputModel;
  /** At most this many samples. */
  samples?: number;
  labels?: string;
  labelsField?: string;
  seed?: number;
}

/** Opens a dataset from a file, a folder, one file per input or 'synthetic'. Errors name the field and the file. */
export function loadDataset(src: DataSource, opts: LoadOptions): Dataset {
  if (src === 'synthetic') return syntheticDataset(opts);
  const im = inputModelOf(opts);
  const source = describeSource(src);
  if (typeof src === 'string' && !existsSync(src)) {
    throw new TwinforgeError('NOT_FOUND', `${opts.field}: '${src}' does not exist`, 'Give a .npy/.npz file, a folder of them, or synthetic.');
  }
  const arrays = new Map<string, NpyArray[]>(); // key -> chunks along dim 0
  const add = (key: string, arr: NpyArray) => {
    const list = arrays.get(key) ?? [];
    list.push(arr);
    arrays.set(key, list);
  };
  const inputNames = opts.inputs.map((i) => i.name);
  if (typeof src !== 'string') {
    for (const [name, file] of Object.entries(src)) add(name, readInputFile(name, file, inputNames, opts.field));
  } else if (statSync(source).isDirectory()) {
    const files = readdirSync(source)
      .filter((f) => /\.(npy|npz)$/i.test(f))
      .sort();
    if (files.length === 0) throw badInput(`${opts.field}: folder '${source}' holds no .npy or .npz files`);
    for (const f of files) {
      const full = path.join(source, f);
      const stem = f.replace(/\.(npy|npz)$/i, '');
      if (f.toLowerCase().endsWith('.npz')) {
        for (const [k, a] of readNpz(full)) add(k, a);
      } else {
        const a = parseNpy(readFileSync(full), full);
        if (LABEL_KEYS.includes(stem)) add('labels', a);
        else if (inputNames.includes(stem)) add(stem, a);
        else add('', a);
      }
    }
  } else if (source.toLowerCase().endsWith('.npz')) {
    for (const [k, a] of readNpz(source)) add(k, a);
  } else if (source.toLowerCase().endsWith('.npy')) {
    add('', parseNpy(readFileSync(source), source));
  } else {
    throw badInput(`${opts.field}: '${source}' is not a .npy or .npz file or a folder`, 'Give a .npy/.npz file, a folder of them, or synthetic.');
  }

  // Labels
  let labelArrays: NpyArray[] | undefined;
  for (const k of LABEL_KEYS) {
    if (arrays.has(k) && !inputNames.includes(k)) {
      labelArrays = arrays.get(k);
      arrays.delete(k);
    }
  }
  if (opts.labels) {
    const lf = opts.labelsField ?? `${opts.field.replace(/\.source$/, '')}.labels`;
    if (!existsSync(opts.labels)) throw new TwinforgeError('NOT_FOUND', `${lf}: '${opts.labels}' does not exist`);
    labelArrays = [parseNpy(readFileSync(opts.labels), opts.labels)];
  }

  // Per-sample metadata stored beside the inputs (e.g. the demo zoo's subgroup ids) is not an input.
  for (const k of META_KEYS) if (!inputNames.includes(k)) arrays.delete(k);

  // Map arrays onto inputs. State, masks and control values the data does not hold are filled
  // by their role (zeros, ones, the given value); every other input needs its array.
  const byInput = new Map<string, NpyArray[]>();
  for (const name of inputNames) if (arrays.has(name)) byInput.set(name, arrays.get(name)!);
  const rest = [...arrays.keys()].filter((k) => !inputNames.includes(k));
  const fillable = (name: string) => FILL_ROLES.has(planOf(im, name).role);
  const needed = inputNames.filter((n) => !fillable(n));
  if (needed.some((n) => !byInput.has(n))) {
    const open = needed.filter((n) => !byInput.has(n));
    if (open.length === 1 && rest.length === 1) byInput.set(open[0], arrays.get(rest[0])!);
    else if (typeof src !== 'string') {
      throw badInput(
        `${opts.field}: no file for model input${open.length > 1 ? 's' : ''} ${open.map((m) => `'${m}'`).join(', ')}`,
        'Every input the engine cannot fill by itself (a mask or a state it can) needs its own .npy file.',
      );
    } else {
      const missing = open;
      throw badInput(
        `${opts.field}: no data for model input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} in '${source}'`,
        `Name the arrays after the inputs (${inputNames.join(', ')}) in an .npz, or as <input>.npy files in the folder.${rest.length ? ` Found: ${rest.map((r) => r || '(unnamed .npy)').join(', ')}.` : ''}`,
      );
    }
  }

  const sampleDims: Record<string, number[]> = {};
  const columns = new Map<string, Column>();
  let count = Infinity;
  const unbatchedCounts = new Map<string, number>();
  for (const spec of opts.inputs) {
    const chunks = byInput.get(spec.name);
    const plan = planOf(im, spec.name);
    if (!chunks) continue; // filled by role
    const fixed = opts.inputShapes?.[spec.name];
    let dims: number[] | undefined;
    let n = 0;
    for (const c of chunks) {
      const got = checkInputArray(c, spec, plan, fixed, opts.field);
      const d = got.sampleDims;
      if (dims && dims.join() !== d.join()) throw badInput(`${opts.field}: arrays for input '${spec.name}' disagree on their sample shape: (${dims.join(', ')}) vs (${d.join(', ')})`);
      dims = d;
      n += got.samples;
    }
    sampleDims[spec.name] = dims!;
    const type = tensorType(spec.type);
    columns.set(spec.name, { type, data: concat(chunks, type), batchAxis: plan.batchAxis });
    if (plan.batchAxis === null) unbatchedCounts.set(spec.name, n);
    else count = Math.min(count, n);
  }
  // An unbatched input given as one tensor beside batched inputs is shared by every batch; given
  // as several whole tensors, or with no batched input at all, each of its tensors is one sample.
  const anyBatched = columns.size > unbatchedCounts.size;
  for (const [name, n] of unbatchedCounts) {
    if (anyBatched && n === 1) columns.get(name)!.shared = true;
    else count = Math.min(count, n);
  }
  checkSharedSizes(im, opts.inputs, sampleDims, opts.field);
  if (!Number.isFinite(count)) throw badInput(`${opts.field}: '${source}' holds no array for any model input`, `Inputs: ${inputNames.join(', ')}.`);
  if (opts.samples !== undefined) count = Math.min(count, opts.samples);
  let labels: Int32Array | undefined;
  if (labelArrays) {
    const l = concatLabels(labelArrays);
    if (l.length < count) throw badInput(`${opts.labelsField ?? opts.field}: ${l.length} labels for ${count} samples`);
    labels = l.subarray(0, count);
  }
  const warnings: string[] = [];
  const fills = fillsOf(im, opts.inputs.filter((i) => !columns.has(i.name)), sampleDims);
  for (const f of fills) warnings.push(...roleWarnings({ ...im, inputs: [planOf(im, f.name)] }));
  return makeDataset(source, false, count, sampleDims, columns, fills, labels, im, warnings);
}

/**
 * Checks one array against a model input — its number of dimensions, each dimension the model
 * fixes, its element type — and says what it holds: samples (dim 0, or 1 when the array is one
 * sample) and the dims of one sample. Every message says what is wrong in words.
 */
export function checkInputArray(a: NpyArray, spec: InputSpec, plan: InputPlan, fixed: readonly number[] | undefined, field: string): { samples: number; sampleDims: number[] } {
  const full = fixed ?? spec.shape;
  // One sample is the input without its batch axis (the whole tensor when it has none).
  const want = plan.batchAxis === null ? [...full] : full.filter((_, i) => i !== plan.batchAxis);
  const rank = want.length + 1;
  const shape = a.shape.length === rank - 1 ? [1, ...a.shape] : a.shape;
  if (shape.length !== rank) {
    throw badInput(
      `${field}: the array for input '${spec.name}' has ${a.shape.length} dimension${a.shape.length === 1 ? '' : 's'} (${a.shape.join(', ')}); the input needs ${rank}: the samples first, then one sample of (${describeShape(want)})`,
      'Give an array of that shape (one sample alone, without the samples dimension, works too).',
    );
  }
  const d = shape.slice(1);
  d.forEach((v, i) => {
    const w = want[i];
    if (typeof w === 'number' && w > 0 && w !== v) {
      throw badInput(
        `${field}: the array for input '${spec.name}' has shape (${a.shape.join(', ')}): dimension ${i + 1} of a sample is ${v} where the model expects ${w} (input shape (${describeShape(full)}))`,
        "Give arrays of the model's shape, or set the open sizes of the input's shape on the Model step to match the data.",
      );
    }
  });
  checkDtype(a, tensorType(spec.type), spec.name, field);
  return { samples: shape[0], sampleDims: d };
}

/** Reads and checks one input's own file: what the Data step shows next to that input's picker. */
export function checkInputFile(name: string, file: string, opts: LoadOptions): { dtype: string; shape: number[]; samples: number; sampleDims: number[] } {
  const im = inputModelOf(opts);
  const spec = opts.inputs.find((i) => i.name === name);
  const a = readInputFile(name, file, opts.inputs.map((i) => i.name), opts.field);
  const got = checkInputArray(a, spec!, planOf(im, name), opts.inputShapes?.[name], opts.field);
  return { dtype: a.dtype, shape: a.shape, ...got };
}

/** Whether the engine fills an input by its role (masks of ones, state zeros, control values) when no data holds it. */
export function fillOf(name: string, opts: LoadOptions): { role: string; fill?: string } {
  const plan = planOf(inputModelOf(opts), name);
  if (!FILL_ROLES.has(plan.role)) return { role: plan.role };
  const fill = plan.role === 'mask' ? maskFillWords(plan.maskFill) : plan.role === 'state' ? 'zeros (a fresh state)' : plan.value !== undefined ? `the value ${plan.value}` : 'the value set on the Model step';
  return { role: plan.role, fill };
}

/** A size two inputs share by name (sequence) must be the same in both arrays: ORT would refuse the run. */
function checkSharedSizes(im: InputModel, inputs: InputSpec[], sampleDims: Record<string, number[]>, field: string): void {
  const seen = new Map<string, { input: string; size: number }>();
  for (const spec of inputs) {
    const sd = sampleDims[spec.name];
    if (!sd) continue;
    const plan = planOf(im, spec.name);
    const declared = plan.dims.map((d) => d.declared).filter((_, i) => i !== plan.batchAxis);
    declared.forEach((name, i) => {
      if (typeof name !== 'string' || !name || sd[i] === undefined) return;
      const prev = seen.get(name);
      if (prev && prev.size !== sd[i]) {
        throw badInput(`${field}: input '${spec.name}' has ${name} ${sd[i]} where input '${prev.input}' has ${name} ${prev.size}`, `The two inputs share the size '${name}': give arrays that agree on it.`);
      }
      seen.set(name, { input: spec.name, size: sd[i] });
    });
  }
}

/** One input's own file (the per-input form): a .npy that exists, for an input the model has. */
function readInputFile(name: string, file: string, inputNames: string[], field: string): NpyArray {
  if (!inputNames.includes(name)) throw badInput(`${field}: the model has no input named '${name}'`, `Its inputs are ${inputNames.map((n) => `'${n}'`).join(', ')}.`);
  if (!existsSync(file)) throw new TwinforgeError('NOT_FOUND', `${field}: the file for input '${name}', '${file}', does not exist`, 'Pick the file again.');
  if (statSync(file).isDirectory() || !file.toLowerCase().endsWith('.npy')) throw badInput(`${field}: the file for input '${name}' must be one .npy array; '${file}' is not`, 'A folder or an .npz holding every input is given as the whole source instead.');
  return parseNpy(readFileSync(file), file);
}

const FLOAT_DTYPES = new Set(['float16', 'float32', 'float64']);

/** Fractional numbers never feed an integer or boolean input: the file is the wrong one. */
function checkDtype(a: NpyArray, type: TensorType, input: string, field: string): void {
  if (FLOAT_DTYPES.has(a.dtype) && !FLOAT_DTYPES.has(type)) {
    const what = type === 'bool' ? 'true/false values' : 'whole numbers (token ids or indices)';
    throw badInput(`${field}: input '${input}' takes ${type} ${what}, but its array holds ${a.dtype} fractional numbers`, `Give an array of whole numbers for '${input}' (in numpy: .astype('${type === 'bool' ? 'bool' : type}')), or check that the file is the one meant for this input.`);
  }
}

function readNpz(file: string): [string, NpyArray][] {
  const buf = readFileSync(file);
  return listZip(buf, file)
    .filter((e) => e.name.endsWith('.npy'))
    .map((e) => [e.name.replace(/\.npy$/, ''), parseNpy(readZipEntry(buf, e, file), `${file}:${e.name}`)] as [string, NpyArray]);
}

function describeShape(s: readonly (number | string | null | undefined)[]): string {
  return s.map((d) => (typeof d === 'number' && d > 0 ? String(d) : String(d ?? '?'))).join(', ');
}

/** ORT type names -> the tensor types datasets produce. */
export function tensorType(t: string): TensorType {
  const s = t.replace(/^tensor\(|\)$/g, '');
  switch (s) {
    case 'float':
    case 'float32': return 'float32';
    case 'float16': return 'float16';
    case 'double':
    case 'float64': return 'float64';
    case 'int64': return 'int64';
    case 'int32': return 'int32';
    case 'int8': return 'int8';
    case 'uint8': return 'uint8';
    case 'bool': return 'bool';
    default:
      throw new TwinforgeError('UNSUPPORTED', `model input type '${t}' is not supported for calibration data`);
  }
}

function concat(chunks: NpyArray[], type: TensorType): TensorData['data'] {
  const parts = chunks.map((c) => convert(c, type));
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new (parts[0].constructor as new (n: number) => TensorData['data'])(total);
  let o = 0;
  for (const p of parts) {
    (out as Float32Array).set(p as Float32Array, o);
    o += p.length;
  }
  return out;
}

function convert(a: NpyArray, type: TensorType): TensorData['data'] {
  switch (type) {
    case 'float32': return toFloat32(a);
    case 'float64': return a.data instanceof Float64Array ? a.data : Float64Array.from(toFloat32(a));
    case 'int64': return toInt64(a);
    case 'int32': return a.data instanceof Int32Array ? a.data : Int32Array.from(toInt64(a), (v) => Number(v));
    case 'int8': return a.data instanceof Int8Array ? a.data : Int8Array.from(toInt64(a), (v) => Number(v));
    case 'uint8':
    case 'bool': return a.data instanceof Uint8Array ? a.data : Uint8Array.from(toInt64(a), (v) => Number(v));
    case 'float16':
      if (a.dtype === 'float16') return a.data as Uint16Array;
      throw new TwinforgeError('UNSUPPORTED', 'float16 model inputs need float16 arrays');
  }
}

function concatLabels(chunks: NpyArray[]): Int32Array {
  const parts = chunks.map((c) => Int32Array.from(toInt64(c), (v) => Number(v)));
  const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Roles whose inputs are filled (not sampled) when the data does not hold them. */
const FILL_ROLES = new Set(['state', 'mask', 'control']);

interface Column {
  type: TensorType;
  data: TensorData['data'];
  /** The axis that counts samples in the model's input (null: one sample is the whole tensor). */
  batchAxis: number | null;
  /**
   * An input without a batch axis given once beside batched ones (a decoder's causal mask, a
   * fixed table): the one tensor serves every batch and does not count samples.
   */
  shared?: boolean;
}

interface Fill {
  name: string;
  type: TensorType;
  /** Full dims; the batch axis (when there is one) takes the batch size. */
  dims: number[];
  batchAxis: number | null;
  value: number;
  /** A causal additive mask over the last two dims instead of one value everywhere. */
  causal?: boolean;
}

function inputModelOf(opts: LoadOptions): InputModel {
  return opts.inputModel ?? buildInputModel({ inputs: declaredInputs(opts.inputs), nodes: [], constDims: new Map() }, { inputShapes: opts.inputShapes });
}

/** Inputs as ORT reports them, in the input model's terms (dtype names normalised, open dims as names or null). */
export function declaredInputs(specs: InputSpec[]): DeclaredInput[] {
  return specs.map((i) => ({ name: i.name, dtype: tensorTypeOrRaw(i.type), dims: i.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : typeof d === 'string' && d ? d : null)) }));
}

function tensorTypeOrRaw(t: string): string {
  try {
    return tensorType(t);
  } catch {
    return t;
  }
}

function planOf(im: InputModel, name: string): InputPlan {
  const p = im.inputs.find((i) => i.name === name);
  if (!p) throw new TwinforgeError('INTERNAL', `input model has no input '${name}'`);
  return p;
}

/** Tensors made per batch for inputs no sample holds: state zeros, masks of ones, control values. */
function fillsOf(im: InputModel, inputs: InputSpec[], sampleDims: Record<string, number[]>): Fill[] {
  return inputs.map((spec) => {
    const plan = planOf(im, spec.name);
    if (!FILL_ROLES.has(plan.role)) throw new TwinforgeError('INTERNAL', `input '${spec.name}' (${plan.role}) has no samples`);
    if (plan.role === 'control' && plan.value === undefined) requireResolved(im);
    // An unresolved dim of a mask takes the size of the same symbol in a sampled input (seq).
    const dims = plan.dims.map((d) => {
      if (d.value !== undefined) return d.value;
      for (const other of im.inputs) {
        const od = other.dims.find((x) => x.declared !== null && x.declared === d.declared && x.value === undefined);
        const sd = sampleDims[other.name];
        if (od && sd) {
          const idx = other.batchAxis !== null && od.axis > other.batchAxis ? od.axis - 1 : od.axis;
          return sd[idx];
        }
      }
      requireResolved(im, `Input '${spec.name}'`);
      return 1;
    });
    const value = plan.role === 'mask' ? (plan.maskFill === 'zeros' || plan.maskFill === 'causal' ? 0 : 1) : plan.role === 'control' ? plan.value! : 0;
    return { name: spec.name, type: tensorType(spec.type), dims, batchAxis: plan.batchAxis, value, ...(plan.role === 'mask' && plan.maskFill === 'causal' ? { causal: true } : {}) };
  });
}

/** Writes a large negative above the diagonal of every trailing [T, T] block (a float mask added to scores). */
function hideFuture(data: TensorData['data'], dims: number[], type: TensorType): void {
  const t = dims[dims.length - 1];
  if (dims.length < 2 || dims[dims.length - 2] !== t) return;
  // float16 holds -65504 at most (bits 0xFBFF): enough, as exp(-65504) is 0 in any softmax
  const negative = type === 'float16' ? 0xfbff : -1e9;
  if (!(data instanceof Float32Array || data instanceof Float64Array || (type === 'float16' && data instanceof Uint16Array))) return;
  for (let base = 0; base < data.length; base += t * t) {
    for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) data[base + i * t + j] = negative;
  }
}

function filled(type: TensorType, n: number, value: number): TensorData['data'] {
  switch (type) {
    case 'float32': return new Float32Array(n).fill(value);
    case 'float64': return new Float64Array(n).fill(value);
    case 'int64': return new BigInt64Array(n).fill(BigInt(Math.trunc(value)));
    case 'int32': return new Int32Array(n).fill(value);
    case 'int8': return new Int8Array(n).fill(value);
    case 'uint8':
    case 'bool': return new Uint8Array(n).fill(value ? (type === 'bool' ? 1 : value) : 0);
    case 'float16': {
      if (value !== 0 && value !== 1) throw new TwinforgeError('UNSUPPORTED', 'float16 control values other than 0 and 1 are not supported', 'Give the input as data.');
      return new Uint16Array(n).fill(value ? 0x3c00 : 0);
    }
  }
}

/** Stacks `n` samples (each `per` elements, laid out without the batch axis) into a tensor whose batch axis is `axis`. */
function stackAlong(data: TensorData['data'], start: number, n: number, sample: number[], axis: number): TensorData['data'] {
  const per = sample.reduce((a, b) => a * b, 1);
  const outer = sample.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = per / Math.max(outer, 1);
  const out = new (data.constructor as new (len: number) => TensorData['data'])(n * per);
  for (let b = 0; b < n; b++) {
    const src = (start + b) * per;
    for (let o = 0; o < outer; o++) (out as Float32Array).set((data as Float32Array).subarray(src + o * inner, src + (o + 1) * inner), (o * n + b) * inner);
  }
  return out;
}

function makeDataset(
  source: string,
  synthetic: boolean,
  count: number,
  sampleDims: Record<string, number[]>,
  columns: Map<string, Column>,
  fills: Fill[],
  labels: Int32Array | undefined,
  im: InputModel,
  warnings: string[],
): Dataset {
  // An input with no batch axis is one whole sample per run; a fixed batch caps every batch.
  const wholeSample = [...columns.values()].some((c) => c.batchAxis === null && !c.shared);
  const maxBatch = im.fixedBatch ?? (wholeSample ? 1 : Infinity);
  if (im.fixedBatch !== undefined && count < im.fixedBatch) {
    throw badInput(`${source}: the model takes batches of exactly ${im.fixedBatch} samples (its batch dim is fixed); the data holds ${count}.`, `Give at least ${im.fixedBatch} samples.`);
  }
  return {
    source,
    synthetic,
    count,
    sampleDims,
    labels,
    maxBatch,
    ...(im.fixedBatch !== undefined ? { fixedBatch: im.fixedBatch } : {}),
    warnings,
    batch(start: number, n: number): Batch {
      const feeds: Record<string, TensorData> = {};
      for (const [name, col] of columns) {
        const sample = sampleDims[name];
        const per = sample.reduce((a, b) => a * b, 1);
        if (col.shared) {
          feeds[name] = { type: col.type, dims: [...sample], data: col.data.subarray(0, per) as TensorData['data'] };
        } else if (col.batchAxis === null) {
          if (n !== 1) throw new TwinforgeError('INTERNAL', `input '${name}' has no batch axis; batches of ${n} are impossible`);
          feeds[name] = { type: col.type, dims: [...sample], data: col.data.subarray(start * per, (start + 1) * per) as TensorData['data'] };
        } else if (col.batchAxis === 0) {
          feeds[name] = { type: col.type, dims: [n, ...sample], data: col.data.subarray(start * per, (start + n) * per) as TensorData['data'] };
        } else {
          const dims = [...sample.slice(0, col.batchAxis), n, ...sample.slice(col.batchAxis)];
          feeds[name] = { type: col.type, dims, data: stackAlong(col.data, start, n, sample, col.batchAxis) };
        }
      }
      for (const f of fills) {
        const dims = f.dims.map((d, i) => (i === f.batchAxis && im.fixedBatch === undefined ? n : d));
        const data = filled(f.type, dims.reduce((a, b) => a * b, 1), f.value);
        if (f.causal) hideFuture(data, dims, f.type);
        feeds[f.name] = { type: f.type, dims, data };
      }
      return { start, count: n, feeds };
    },
  };
}

/**
 * Synthetic inputs by role: features normal(0, 1), token ids within the vocabulary of the table
 * they index, masks of ones, recurrent state zeros, control inputs at their given value. Every
 * dim must be resolved first: no dynamic dim is silently 1.
 */
export function syntheticDataset(opts: LoadOptions): Dataset {
  const im = inputModelOf(opts);
  requireResolved(im, 'Synthetic data');
  const fixed = im.fixedBatch ?? 1;
  const count = Math.ceil((opts.samples ?? 32) / fixed) * fixed;
  const rng = new Rng(opts.seed ?? 0);
  const sampleDims: Record<string, number[]> = {};
  const columns = new Map<string, Column>();
  const warnings = [SYNTHETIC_WARNING, ...roleWarnings(im)];
  const sampled = opts.inputs.filter((s) => {
    const role = planOf(im, s.name).role;
    return role === 'features' || role === 'token-ids';
  });
  for (const spec of sampled) {
    const plan = planOf(im, spec.name);
    const full = plan.dims.map((d) => d.value ?? 1);
    const dims = plan.batchAxis === null ? full : full.filter((_, i) => i !== plan.batchAxis);
    sampleDims[spec.name] = dims;
    const type = tensorType(spec.type);
    const n = count * dims.reduce((a, b) => a * b, 1);
    const high = plan.role === 'token-ids' ? Math.max(1, plan.vocab ?? 16) : 16;
    let data: TensorData['data'];
    if (type === 'float32') data = rng.fillNormal(new Float32Array(n));
    else if (type === 'float64') data = Float64Array.from(rng.fillNormal(new Float32Array(n)));
    else if (type === 'int64') data = BigInt64Array.from({ length: n }, () => BigInt(rng.int(high)));
    else if (type === 'int32') data = Int32Array.from({ length: n }, () => rng.int(high));
    else if (type === 'bool' || type === 'uint8') data = Uint8Array.from({ length: n }, () => rng.int(type === 'bool' ? 2 : Math.min(high, 256)));
    else if (type === 'int8') data = Int8Array.from({ length: n }, () => rng.int(Math.min(high, 128)));
    else throw new TwinforgeError('UNSUPPORTED', `synthetic inputs of type ${type} are not supported`, 'Give real samples for this input.');
    columns.set(spec.name, { type, data, batchAxis: plan.batchAxis });
  }
  const fills = fillsOf(im, opts.inputs.filter((s) => !columns.has(s.name)), sampleDims);
  return makeDataset('synthetic', true, count, sampleDims, columns, fills, undefined, im, warnings);
}

/** Batch sizes for a pass over `count` samples: at most `want`, never above the model's batch dim. */
export function* batchRanges(ds: Dataset, want: number): Generator<[number, number]> {
  // A model whose batch dim is fixed to k must always get exactly k rows, whatever was asked.
  const b = ds.fixedBatch ?? Math.max(1, Math.min(want, ds.maxBatch));
  for (let s = 0; s < ds.count; s += b) {
    const n = Math.min(b, ds.count - s);
    if (ds.fixedBatch && n < b) break;
    yield [s, n];
  }
}

/** The first batch the model accepts: one sample, or the model's fixed batch. */
export function firstBatch(ds: Dataset): Batch {
  const [start, n] = batchRanges(ds, 1).next().value ?? [0, 1];
  return ds.batch(start, n);
}
