// `twinforge bench compress`: end-to-end time of magnitude 50% + int8 on a generated
// ~100M-parameter MLP (MatMul 4096x4096 layers), and the share of it spent in native kernels,
// in ONNX Runtime (calibration, evaluation, latency, the latency model's estimate) and in file
// I/O; the rest is JavaScript. Every step of a real compress run runs (nothing is skipped for
// the bench); the machine's copy bandwidth is measured first (not counted), as `bench native`
// does, since every figure here scales with it.
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, StringStringEntryProtoSchema, TensorProtoSchema } from 'onnx-buf';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../model/onnx/build';
import { Rng } from '../data/rng';
import { compressModel, type CompressRun } from '../pipeline/runner';
import { copyBandwidth } from '../native/measure';

export interface BenchCompressOptions {
  /** Target parameter count (default 100M). */
  params?: number;
  /** Layer width (default 4096). */
  width?: number;
  /** Folder for the generated model and the twin (default: a temp folder, removed after). */
  dir?: string;
  keep?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface BenchCompressResult {
  params: number;
  layers: number;
  width: number;
  modelBytes: number;
  generateMs: number;
  totalMs: number;
  nativeMs: number;
  ortMs: number;
  ioMs: number;
  otherMs: number;
  /** Parts of ortMs (and the calibration's wall time, its temporary model's write included). */
  ortParts: { calibrationMs: number; evaluationMs: number; latencyMs: number; estimateMs: number };
  shares: { native: number; ort: number; io: number; other: number };
  /** In-process copy bandwidth (read + write), GB/s, measured before the run as `bench native --quick` does. */
  copyGBps: number;
  /** Fresh session pairs the latency protocol ran in, and its rounds. */
  latencySessions?: number;
  latencyRounds?: number;
  /** The report's warnings (e.g. estimate vs measurement), so nothing the run said is hidden. */
  warnings: string[];
  metrics: CompressRun['metrics'];
  sizes: CompressRun['sizes'];
  latencyMs?: CompressRun['latencyMs'];
}

/**
 * Writes an MLP of `layers` MatMul+Add+Relu blocks of width x width; returns the bytes written.
 * Weights go to `<file>.data` (external data): written raw, no 400 MB protobuf encode.
 */
export function generateMlp(file: string, layers: number, width: number, seed = 1): number {
  const rng = new Rng(seed);
  const dataName = `${path.basename(file)}.data`;
  const fd = openSync(path.join(path.dirname(file), dataName), 'w');
  let offset = 0;
  const inits = [];
  const external = (name: string, dims: number[], data: Float32Array) => {
    offset = Math.ceil(offset / 4096) * 4096;
    writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0, data.byteLength, offset);
    const t = create(TensorProtoSchema, {
      name,
      dataType: 1,
      dims: dims.map(BigInt),
      dataLocation: 1,
      externalData: [
        create(StringStringEntryProtoSchema, { key: 'location', value: dataName }),
        create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
        create(StringStringEntryProtoSchema, { key: 'length', value: String(data.byteLength) }),
      ],
    });
    offset += data.byteLength;
    return t;
  };
  const nodes = [];
  let x = 'x';
  // Uniform init with the variance of N(0, 1/width) (Kaiming-uniform style): fast to generate.
  const scale = (2 * Math.sqrt(3)) / Math.sqrt(width) / 4294967296;
  const w = new Float32Array(width * width);
  try {
    for (let l = 0; l < layers; l++) {
      for (let i = 0; i < w.length; i++) w[i] = (rng.u32() - 2147483648) * scale;
      const b = new Float32Array(width);
      for (let i = 0; i < width; i++) b[i] = rng.normal() * 0.01;
      inits.push(external(`layers.${l}.weight`, [width, width], w));
      inits.push(tensorProto(`layers.${l}.bias`, 'float32', [width], { bytes: new Uint8Array(b.buffer) }));
      nodes.push(node('MatMul', [x, `layers.${l}.weight`], [`m${l}`], {}, { name: `layers.${l}` }));
      nodes.push(node('Add', [`m${l}`, `layers.${l}.bias`], [`a${l}`], {}, { name: `layers.${l}.add` }));
      const last = l === layers - 1;
      if (!last) nodes.push(node('Relu', [`a${l}`], [`h${l}`], {}, { name: `layers.${l}.relu` }));
      x = last ? `a${l}` : `h${l}`;
    }
    // A user's parent is a file at rest: its writeback must not run inside the timed compress.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  nodes[nodes.length - 1].output[0] = 'y';
  const model = modelProto({
    opsets: { '': 17 },
    producer: { name: 'twinforge-bench', version: '1' },
    graph: graphProto({ name: 'mlp', inputs: [valueInfo('x', 'float32', ['batch', width])], outputs: [valueInfo('y', 'float32', ['batch', width])], initializers: inits, nodes }),
  });
  const bytes = toBinary(ModelProtoSchema, model);
  writeFileSync(file, bytes);
  return bytes.byteLength + offset;
}

/** Runs the benchmark once. */
export async function benchCompress(opts: BenchCompressOptions = {}): Promise<BenchCompressResult> {
  const width = opts.width ?? 4096;
  const layers = Math.max(1, Math.round((opts.params ?? 100e6) / (width * width)));
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'tf-bench-compress-'));
  const log = opts.log ?? (() => {});
  try {
    const file = path.join(dir, 'mlp.onnx');
    const copyGBps = copyBandwidth(64 << 20, 5);
    log(`copy bandwidth ${copyGBps.toFixed(1)} GB/s (read + write)`);
    let t = performance.now();
    const modelBytes = generateMlp(file, layers, width);
    const generateMs = performance.now() - t;
    log(`generated ${layers} x ${width}x${width} MatMul layers (${(layers * width * width / 1e6).toFixed(1)}M weights, ${(modelBytes / 2 ** 20).toFixed(0)} MiB) in ${generateMs.toFixed(0)} ms`);
    t = performance.now();
    const r = await compressModel(
      {
        version: 1,
        name: 'bench: magnitude 50% + int8',
        model: file,
        seed: 1,
        calibration: { source: 'synthetic', samples: 8, batchSize: 8 },
        evaluation: { source: 'synthetic', samples: 8, latency: { warmup: 1, runs: 5 } },
        stages: [
          { type: 'prune', method: 'magnitude', sparsity: 0.5 },
          { type: 'quantize', method: 'int8' },
        ],
        export: { dir: path.join(dir, 'twin'), formats: ['model'] },
      },
      { signal: opts.signal, onLog: log },
    );
    const totalMs = performance.now() - t;
    const { nativeMs, ortMs, ioMs } = r.timings as { nativeMs: number; ortMs: number; ioMs: number };
    const otherMs = Math.max(0, totalMs - nativeMs - ortMs - ioMs);
    const part = (k: string) => r.timings[k] ?? 0;
    const report = JSON.parse(readFileSync(r.report, 'utf8')) as { latencyMs?: { sessions?: number; runs?: number } };
    return {
      params: layers * width * (width + 1),
      layers,
      width,
      modelBytes,
      generateMs,
      totalMs,
      nativeMs,
      ortMs,
      ioMs,
      otherMs,
      ortParts: { calibrationMs: part('calibrationMs'), evaluationMs: part('evaluationMs'), latencyMs: part('latencyMs'), estimateMs: part('estimateMs') },
      shares: { native: nativeMs / totalMs, ort: ortMs / totalMs, io: ioMs / totalMs, other: otherMs / totalMs },
      copyGBps,
      ...(report.latencyMs?.sessions !== undefined ? { latencySessions: report.latencyMs.sessions } : {}),
      ...(report.latencyMs?.runs !== undefined ? { latencyRounds: report.latencyMs.runs } : {}),
      warnings: r.warnings,
      metrics: r.metrics,
      sizes: r.sizes,
      ...(r.latencyMs ? { latencyMs: r.latencyMs } : {}),
    };
  } finally {
    if (!opts.keep && !opts.dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The text report of a run. */
export function formatBenchCompress(r: BenchCompressResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const o = r.ortParts;
  const calOrt = Math.max(0, r.ortMs - o.evaluationMs - o.latencyMs - o.estimateMs);
  return [
    `compress bench: magnitude 50% + int8 on a ${(r.params / 1e6).toFixed(1)}M-parameter MLP (${r.layers} x ${r.width}x${r.width}); copy bandwidth ${r.copyGBps.toFixed(1)} GB/s`,
    `  end to end   ${(r.totalMs / 1000).toFixed(2)} s   (model generation ${(r.generateMs / 1000).toFixed(2)} s, not counted)`,
    `  native       ${(r.nativeMs / 1000).toFixed(2)} s   ${pct(r.shares.native)}`,
    `  ORT          ${(r.ortMs / 1000).toFixed(2)} s   ${pct(r.shares.ort)}   (calibration ${s(calOrt)}, fidelity ${s(o.evaluationMs)}, latency ${s(o.latencyMs)}${r.latencySessions !== undefined ? ` in ${r.latencySessions} session pair(s), ${r.latencyRounds} rounds` : ''}, estimate ${s(o.estimateMs)})`,
    `  file I/O     ${(r.ioMs / 1000).toFixed(2)} s   ${pct(r.shares.io)}`,
    `  JavaScript   ${(r.otherMs / 1000).toFixed(2)} s   ${pct(r.shares.other)}   (layout, graph edits, metrics)`,
    `  twin: cosine ${r.metrics.cosine.toFixed(5)}, SQNR ${r.metrics.sqnrDb.toFixed(1)} dB, ${(r.sizes.parentBytes / 2 ** 20).toFixed(0)} -> ${(r.sizes.twinBytes / 2 ** 20).toFixed(0)} MiB` +
      (r.latencyMs ? `, latency ${r.latencyMs.parent.toFixed(2)} -> ${r.latencyMs.twin.toFixed(2)} ms` : ''),
  ].join('\n');
}

/** Entry for the bench subcommand map: prints the report (or JSON) and returns the exit code. */
export async function runBenchCompress(ctx: { json: boolean; out: (s: string) => void; err: (s: string) => void; signal: AbortSignal }, opts: BenchCompressOptions = {}): Promise<number> {
  const r = await benchCompress({ ...opts, signal: ctx.signal, log: (l) => (ctx.json ? undefined : ctx.err(`${l}\n`)) });
  ctx.out(ctx.json ? JSON.stringify(r) + '\n' : formatBenchCompress(r) + '\n');
  return 0;
}
