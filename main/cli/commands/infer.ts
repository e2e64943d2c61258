// `twinforge infer MODEL|TWIN_DIR --input name=file.npy ... [--out out.npy|dir]`: runs a model on
// the user's inputs and writes its outputs as .npy. What runs it is chosen at one dispatch point,
// INFER_BACKENDS below: a twin folder (manifest.json) goes through the twin runtime (loadTwin),
// a .onnx file through ONNX Runtime. Another kind of model (e.g. a Hugging Face folder) is one
// more entry in that list with its own match() and open().
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import type { CliCommand, CliContext } from '../command';
import { TwinforgeError, badInput } from '../../core/errors';
import { parseNpy, writeNpy, type NpyArray, type NpyDtype } from '../../core/data/npy';
import { timingSessionOptions } from '../../core/hardware/ort-time';
import { defaultThreads } from '../../core/runtime/threads';
import { isTwinFolder, loadTwin } from '../../core/twin-runtime';
import { hfInferBackend } from './infer-llm';

const USAGE = `twinforge infer MODEL|TWIN_DIR --input NAME=FILE.npy [--input ...] [--out OUT.npy|DIR] [--threads N] [--runs N] [--json]

Runs a model on inputs given as NumPy .npy files and writes its outputs as .npy.
  MODEL       an .onnx file (run by ONNX Runtime), or a Hugging Face folder (config.json +
              safetensors, Llama/Mistral/Qwen2) run by Twinforge's native decoder forward:
              --input input_ids=ids.npy [batch, seq] -> logits [batch, seq, vocab]
  TWIN_DIR    a twin folder exported for a Twinforge target (manifest.json, model.onnx,
              weights.twsp): run by the twin runtime, sparse layers on Twinforge's kernels;
              files that do not match the manifest's sha256 are refused
  --input     one per model input: NAME=path/to/array.npy (float64 arrays are narrowed to a
              float32 input, int32 to int64, and said so)
  --out       OUT.npy when the model has one output, else a folder (one NAME.npy per output);
              default: print shapes and a few values only
  --threads   intra-op threads (default: every core, or TWINFORGE_THREADS)
  --runs      also time N more runs and print the median (after the first)`;

/** What a backend gives the command: the model's inputs and a run function. */
export interface InferRunner {
  /** 'onnx' | 'twin' | ... — printed, and in --json output. */
  kind: string;
  inputs: { name: string; type?: ort.Tensor.Type }[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

export interface InferBackend {
  kind: string;
  /** Whether this backend runs the path (a cheap check: extension, marker file). */
  match(p: string): boolean;
  open(p: string, opts: { threads: number }): Promise<InferRunner>;
}

const twinBackend: InferBackend = {
  kind: 'twin',
  match: isTwinFolder,
  async open(p, { threads }) {
    const twin = await loadTwin(p, { threads });
    return { kind: 'twin', inputs: twin.inputNames.map((name) => ({ name, type: twin.inputType(name) })), run: (f) => twin.run(f), release: () => twin.release() };
  },
};

const onnxBackend: InferBackend = {
  kind: 'onnx',
  match: (p) => /\.onnx$/i.test(p) && existsSync(p) && statSync(p).isFile(),
  async open(p, { threads }) {
    let s: ort.InferenceSession;
    try {
      s = await ort.InferenceSession.create(p, timingSessionOptions(threads));
    } catch (e) {
      throw new TwinforgeError('CORRUPT_MODEL', `ONNX Runtime cannot load ${p}: ${(e as Error).message.split('\n')[0]}`, 'Check the file with `twinforge inspect`.');
    }
    const inputs = s.inputNames.map((name, i) => {
      const m = s.inputMetadata?.[i];
      return { name, type: m && m.isTensor ? m.type : undefined };
    });
    return { kind: 'onnx', inputs, run: async (f) => (await s.run(f)) as Record<string, ort.Tensor>, release: () => s.release() };
  },
};

/** THE dispatch point: the first backend whose match() accepts the path runs it. Add new kinds of models here. */
export const INFER_BACKENDS: InferBackend[] = [twinBackend, onnxBackend, hfInferBackend];

export function backendFor(p: string): InferBackend {
  const b = INFER_BACKENDS.find((x) => x.match(p));
  if (b) return b;
  if (!existsSync(p)) throw new TwinforgeError('NOT_FOUND', `No such model or twin folder: ${p}`, 'Give an .onnx file or a twin folder (one with manifest.json).');
  throw badInput(`Cannot tell how to run ${p}: not an .onnx file and not a twin folder (no manifest.json)`, `Supported: ${INFER_BACKENDS.map((x) => x.kind).join(', ')}.`);
}

const NPY_TO_ORT: Partial<Record<NpyDtype, ort.Tensor.Type>> = { float32: 'float32', float64: 'float64', float16: 'float16', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16', int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64', bool: 'bool' };
const ORT_TO_NPY = Object.fromEntries(Object.entries(NPY_TO_ORT).map(([k, v]) => [v, k])) as Partial<Record<string, NpyDtype>>;

/** A tensor of the model's input type from an .npy array; only lossless-enough conversions, each reported. */
function toTensor(name: string, a: NpyArray, want: ort.Tensor.Type | undefined, notes: string[]): ort.Tensor {
  const have = NPY_TO_ORT[a.dtype];
  if (!have) throw badInput(`--input ${name}: .npy dtype ${a.dtype} has no ONNX tensor type`);
  if (!want || want === have) return new ort.Tensor(have, a.data as never, a.shape);
  if (want === 'float32' && (have === 'float64' || have === 'float16' || have.startsWith('int') || have.startsWith('uint'))) {
    notes.push(`input ${name}: ${have} converted to float32`);
    const src = a.data as ArrayLike<number>;
    return new ort.Tensor('float32', have === 'float16' ? Float32Array.from(src as Uint16Array, half) : Float32Array.from(src), a.shape);
  }
  if (want === 'int64' && (have === 'int32' || have === 'int16' || have === 'int8' || have === 'uint8' || have === 'uint16' || have === 'uint32')) {
    notes.push(`input ${name}: ${have} converted to int64`);
    return new ort.Tensor('int64', BigInt64Array.from(a.data as ArrayLike<number>, (v) => BigInt(v)), a.shape);
  }
  throw badInput(`--input ${name}: the model wants ${want}, the .npy holds ${have}`, `Save the array as ${want} (numpy: arr.astype('${ORT_TO_NPY[want] ?? want}')).`);
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 31;
  const f = h & 1023;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function parseInputs(values: string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0 || eq === v.length - 1) throw badInput(`--input '${v}' is not NAME=FILE.npy`, 'Example: --input x=input.npy');
    const name = v.slice(0, eq);
    if (out.has(name)) throw badInput(`--input ${name} is given twice`);
    out.set(name, v.slice(eq + 1));
  }
  return out;
}

function toNpy(name: string, t: ort.Tensor): NpyArray {
  const dtype = ORT_TO_NPY[t.type];
  if (!dtype) throw new TwinforgeError('UNSUPPORTED', `output ${name} has type ${t.type}, which .npy files here do not hold`);
  return { dtype, shape: [...t.dims], data: t.data as NpyArray['data'] };
}

/** Writes outputs: OUT.npy for a single output, else DIR/NAME.npy per output. */
function writeOutputs(out: string, outputs: Record<string, ort.Tensor>): string[] {
  const names = Object.keys(outputs);
  if (/\.npy$/i.test(out)) {
    if (names.length !== 1) throw badInput(`--out ${out} is one .npy file, but the model has ${names.length} outputs (${names.join(', ')})`, 'Give a folder instead.');
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, writeNpy(toNpy(names[0], outputs[names[0]])));
    return [out];
  }
  mkdirSync(out, { recursive: true });
  return names.map((n) => {
    const f = path.join(out, `${n.replace(/[^A-Za-z0-9._-]+/g, '_')}.npy`);
    writeFileSync(f, writeNpy(toNpy(n, outputs[n])));
    return f;
  });
}

async function infer(args: { values: Record<string, unknown>; positionals: string[] }, ctx: CliContext): Promise<number> {
  const target = args.positionals[0];
  if (!target) throw badInput('infer needs a model file or twin folder', USAGE.split('\n')[0]);
  if (args.positionals.length > 1) throw badInput(`infer takes one model, got ${args.positionals.length} positional arguments`);
  const threads = args.values.threads === undefined ? defaultThreads() : Number(args.values.threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw badInput(`--threads must be an integer in [1, 1024], got ${String(args.values.threads)}`);
  const runs = args.values.runs === undefined ? 0 : Number(args.values.runs);
  if (!Number.isInteger(runs) || runs < 0 || runs > 100000) throw badInput(`--runs must be an integer >= 0, got ${String(args.values.runs)}`);
  const given = parseInputs(args.values.input as string[] | undefined);
  const backend = backendFor(target);
  const runner = await backend.open(target, { threads });
  const notes: string[] = [];
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of given.keys()) if (!runner.inputs.some((i) => i.name === name)) throw badInput(`--input ${name}: the model has no input of that name`, `Its inputs: ${runner.inputs.map((i) => i.name).join(', ')}.`);
    for (const inp of runner.inputs) {
      const file = given.get(inp.name);
      if (!file) throw badInput(`No --input for the model's input '${inp.name}'`, `Give --input ${inp.name}=FILE.npy (inputs: ${runner.inputs.map((i) => i.name).join(', ')}).`);
      if (!existsSync(file)) throw new TwinforgeError('NOT_FOUND', `--input ${inp.name}: no such file ${file}`);
      feeds[inp.name] = toTensor(inp.name, parseNpy(readFileSync(file), file), inp.type, notes);
    }
    let t0 = performance.now();
    const outputs = await runner.run(feeds);
    const firstMs = performance.now() - t0;
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (ctx.signal.aborted) throw new TwinforgeError('CANCELLED', 'infer cancelled');
      t0 = performance.now();
      await runner.run(feeds);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const medianMs = times.length ? times[Math.floor(times.length / 2)] : undefined;
    const out = args.values.out as string | undefined;
    const files = out ? writeOutputs(out, outputs) : [];
    const summary = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { type: v.type, dims: [...v.dims] }]));
    if (ctx.json) {
      ctx.out(JSON.stringify({ model: target, runner: runner.kind, threads, outputs: summary, files, firstRunMs: firstMs, ...(medianMs !== undefined ? { medianMs, runs } : {}), notes }) + '\n');
    } else {
      ctx.out(`${target}: run by ${runner.kind === 'twin' ? 'the twin runtime (ONNX Runtime + Twinforge sparse kernels)' : 'ONNX Runtime'}, ${threads} thread(s)\n`);
      for (const n of notes) ctx.out(`note: ${n}\n`);
      for (const [k, v] of Object.entries(outputs)) {
        const d = v.data as ArrayLike<number | bigint>;
        const head = Array.from({ length: Math.min(6, d.length) }, (_, i) => (typeof d[i] === 'number' ? Number((d[i] as number).toPrecision(5)) : String(d[i])));
        ctx.out(`  ${k}: ${v.type} [${v.dims.join(', ')}]  ${head.join(', ')}${d.length > 6 ? ', …' : ''}\n`);
      }
      for (const f of files) ctx.out(`wrote ${f}\n`);
      ctx.out(`first run ${firstMs.toFixed(3)} ms${medianMs !== undefined ? `, median of ${runs} more ${medianMs.toFixed(3)} ms` : ''}\n`);
    }
    return 0;
  } finally {
    await runner.release();
  }
}

export const inferCommand: CliCommand = {
  name: 'infer',
  summary: 'Run an ONNX model or an exported twin folder on .npy inputs and write its outputs as .npy',
  usage: USAGE,
  options: {
    input: { type: 'string', short: 'i', multiple: true },
    out: { type: 'string', short: 'o' },
    threads: { type: 'string' },
    runs: { type: 'string' },
  },
  run: (args, ctx) => infer(args, ctx),
};
