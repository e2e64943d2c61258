// Measures Twinforge's own CPU kernels (copy bandwidth; dense, CSR, N:M, block-sparse and int8
// GEMV/GEMM, through main/core/native/measure.ts) into the `twinforge-cpu` runtime of the
// this-machine profile, and times single layers for `hw validate` on that runtime.
import { TwinforgeError } from '../errors';
import type { LayerCost } from './costs';
import { effectiveLevel, parsePattern, type LayerOption } from './options';
import { formatQuantity } from './units';

export interface NativeCalibration {
  /** Copy bandwidth of a buffer far larger than the caches, bytes/s (read + written). */
  dramBandwidth?: number;
  /** Copy bandwidth by buffer size (cache levels). */
  copyLadder: { bytes: number; bandwidth: number }[];
  /** Best dense fp32 GEMM rate, FLOP/s, and int8 GEMM rate, OP/s. */
  gemmFlops?: number;
  int8Ops?: number;
  /** The runtime entry (profile document form) built from the measurements. */
  runtime: Record<string, unknown>;
  log: string[];
}

export interface NativeOptions {
  effort?: number;
  threads?: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number, stage: string) => void;
  quick?: boolean;
}

type MeasureModule = typeof import('../native/measure');

async function measureModule(): Promise<MeasureModule> {
  const m = await import('../native/measure');
  try {
    m.measure('copy', { bytes: 4096, repeats: 1, warmup: 0 });
  } catch (e) {
    throw new TwinforgeError('UNSUPPORTED', `the native measuring kernels are not available: ${(e as Error).message}`, 'Build the addon: npm run build:native.');
  }
  return m;
}

const fq = formatQuantity;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** Times the native kernels and builds the twinforge-cpu runtime entry from them. */
export async function measureNativeRuntime(opts: NativeOptions = {}): Promise<NativeCalibration | undefined> {
  const m = await measureModule();
  const effort = opts.effort ?? 1;
  const repeats = Math.max(3, Math.round(11 * effort));
  const log: string[] = [];
  const at = new Date().toISOString();
  const check = () => {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Measurement cancelled.');
  };
  const run = async (kernel: Parameters<MeasureModule['measure']>[0], p: Parameters<MeasureModule['measure']>[1]) => {
    check();
    // copies keep a fixed repeat count; kernels are timed as layers are (steadyMeasure)
    return kernel === 'copy' ? m.measureAsync(kernel, { repeats, warmup: 2, ...p }, { signal: opts.signal }) : steadyMeasure(m, kernel, p, effort, opts.signal);
  };
  let step = 0;
  const total = 6;
  const stage = (s: string) => opts.progress?.(step++, total, s);

  stage('copy');
  const sizes = opts.quick ? [256 << 10, 16 << 20] : [256 << 10, 4 << 20, 16 << 20, 256 << 20];
  const copyLadder: NativeCalibration['copyLadder'] = [];
  for (const bytes of sizes) {
    const c = await run('copy', { bytes });
    copyLadder.push({ bytes, bandwidth: c.GBps * 1e9 });
  }
  log.push(`native copy ${copyLadder.map((c) => `${(c.bytes / 2 ** 20).toFixed(2)}MiB:${(c.bandwidth / 1e9).toFixed(0)}GB/s`).join(' ')}`);

  // shapes: a memory-bound GEMV and a compute-bound GEMM, as for ONNX Runtime
  const [K, N] = opts.quick ? [1024, 1024] : [4096, 4096];
  const [MG, KG, NG] = opts.quick ? [64, 256, 256] : [128, 1024, 1024];
  stage('dense');
  const dv = await run('gemv', { k: K, n: N });
  const dg = await run('gemm', { m: MG, k: KG, n: NG });
  const tiny = await run('gemv', { k: 64, n: 64 });
  log.push(`native dense gemv ${(dv.seconds * 1e6).toFixed(0)}us (${dv.GBps.toFixed(0)} GB/s), gemm ${(dg.seconds * 1e6).toFixed(0)}us (${dg.gflops?.toFixed(0)} GFLOP/s), tiny ${(tiny.seconds * 1e6).toFixed(2)}us`);

  const factor = (v: { seconds: number }, d: { seconds: number }) => r3(Math.min(64, Math.max(0.01, d.seconds / v.seconds)));
  const src = (what: string) => ({ kind: 'measured', citation: `hw detect ${at}: Twinforge native kernels (main/core/native/measure.ts, ${dv.isa}), ${what}; memory-bound: M=1 ${K}x${N}, compute-bound: M=${MG} ${KG}x${NG}` });
  const speedups: Record<string, unknown>[] = [];

  stage('csr');
  const levels = opts.quick ? [0.5, 0.9] : [0.5, 0.7, 0.9, 0.95];
  const csrPts = [];
  for (const lvl of levels) {
    const v = await run('csr', { m: 1, k: K, n: N, density: 1 - lvl });
    const g = await run('csr', { m: MG, k: KG, n: NG, density: 1 - lvl });
    csrPts.push({ level: lvl, memory: factor(v, dv), compute: factor(g, dg) });
  }
  const csrAcc = csrPts.some((p) => p.memory >= 1.1 || p.compute >= 1.1);
  speedups.push({ pattern: 'unstructured', precision: 'fp32', accelerated: csrAcc, points: csrAcc ? csrPts : csrPts.map((p) => ({ ...p, memory: Math.min(p.memory, 1.25), compute: Math.min(p.compute, 1.25) })), note: 'CSR reads a 4-byte index with every kept weight: it pays only at high sparsity, first where the layer is memory-bound', source: src(`CSR at ${levels.map((l) => `${l * 100}%`).join('/')} vs dense`) });

  stage('n:m');
  const nv = await run('nm', { m: 1, k: K, n: N, pattern: '2:4' });
  const ng = await run('nm', { m: MG, k: KG, n: NG, pattern: '2:4' });
  const nmPt = { memory: factor(nv, dv), compute: factor(ng, dg) };
  const nmAcc = nmPt.memory >= 1.1 || nmPt.compute >= 1.1;
  speedups.push({ pattern: 'n:m', precision: 'fp32', accelerated: nmAcc, points: [nmAcc ? nmPt : { memory: Math.min(nmPt.memory, 1.25), compute: Math.min(nmPt.compute, 1.25) }], note: 'N:M stores N of every M weights with a small position index: about half the bytes of 2:4', source: src('2:4 compressed vs dense') });
  // 2:4 itself runs on the packed 2:4 kernel (twin-runtime/export.ts picks it): an exact entry,
  // found before the 'n:m' one, so 2:4 is judged by the kernel that will run it.
  const sv = await run('sp24', { m: 1, k: K, n: N });
  const sg = await run('sp24', { m: MG, k: KG, n: NG });
  const spPt = { memory: factor(sv, dv), compute: factor(sg, dg) };
  const spAcc = spPt.memory >= 1.1 || spPt.compute >= 1.1;
  speedups.push({ pattern: '2:4', precision: 'fp32', accelerated: spAcc, points: [spAcc ? spPt : { memory: Math.min(spPt.memory, 1.25), compute: Math.min(spPt.compute, 1.25) }], note: 'packed 2:4: two values and a 4-bit position per group of four weights, 53% of the dense bytes', source: src('packed 2:4 (sp24, fp32 values) vs dense') });

  stage('block');
  const blv = opts.quick ? [0.5, 0.9] : [0.5, 0.7, 0.9];
  const bPts = [];
  for (const lvl of blv) {
    const v = await run('bsr', { m: 1, k: K, n: N, density: 1 - lvl, block: [4, 4] });
    const g = await run('bsr', { m: MG, k: KG, n: NG, density: 1 - lvl, block: [4, 4] });
    bPts.push({ level: lvl, memory: factor(v, dv), compute: factor(g, dg) });
  }
  const bAcc = bPts.some((p) => p.memory >= 1.1 || p.compute >= 1.1);
  speedups.push({ pattern: 'block', precision: 'fp32', accelerated: bAcc, points: bAcc ? bPts : bPts.map((p) => ({ ...p, memory: Math.min(p.memory, 1.25), compute: Math.min(p.compute, 1.25) })), note: '4x4 blocks keep dense inner loops: speed follows the kept fraction', source: src('BSR 4x4 vs dense') });

  stage('int8');
  const iv = await run('int8', { m: 1, k: K, n: N });
  const ig = await run('int8', { m: MG, k: KG, n: NG });
  const i8 = { memory: factor(iv, dv), compute: factor(ig, dg) };
  const i8Acc = i8.memory >= 1.1 || i8.compute >= 1.1;
  speedups.push({ pattern: 'dense', precision: 'int8', accelerated: i8Acc, points: [i8Acc ? i8 : { memory: Math.min(i8.memory, 1.25), compute: Math.min(i8.compute, 1.25) }], note: 'int8 GEMM on this CPU\'s integer dot products', source: src('s8 GEMM vs fp32') });
  log.push(`native factors csr ${csrPts.map((p) => `${p.level}:${p.memory}/${p.compute}`).join(' ')}; n:m ${nmPt.memory}/${nmPt.compute}; 2:4 packed ${spPt.memory}/${spPt.compute}; bsr ${bPts.map((p) => `${p.level}:${p.memory}/${p.compute}`).join(' ')}; int8 ${i8.memory}/${i8.compute}`);
  opts.progress?.(total, total, 'done');

  const dram = copyLadder[copyLadder.length - 1].bandwidth;
  const gemvBw = (K * N * 4) / dv.seconds;
  const runtime = {
    id: 'twinforge-cpu',
    title: `Twinforge's own CPU kernels (${dv.isa}: CSR, N:M, block-sparse, int8)`,
    engine: 'twinforge',
    basePrecision: 'fp32',
    overhead: { perCall: '0 us', perNode: tiny.seconds > 0 ? fq(tiny.seconds, 'time') : '0 us' },
    efficiency: { compute: 1, memory: r3(Math.min(1, gemvBw / dram)), overlap: 0.5 },
    speedups,
    source: { kind: 'measured', citation: `hw detect ${at}: native dense GEMM ${dg.gflops?.toFixed(0)} GFLOP/s (taken as the peak), GEMV ${(gemvBw / 1e9).toFixed(0)} GB/s vs copy ${(dram / 1e9).toFixed(0)} GB/s` },
  };
  return { dramBandwidth: dram, copyLadder, gemmFlops: dg.gflops ? dg.gflops * 1e9 : undefined, int8Ops: ig.gflops ? ig.gflops * 1e9 : undefined, runtime, log };
}

/**
 * A layer-sized kernel call lasts 10-1000 µs: a dozen repeats is one noisy sample of a shared
 * machine. The repeats are sized to ~60 ms x effort of timing, taken three times, and the lowest
 * median kept (as ORT models are timed: interference only adds time).
 */
async function steadyMeasure(m: MeasureModule, kernel: Parameters<MeasureModule['measure']>[0], params: Parameters<MeasureModule['measure']>[1], effort: number, signal?: AbortSignal) {
  const probe = await m.measureAsync(kernel, { ...params, repeats: 3, warmup: 1 }, { signal });
  const repeats = Math.min(5000, Math.max(11, Math.ceil((0.02 * effort) / Math.max(probe.minSeconds, 1e-7))));
  let best: Awaited<ReturnType<MeasureModule['measureAsync']>> | undefined;
  for (let i = 0; i < 3; i++) {
    const r = await m.measureAsync(kernel, { ...params, repeats, warmup: 2 }, { signal });
    if (!best || r.seconds < best.seconds) best = r;
  }
  return best!;
}

/**
 * Times one layer's GEMM view under an option with the native kernels: seconds per call. Where
 * the rest of the graph runs in ONNX Runtime (Twinforge targets), this is what replaces the
 * layer's ORT time; no native dense run is needed for that.
 */
export async function measureNativeVariant(layer: LayerCost, option: LayerOption, opts: { effort?: number; signal?: AbortSignal } = {}): Promise<number> {
  const mod = await measureModule();
  const time = async (kernel: Parameters<MeasureModule['measure']>[0], params: Parameters<MeasureModule['measure']>[1]) => (await steadyMeasure(mod, kernel, params, opts.effort ?? 1, opts.signal)).seconds;
  const M = layer.m ?? 1;
  const K = layer.k ?? 1;
  const N = layer.n ?? 1;
  const base = { k: K, n: N };
  const dense = (n = N) => (M === 1 ? time('gemv', { ...base, n }) : time('gemm', { ...base, m: M, n }));
  const p = parsePattern(option.pattern);
  if (option.precision !== 'fp32' && p.family !== 'dense') throw new TwinforgeError('UNSUPPORTED', `no native kernel combines ${p.text} with ${option.precision}`);
  if (option.precision === 'int8') return time('int8', { ...base, m: M });
  if (option.precision !== 'fp32') throw new TwinforgeError('UNSUPPORTED', `no native ${option.precision} kernel`);
  if (p.family === 'unstructured') return time('csr', { ...base, m: M, density: 1 - effectiveLevel(option) });
  if (p.family === 'nm') {
    if (K % p.m!) throw new TwinforgeError('UNSUPPORTED', `K=${K} is not a multiple of ${p.m}`);
    // 2:4 runs on the packed 2:4 kernel in the twin runtime (twin-runtime/export.ts): time that one
    // (fp32 values; the runtime halves them only when they are exact fp16 numbers).
    if (p.n === 2 && p.m === 4) return time('sp24', { ...base, m: M });
    return time('nm', { ...base, m: M, pattern: p.text });
  }
  if (p.family === 'block') {
    if (N % p.bh! || K % p.bw!) throw new TwinforgeError('UNSUPPORTED', `${p.text} does not tile ${N}x${K}`);
    return time('bsr', { ...base, m: M, density: 1 - effectiveLevel(option), block: [p.bh!, p.bw!] });
  }
  if (p.family === 'channels') return dense(Math.max(1, Math.round(N * (1 - option.level))));
  return dense();
}

/** Times one layer's GEMM view dense and under an option with the native kernels. */
export async function measureNativeOption(layer: LayerCost, option: LayerOption, opts: { effort?: number; signal?: AbortSignal } = {}): Promise<{ speedup: number; denseSeconds: number }> {
  const denseSeconds = await measureNativeVariant(layer, { pattern: 'dense', level: 0, precision: 'fp32' }, opts);
  const p = parsePattern(option.pattern);
  const seconds = p.family === 'dense' && option.precision === 'fp32' ? denseSeconds : await measureNativeVariant(layer, option, opts);
  return { speedup: denseSeconds / seconds, denseSeconds };
}
