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
//  - labels: an array named 'labels' (or 'label', 'y') in an .npz, labels.npy in a folder, or
//    an explicit labels file.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { badInput, TwinforgeError } from '../errors';
import { parseNpy, toFloat32, toInt64, type NpyArray } from './npy';
import { listZip, readZipEntry } from './zip';
import { Rng } from './rng';

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
  /** Per input: the dims of ONE sample, batch dim excluded. */
  sampleDims: Record<string, number[]>;
  /** Class labels per sample, when given. */
  labels?: Int32Array;
  /** Largest batch the model accepts (1 when its batch dim is fixed to 1). */
  maxBatch: number;
  warnings: string[];
  /** Samples [start, start + count) stacked along dim 0. */
  batch(start: number, count: number): Batch;
}

export const SYNTHETIC_WARNING =
  'Synthetic inputs (random values shaped like the model inputs) are used: fidelity measured on them is a weak signal. Give real samples with --calib / --eval (or calibration.source / evaluation.source).';

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
  /** At most this many samples. */
  samples?: number;
  labels?: string;
  labelsField?: string;
  seed?: number;
}

/** Opens a dataset from a file, a folder or 'synthetic'. Errors name the field and the file. */
export function loadDataset(source: string, opts: LoadOptions): Dataset {
  if (source === 'synthetic') return syntheticDataset(opts);
  if (!existsSync(source)) {
    throw new TwinforgeError('NOT_FOUND', `${opts.field}: '${source}' does not exist`, 'Give a .npy/.npz file, a folder of them, or synthetic.');
  }
  const arrays = new Map<string, NpyArray[]>(); // key -> chunks along dim 0
  const add = (key: string, arr: NpyArray) => {
    const list = arrays.get(key) ?? [];
    list.push(arr);
    arrays.set(key, list);
  };
  const inputNames = opts.inputs.map((i) => i.name);
  if (statSync(source).isDirectory()) {
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

  // Map arrays onto inputs.
  const byInput = new Map<string, NpyArray[]>();
  for (const name of inputNames) if (arrays.has(name)) byInput.set(name, arrays.get(name)!);
  const rest = [...arrays.keys()].filter((k) => !inputNames.includes(k));
  if (byInput.size < inputNames.length) {
    if (inputNames.length === 1 && rest.length === 1) byInput.set(inputNames[0], arrays.get(rest[0])!);
    else {
      const missing = inputNames.filter((n) => !byInput.has(n));
      throw badInput(
        `${opts.field}: no data for model input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} in '${source}'`,
        `Name the arrays after the inputs (${inputNames.join(', ')}) in an .npz, or as <input>.npy files in the folder.${rest.length ? ` Found: ${rest.map((r) => r || '(unnamed .npy)').join(', ')}.` : ''}`,
      );
    }
  }

  const sampleDims: Record<string, number[]> = {};
  const columns = new Map<string, { type: TensorType; data: TensorData['data'] }>();
  let count = Infinity;
  for (const spec of opts.inputs) {
    const chunks = byInput.get(spec.name)!;
    const fixed = opts.inputShapes?.[spec.name];
    const rank = (fixed ?? spec.shape).length;
    let dims: number[] | undefined;
    let n = 0;
    for (const c of chunks) {
      const shape = c.shape.length === rank - 1 ? [1, ...c.shape] : c.shape;
      if (shape.length !== rank) {
        throw badInput(`${opts.field}: array for input '${spec.name}' has shape (${c.shape.join(', ')}), the model expects rank ${rank} (${describeShape(fixed ?? spec.shape)}) with samples along dim 0`);
      }
      const d = shape.slice(1);
      const want = (fixed ?? spec.shape).slice(1);
      d.forEach((v, i) => {
        const w = want[i];
        if (typeof w === 'number' && w > 0 && w !== v) {
          throw badInput(`${opts.field}: array for input '${spec.name}' has shape (${c.shape.join(', ')}), the model expects (${describeShape(fixed ?? spec.shape)})`, 'Fix dynamic dimensions with --input-shape NAME=d0,d1,... (recipe: inputShapes).');
        }
      });
      if (dims && dims.join() !== d.join()) throw badInput(`${opts.field}: arrays for input '${spec.name}' disagree on their sample shape: (${dims.join(', ')}) vs (${d.join(', ')})`);
      dims = d;
      n += shape[0];
    }
    sampleDims[spec.name] = dims!;
    const type = tensorType(spec.type);
    columns.set(spec.name, { type, data: concat(chunks, type) });
    count = Math.min(count, n);
  }
  if (opts.samples !== undefined) count = Math.min(count, opts.samples);
  let labels: Int32Array | undefined;
  if (labelArrays) {
    const l = concatLabels(labelArrays);
    if (l.length < count) throw badInput(`${opts.labelsField ?? opts.field}: ${l.length} labels for ${count} samples`);
    labels = l.subarray(0, count);
  }
  const warnings: string[] = [];
  return makeDataset(source, false, count, sampleDims, columns, labels, maxBatchOf(opts.inputs, opts.inputShapes), warnings);
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

function maxBatchOf(inputs: InputSpec[], fixed?: Record<string, number[]>): number {
  let max = Infinity;
  for (const i of inputs) {
    const d0 = fixed?.[i.name]?.[0] ?? i.shape[0];
    if (typeof d0 === 'number' && d0 > 0) max = Math.min(max, d0);
  }
  return max;
}

function makeDataset(
  source: string,
  synthetic: boolean,
  count: number,
  sampleDims: Record<string, number[]>,
  columns: Map<string, { type: TensorType; data: TensorData['data'] }>,
  labels: Int32Array | undefined,
  maxBatch: number,
  warnings: string[],
): Dataset {
  return {
    source,
    synthetic,
    count,
    sampleDims,
    labels,
    maxBatch,
    warnings,
    batch(start: number, n: number): Batch {
      const feeds: Record<string, TensorData> = {};
      for (const [name, col] of columns) {
        const per = sampleDims[name].reduce((a, b) => a * b, 1);
        feeds[name] = { type: col.type, dims: [n, ...sampleDims[name]], data: col.data.subarray(start * per, (start + n) * per) as TensorData['data'] };
      }
      return { start, count: n, feeds };
    },
  };
}

/** Random inputs shaped like the model's (dynamic dims from inputShapes, else 1), with a warning. */
export function syntheticDataset(opts: LoadOptions): Dataset {
  const count = opts.samples ?? 32;
  const rng = new Rng(opts.seed ?? 0);
  const sampleDims: Record<string, number[]> = {};
  const columns = new Map<string, { type: TensorType; data: TensorData['data'] }>();
  const warnings = [SYNTHETIC_WARNING];
  for (const spec of opts.inputs) {
    const full = opts.inputShapes?.[spec.name] ?? spec.shape;
    const dims = full.slice(1).map((d, i) => {
      if (typeof d === 'number' && d > 0) return d;
      warnings.push(`Input '${spec.name}' dim ${i + 1} is dynamic (${String(d ?? '?')}); synthetic data uses 1. Fix it with --input-shape ${spec.name}=...`);
      return 1;
    });
    sampleDims[spec.name] = dims;
    const type = tensorType(spec.type);
    const n = count * dims.reduce((a, b) => a * b, 1);
    let data: TensorData['data'];
    if (type === 'float32') data = rng.fillNormal(new Float32Array(n));
    else if (type === 'float64') data = Float64Array.from(rng.fillNormal(new Float32Array(n)));
    else if (type === 'int64') data = BigInt64Array.from({ length: n }, () => BigInt(rng.int(16)));
    else if (type === 'int32') data = Int32Array.from({ length: n }, () => rng.int(16));
    else if (type === 'bool' || type === 'uint8') data = Uint8Array.from({ length: n }, () => rng.int(2));
    else if (type === 'int8') data = Int8Array.from({ length: n }, () => rng.int(16));
    else throw new TwinforgeError('UNSUPPORTED', `synthetic inputs of type ${type} are not supported`);
    if (type === 'int64' || type === 'int32') warnings.push(`Input '${spec.name}' is integer (token ids?): synthetic ids are drawn from 0..15.`);
    columns.set(spec.name, { type, data });
  }
  return makeDataset('synthetic', true, count, sampleDims, columns, undefined, maxBatchOf(opts.inputs, opts.inputShapes), warnings);
}

/** Batch sizes for a pass over `count` samples: at most `want`, never above the model's batch dim. */
export function* batchRanges(ds: Dataset, want: number): Generator<[number, number]> {
  const b = Math.max(1, Math.min(want, ds.maxBatch));
  // A model whose batch dim is fixed to k > 1 must always get k rows.
  const fixed = Number.isFinite(ds.maxBatch) && ds.maxBatch > 1 && want >= ds.maxBatch;
  for (let s = 0; s < ds.count; s += b) {
    const n = Math.min(b, ds.count - s);
    if (fixed && n < b) break;
    yield [s, n];
  }
}
