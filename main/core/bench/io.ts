// `twinforge bench io`: how fast `inspect` reads a big model and how much memory it takes.
// Generates a ~1 GB model (16 MatMul layers of 4096 x 4096 float32) with its weights in an
// external data file (and, optionally, the same model as one 1 GB protobuf), then inspects it
// in a fresh worker process, so the peak RSS the kernel reports is the inspect's own. The model
// I/O promise under test: peak memory stays under 30% of the file size (weights are read in
// bounded chunks, never whole).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, type TensorProto, TensorProtoSchema } from 'onnx-buf';
import { TwinforgeError } from '../errors';
import { engineModule, forkWorker } from '../jobs/worker-launch';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../model/onnx/build';
import { OnnxModel } from '../model/onnx/reader';
import { saveOnnx } from '../model/onnx/writer';
import { copyBandwidth } from '../native/measure';

export interface BenchIoOptions {
  /** Total weight bytes (default 1 GiB). */
  bytes?: number;
  /** Layer width (default 4096: 64 MiB per layer). */
  width?: number;
  /** Also measure the same model stored as one protobuf file (no external data). */
  embedded?: boolean;
  /** Folder for the generated files (default: a temp folder, removed after). */
  dir?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface BenchIoCase {
  layout: 'external' | 'embedded';
  /** Model file + external data, bytes. */
  fileBytes: number;
  inspectMs: number;
  /** Peak resident memory of the worker during inspect (kernel maxRSS). */
  peakRssBytes: number;
  /** Resident memory before inspect (Node, the engine modules, a warm-up inspect). */
  baselineRssBytes: number;
  /** peakRss − baselineRss: what inspect itself added. */
  growthBytes: number;
  heapUsedBytes: number;
  arrayBuffersBytes: number;
  /** peakRss / fileBytes. */
  peakFraction: number;
  parameters: number;
  flops: number;
  /** Peak RSS under 30% of the file size. */
  pass: boolean;
}

export interface BenchIoResult {
  /** In-process copy bandwidth (read + write), GB/s, measured first as `bench native --quick` does. */
  copyGBps: number;
  generateMs: number;
  cases: BenchIoCase[];
  pass: boolean;
}

const LIMIT = 0.3;

/** Writes the benchmark model: .onnx graph + .onnx.data weights, streamed (never all in memory). */
export function generateIoModel(dir: string, totalBytes: number, width: number): { model: string; bytes: number; layers: number } {
  const layerBytes = width * width * 4;
  const layers = Math.max(1, Math.round(totalBytes / layerBytes));
  const model = path.join(dir, 'io-bench.onnx');
  const dataName = 'io-bench.onnx.data';
  // One 16 MiB block of varied values (some exact zeros), repeated: cheap to write, real to decode.
  const block = new Float32Array(4 * 2 ** 20);
  let s = 12345;
  for (let i = 0; i < block.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    block[i] = s % 10 === 0 ? 0 : (s / 2 ** 32 - 0.5) * 0.05;
  }
  const blockBytes = new Uint8Array(block.buffer);
  const fd = fs.openSync(path.join(dir, dataName), 'w');
  const inits: TensorProto[] = [];
  const nodes = [];
  try {
    let offset = 0;
    for (let l = 0; l < layers; l++) {
      for (let done = 0; done < layerBytes; done += blockBytes.byteLength) {
        const n = Math.min(blockBytes.byteLength, layerBytes - done);
        fs.writeSync(fd, blockBytes, 0, n, offset + done);
      }
      inits.push(
        create(TensorProtoSchema, {
          name: `layers.${l}.weight`,
          dataType: 1,
          dims: [BigInt(width), BigInt(width)],
          dataLocation: 1,
          externalData: [
            create(StringStringEntryProtoSchema, { key: 'location', value: dataName }),
            create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
            create(StringStringEntryProtoSchema, { key: 'length', value: String(layerBytes) }),
          ],
        }),
      );
      nodes.push(node('MatMul', [l === 0 ? 'x' : `h${l - 1}`, `layers.${l}.weight`], [l === layers - 1 ? 'y' : `h${l}`], {}, { name: `layers.${l}` }));
      offset += layerBytes;
    }
    // Flushed before measuring: reads racing the kernel's writeback of 1 GB measure the disk, not the reader.
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const proto = modelProto({
    opsets: { '': 13 },
    producer: { name: 'twinforge-bench', version: '1' },
    graph: graphProto({ name: 'io_bench', inputs: [valueInfo('x', 'float32', ['batch', width])], outputs: [valueInfo('y', 'float32', ['batch', width])], initializers: inits, nodes }),
  });
  // The graph file is small: write it as is (the weights already sit in the data file).
  saveOnnx(OnnxModel.fromProto(proto, model), model, { externalData: 'always' });
  return { model, bytes: fs.statSync(model).size + fs.statSync(path.join(dir, dataName)).size, layers };
}

interface WorkerReport {
  inspectMs: number;
  baselineRss: number;
  maxRss: number;
  heapUsed: number;
  arrayBuffers: number;
  parameters: number;
  flops: number;
  error?: { code: string; message: string };
}

// Runs inspect in a fresh worker: the kernel's maxRSS of that process is the peak we report.
function inspectInWorker(model: string, warmup: string): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = forkWorker(engineModule('core/bench/io-worker'), [model, warmup]);
    let report: WorkerReport | undefined;
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    child.on('message', (m) => (report = m as WorkerReport));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (report?.error) reject(new TwinforgeError(report.error.code as never, report.error.message));
      else if (report) resolve(report);
      else reject(new TwinforgeError('INTERNAL', `The bench worker exited with code ${code} and no report.`, stderr.slice(-2000)));
    });
  });
}

/** Generates the model(s), inspects each in a worker, and reports time and peak memory. */
export async function benchIo(opts: BenchIoOptions = {}): Promise<BenchIoResult> {
  const log = opts.log ?? (() => {});
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'twinforge-bench-io-'));
  fs.mkdirSync(dir, { recursive: true });
  try {
    const copyGBps = copyBandwidth(64 << 20, 5);
    const t0 = performance.now();
    const gen = generateIoModel(dir, opts.bytes ?? 2 ** 30, opts.width ?? 4096);
    // A tiny model for the worker's warm-up (loads and JITs the code before the baseline).
    const warm = path.join(dir, 'warmup.onnx');
    generateTiny(warm);
    const generateMs = performance.now() - t0;
    log(`generated ${gen.layers} layers, ${(gen.bytes / 2 ** 20).toFixed(0)} MiB in ${(generateMs / 1000).toFixed(1)} s`);
    const cases: BenchIoCase[] = [];
    const layouts: Array<{ layout: 'external' | 'embedded'; file: string; bytes: number }> = [{ layout: 'external', file: gen.model, bytes: gen.bytes }];
    if (opts.embedded) {
      const emb = path.join(dir, 'io-bench-embedded.onnx');
      const m = OnnxModel.open(gen.model);
      try {
        saveOnnx(m, emb, { externalData: 'never' });
      } finally {
        m.close();
      }
      layouts.push({ layout: 'embedded', file: emb, bytes: fs.statSync(emb).size });
    }
    for (const l of layouts) {
      const r = await inspectInWorker(l.file, warm);
      const c: BenchIoCase = {
        layout: l.layout,
        fileBytes: l.bytes,
        inspectMs: r.inspectMs,
        peakRssBytes: r.maxRss,
        baselineRssBytes: r.baselineRss,
        growthBytes: Math.max(0, r.maxRss - r.baselineRss),
        heapUsedBytes: r.heapUsed,
        arrayBuffersBytes: r.arrayBuffers,
        peakFraction: r.maxRss / l.bytes,
        parameters: r.parameters,
        flops: r.flops,
        pass: r.maxRss < LIMIT * l.bytes,
      };
      log(formatCase(c));
      cases.push(c);
    }
    return { copyGBps, generateMs, cases, pass: cases.every((c) => c.pass) };
  } finally {
    if (!opts.keep && !opts.dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function generateTiny(file: string): void {
  const proto = modelProto({
    opsets: { '': 13 },
    graph: graphProto({ name: 'tiny', inputs: [valueInfo('x', 'float32', [1, 8])], outputs: [valueInfo('y', 'float32', [1, 8])], initializers: [tensorProto('w', 'float32', [8, 8], new Array(64).fill(0.5))], nodes: [node('MatMul', ['x', 'w'], ['y'])] }),
  });
  saveOnnx(OnnxModel.fromProto(proto, file), file);
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

function formatCase(c: BenchIoCase): string {
  return `${c.layout.padEnd(8)}  ${mib(c.fileBytes).padStart(11)}  inspect ${(c.inspectMs / 1000).toFixed(2)} s  peak RSS ${mib(c.peakRssBytes)} (${(c.peakFraction * 100).toFixed(1)}% of file; +${mib(c.growthBytes)} over baseline ${mib(c.baselineRssBytes)})  ${c.pass ? 'PASS' : 'FAIL'} (< ${LIMIT * 100}%)`;
}

/** Human-readable report of a bench io run. */
export function formatBenchIo(r: BenchIoResult): string {
  return [`bench io: inspect of a generated model, peak memory must stay under ${LIMIT * 100}% of the file size; copy bandwidth ${r.copyGBps.toFixed(1)} GB/s`, ...r.cases.map(formatCase), r.pass ? 'PASS' : 'FAIL', ''].join('\n');
}
