// `twinforge bench native`: the native kernels on this machine, each against the in-process copy
// bandwidth measured in the same run; the measuring kernels (dense/sparse/int8 products) against
// ONNX Runtime's dense MatMul on the same shapes (interleaved rounds, no spinning, same thread
// count); the compression kernels against PyTorch's CPU ops when /usr/bin/python3 has torch.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema } from 'onnx-buf';
import * as ort from 'onnxruntime-node';
import { graphProto, modelProto, node, tensorProto, valueInfo } from '../model/onnx/build';
import { createSession } from '../runtime/ort';
import { packageRootDir } from '../native/addon';
import {
  applyMask,
  buildMaskByThreshold,
  cudaInfo,
  globalMagnitudeThreshold,
  gptq,
  hessianAccumulate,
  measure,
  nativeInfo,
  nmMask,
  quantizeInt4Groups,
  quantizeInt8PerChannel,
  sparsegpt,
  type MeasureKernel,
  type MeasureParams,
} from '../native';
import { TwinforgeError } from '../errors';
import { registerBench, type BenchArgs, type BenchContext } from './registry';

export interface NativeBenchRow {
  kernel: string;
  isa: string;
  params: string;
  bytes: number;
  seconds: number;
  GBps: number;
  ratioToCopy: number;
  gflops?: number;
  /** What we compare with, measured in the same run. */
  baseline?: { name: string; seconds: number };
  /** baseline.seconds / seconds (> 1: ours is faster). */
  speedup?: number;
  note?: string;
}

export interface NativeBenchResult {
  copyGBps: number;
  threads: number;
  isa: string;
  results: NativeBenchRow[];
  pytorch?: string;
  cuda?: string;
}

export interface NativeBenchOptions {
  quick?: boolean;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Python with torch for the side-by-side (default /usr/bin/python3); null skips it. */
  python?: string | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function randomWeights(n: number, seed: number): Float32Array {
  const w = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    w[i] = s / 2147483648 - 1;
  }
  return w;
}

/** A one-node ONNX model Y = MatMul(X[m, k], W[k, n]) with random W, as bytes. */
export function matmulModel(m: number, k: number, n: number, seed = 7): Uint8Array {
  const w = randomWeights(k * n, seed);
  const model = modelProto({
    opsets: { '': 17 },
    graph: graphProto({
      name: 'matmul',
      inputs: [valueInfo('x', 'float32', [m, k])],
      outputs: [valueInfo('y', 'float32', [m, n])],
      initializers: [tensorProto('w', 'float32', [k, n], { bytes: new Uint8Array(w.buffer) })],
      nodes: [node('MatMul', ['x', 'w'], ['y'])],
    }),
  });
  return toBinary(ModelProtoSchema, model);
}

interface Product {
  kernel: MeasureKernel;
  label: string;
  params: MeasureParams;
}

function products(m: number, dim: number): Product[] {
  const shape = { m, n: dim, k: dim };
  const dense: Product = m === 1 ? { kernel: 'gemv', label: 'gemv_f32 dense', params: { n: dim, k: dim } } : { kernel: 'gemm', label: 'sgemm dense', params: shape };
  return [
    dense,
    ...(m > 1 && m <= 32 ? [{ kernel: 'gemm_packed' as const, label: 'sgemm dense, B packed once', params: shape }] : []),
    { kernel: 'csr', label: 'csr_f32 90% sparse', params: { ...shape, density: 0.1 } },
    { kernel: 'nm', label: 'nm_f32 1:8 (87.5%)', params: { ...shape, pattern: '1:8' } },
    { kernel: 'nm', label: 'nm_f32 1:16 (93.75%)', params: { ...shape, pattern: '1:16' } },
    { kernel: 'nm', label: 'nm_f32 2:4 (50%)', params: { ...shape, pattern: '2:4' } },
    { kernel: 'sp24', label: 'sp24 2:4 packed fp32', params: shape },
    { kernel: 'sp24_f16', label: 'sp24 2:4 packed fp16', params: shape },
    { kernel: 'bsr', label: 'bsr_f32 4x4 90%', params: { ...shape, block: [4, 4], density: 0.1 } },
    { kernel: 'bsr', label: 'bsr_f32 1x16 90%', params: { ...shape, block: [1, 16], density: 0.1 } },
    { kernel: 'int8', label: 's8_gemm int8', params: shape },
  ];
}

function row(kernel: string, isa: string, params: string, bytes: number, seconds: number, copyGBps: number, flops = 0): NativeBenchRow {
  const GBps = seconds > 0 ? bytes / seconds / 1e9 : 0;
  const r: NativeBenchRow = { kernel, isa, params, bytes, seconds, GBps, ratioToCopy: copyGBps > 0 ? GBps / copyGBps : 0 };
  if (flops > 0 && seconds > 0) r.gflops = flops / seconds / 1e9;
  return r;
}

function timeSync(fn: () => void, reps: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1e3);
  }
  return median(ts);
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new TwinforgeError('CANCELLED', 'The benchmark was cancelled');
}

interface TorchRow {
  key: string;
  seconds?: number;
  error?: string;
  note?: string;
}

function runTorch(python: string, n: number, side: number, threads: number, sgptCols: number): { rows: TorchRow[]; version?: string; skipped?: string } {
  const script = path.join(packageRootDir(), 'native', 'bench', 'torch_cpu_baseline.py');
  if (!existsSync(python)) return { rows: [], skipped: `${python} not found` };
  const r = spawnSync(python, [script, '--n', String(n), '--side', String(side), '--threads', String(threads), '--sparsegpt', String(sgptCols)], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 16 << 20,
  });
  if (r.status !== 0) return { rows: [], skipped: `python exited ${r.status}: ${(r.stderr || '').split('\n').slice(-3).join(' ')}` };
  try {
    const j = JSON.parse(r.stdout) as { skipped?: string; torch?: string; results?: TorchRow[] };
    if (j.skipped) return { rows: [], skipped: j.skipped };
    return { rows: j.results ?? [], version: j.torch };
  } catch {
    return { rows: [], skipped: 'python printed no JSON' };
  }
}

/** Runs the native benchmark and returns every row (no printing). */
export async function benchNative(opts: NativeBenchOptions = {}): Promise<NativeBenchResult> {
  const quick = opts.quick === true;
  const log = opts.log ?? (() => undefined);
  const info = nativeInfo();
  const threads = info.threads;
  const isa = info.isa;
  const copyBytes = (quick ? 64 : 256) << 20;
  const copy = measure('copy', { bytes: copyBytes, repeats: quick ? 5 : 15 });
  const copyGBps = copy.GBps;
  const results: NativeBenchRow[] = [row('copy (memcpy)', isa, `${copyBytes >> 20} MiB x2 buffers`, copy.bytes, copy.seconds, copyGBps)];
  log(`copy: ${copyGBps.toFixed(1)} GB/s (${threads} threads, ${isa})`);

  // 1. Products against ONNX Runtime's dense MatMul, interleaved rounds.
  const dim = 4096;
  const rounds = quick ? 2 : 3;
  const reps = quick ? 3 : 5;
  for (const m of quick ? [1, 16] : [1, 16, 128]) {
    checkAbort(opts.signal);
    const session = await createSession(matmulModel(m, dim, dim), { intraOpNumThreads: threads, allowSpinning: false });
    try {
      const x = new ort.Tensor('float32', randomWeights(m * dim, 3), [m, dim]);
      const ortTimes: number[] = [];
      const ours = products(m, dim).map((p) => ({ p, times: [] as number[], last: undefined as ReturnType<typeof measure> | undefined }));
      for (let i = 0; i < 2; i++) await session.run({ x }); // warm-up
      for (let r = 0; r < rounds; r++) {
        checkAbort(opts.signal);
        const ts: number[] = [];
        for (let i = 0; i < reps; i++) {
          const t0 = performance.now();
          await session.run({ x });
          ts.push((performance.now() - t0) / 1e3);
        }
        ortTimes.push(median(ts));
        for (const o of ours) {
          o.last = measure(o.p.kernel, { ...o.p.params, repeats: reps, warmup: r === 0 ? 1 : 0 });
          o.times.push(o.last.seconds);
        }
      }
      const ortSec = median(ortTimes);
      for (const o of ours) {
        const sec = median(o.times);
        const rr = row(o.p.label, o.last!.isa, `${m}x${dim} . ${dim}x${dim}`, o.last!.bytes, sec, copyGBps, o.last!.flops);
        rr.baseline = { name: 'onnxruntime MatMul fp32 dense', seconds: ortSec };
        rr.speedup = ortSec / sec;
        results.push(rr);
        log(`${rr.kernel} m=${m}: ${(sec * 1e3).toFixed(3)} ms, ORT ${(ortSec * 1e3).toFixed(3)} ms, ${rr.speedup.toFixed(2)}x`);
      }
    } finally {
      await session.release();
    }
  }

  // 2. Compression kernels on >= 64 MB of fp32 weights, against the copy bandwidth (and PyTorch).
  const side = 4096;
  const n = (quick ? 16 : 32) * (1 << 20);
  const w = randomWeights(n, 11);
  const cr = quick ? 3 : 5;
  const comp: { key: string; r: NativeBenchRow }[] = [];
  const add = (key: string, kernel: string, params: string, bytes: number, sec: number) => {
    const r = row(kernel, isa, params, bytes, sec, copyGBps);
    comp.push({ key, r });
    results.push(r);
    log(`${kernel}: ${(sec * 1e3).toFixed(2)} ms, ${r.GBps.toFixed(1)} GB/s, ${(r.ratioToCopy * 100).toFixed(0)}% of copy`);
  };
  const mb = `${(n * 4) >> 20} MB fp32`;
  checkAbort(opts.signal);
  const g = globalMagnitudeThreshold([w], 0.5);
  add('threshold', 'global magnitude threshold 50%', mb, 4 * n, timeSync(() => globalMagnitudeThreshold([w], 0.5), cr));
  const maskBuf = new Uint8Array(n);
  add('mask', 'mask build (threshold + ties)', mb, 5 * n, timeSync(() => buildMaskByThreshold(w, g.threshold, { tiesToPrune: g.tiesToPrune, out: maskBuf }), cr));
  const wc = w.slice();
  add('apply', 'mask apply', mb, 9 * n, timeSync(() => applyMask(wc, maskBuf), cr));
  const nmOut = new Uint8Array(n);
  add('nm24', 'N:M 2:4 mask', mb, 5 * n, timeSync(() => nmMask(w, { rows: n / side, cols: side, n: 2, m: 4, out: nmOut }), cr));
  const q8 = { q: new Int8Array(n), scales: new Float32Array(n / side) };
  add('q8', 'int8 per-channel quantize', mb, 5 * n + (4 * n) / side, timeSync(() => quantizeInt8PerChannel(w, { rows: n / side, cols: side, axis: 0, out: q8 }), cr));
  const q4 = { packed: new Uint8Array(n / 2), scales: new Float32Array(n / 128) };
  add('q4', 'int4 group-128 quantize', mb, 4.5 * n + (4 * n) / 128, timeSync(() => quantizeInt4Groups(w, { rows: n / side, cols: side, groupSize: 128, out: q4 }), cr));

  // 3. Calibration statistics and solvers (time only).
  checkAbort(opts.signal);
  const L = quick ? 1024 : 4096;
  const tokens = 2048;
  const xs = randomWeights(tokens * L, 13);
  const h = new Float32Array(L * L);
  const th = timeSync(() => {
    h.fill(0);
    hessianAccumulate(h, xs, { nSamples: tokens, dim: L, alpha: 2 / tokens });
  }, 1);
  results.push(row('hessian XtX', isa, `${tokens} tokens x ${L}`, 4 * (tokens * L + 2 * L * L), th, copyGBps, tokens * L * L));
  const wl = randomWeights(L * L, 17);
  const solve = (label: string, fn: (wt: Float32Array) => void) => {
    checkAbort(opts.signal);
    const wt = wl.slice();
    const t0 = performance.now();
    fn(wt);
    const r = row(label, isa, `${L}x${L}, H of ${tokens} tokens`, 0, (performance.now() - t0) / 1e3, copyGBps);
    results.push(r);
    log(`${label}: ${(r.seconds * 1e3).toFixed(0)} ms`);
    return r;
  };
  const sg50 = solve('sparsegpt 50%', (wt) => sparsegpt(wt, h, { rows: L, cols: L, sparsity: 0.5 }));
  solve('sparsegpt 2:4', (wt) => sparsegpt(wt, h, { rows: L, cols: L, n: 2, m: 4 }));
  solve('gptq int4 g128', (wt) => gptq(wt, h, { rows: L, cols: L, bits: 4, groupSize: 128 }));

  // 4. PyTorch side by side (compression ops on the same sizes and threads).
  const out: NativeBenchResult = { copyGBps, threads, isa, results };
  if (opts.python !== null) {
    checkAbort(opts.signal);
    const sgptCols = 1024;
    const t = runTorch(opts.python ?? '/usr/bin/python3', n, side, threads, sgptCols);
    if (t.skipped) {
      out.pytorch = `skipped: ${t.skipped}`;
    } else {
      out.pytorch = `torch ${t.version}, ${threads} threads`;
      for (const { key, r } of comp) {
        const tr = t.rows.find((x) => x.key === key && x.seconds !== undefined);
        if (tr?.seconds) {
          r.baseline = { name: 'pytorch', seconds: tr.seconds };
          r.speedup = tr.seconds / r.seconds;
        }
      }
      const ts = t.rows.find((x) => x.key === 'sparsegpt50' && x.seconds !== undefined);
      if (ts?.seconds) {
        if (L === sgptCols) {
          sg50.baseline = { name: 'pytorch (reference code)', seconds: ts.seconds };
          sg50.speedup = ts.seconds / sg50.seconds;
        } else {
          sg50.note = `PyTorch reference code at ${sgptCols}x${sgptCols}: ${(ts.seconds * 1e3).toFixed(0)} ms`;
        }
      }
    }
  }

  // 5. CUDA, when there is a device.
  const ci = cudaInfo();
  if (ci.devices > 0) {
    const c = measure('cuda_copy', { bytes: 1 << 30, repeats: 10 });
    results.push(row('cuda device copy', 'cuda', `${ci.deviceList[0].name}, 1 GiB`, c.bytes, c.seconds, copyGBps));
    out.cuda = ci.deviceList[0].name;
  } else {
    out.cuda = `none: ${ci.error ?? 'no device'}`;
  }
  return out;
}

/** The text table `twinforge bench native` prints. */
export function formatNativeBench(r: NativeBenchResult): string {
  const lines = [
    `copy bandwidth ${r.copyGBps.toFixed(1)} GB/s (read + write), ${r.threads} threads, ISA ${r.isa}`,
    `PyTorch: ${r.pytorch ?? 'not run'}; CUDA: ${r.cuda ?? 'not checked'}`,
    '',
  ];
  const head = ['kernel', 'params', 'time ms', 'GB/s', 'vs copy', 'GFLOP/s', 'baseline ms', 'speedup'];
  const rows = r.results.map((x) => [
    x.kernel,
    x.params,
    (x.seconds * 1e3).toFixed(3),
    x.bytes ? x.GBps.toFixed(1) : '',
    x.bytes ? `${(x.ratioToCopy * 100).toFixed(0)}%` : '',
    x.gflops ? x.gflops.toFixed(1) : '',
    x.baseline ? `${(x.baseline.seconds * 1e3).toFixed(3)} ${x.baseline.name.startsWith('onnx') ? 'ORT' : x.baseline.name}` : '',
    x.speedup ? `${x.speedup.toFixed(2)}x` : '',
  ]);
  const all = [head, ...rows];
  const width = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  for (const row of all) lines.push(row.map((c, i) => (i >= 2 ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd());
  const notes = r.results.filter((x) => x.note).map((x) => `note: ${x.kernel}: ${x.note}`);
  return [...lines, ...notes, ''].join('\n');
}

registerBench({
  name: 'native',
  summary: 'native kernels vs the copy bandwidth, ONNX Runtime MatMul and PyTorch',
  usage: '  --quick       smaller sizes and fewer repeats (about 1 minute)\n  --no-torch    skip the PyTorch side-by-side',
  options: { quick: { type: 'boolean' }, 'no-torch': { type: 'boolean' } },
  async run(args: BenchArgs, ctx: BenchContext) {
    const result = await benchNative({
      quick: args.values.quick === true,
      signal: ctx.signal,
      python: args.values['no-torch'] === true ? null : undefined,
      log: ctx.json ? undefined : ctx.isTTY ? (l) => ctx.err(`${l}\n`) : undefined,
    });
    ctx.out(ctx.json ? `${JSON.stringify(result)}\n` : formatNativeBench(result));
    return 0;
  },
});
