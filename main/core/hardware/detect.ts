// `hw detect`: measures this machine and writes the `this-machine` profile — the hardware figures
// and, per runtime, fixed costs, efficiencies and speedup factors, every one of them measured here
// (ONNX Runtime through probe models; Twinforge's kernels through the native measuring kernels).
// It then checks the fresh profile against ORT's measured latency of real models.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { samplesDir } from '../paths';
import os from 'node:os';
import { cpuFeatures } from '../system/cpu-features';
import { TwinforgeError } from '../errors';
import { defaultThreads } from '../runtime/threads';
import { calibrateOrt, mergeCalibrations, type OrtCalibration } from './calibrate-ort';
import { costGraph } from './costs';
import { CHECK_BUDGET_MS, DETECT_PLANS, type DetectMode } from './detect-plan';
import { estimateModel } from './latency';
import { measureNativeRuntime, type NativeCalibration } from './calibrate-native';
import { readModelView } from './onnx-view';
import { profileNodes, timeModels, timeSteady } from './ort-time';
import { chainProbe, matmulProbe } from './synth';
import { THIS_MACHINE, targetOf, validateProfile, type HardwareProfile, type ProfileDocument, type Target } from './profile';
import { formatQuantity } from './units';

export interface DetectOptions {
  /** full (default) or quick: the budgets, passes and probe sizes of detect-plan.ts DETECT_PLANS. */
  mode?: DetectMode;
  /** Scales the timing budgets (overrides the mode's; tests use ~0.15). */
  effort?: number;
  /** Models to check the fresh profile against (ORT-measured vs estimated latency). */
  models?: { path: string; inputShapes?: Record<string, number[]> }[];
  /** Small probes only (overrides the mode's). */
  quick?: boolean;
  /** Calibration passes taken apart in time and merged (overrides the mode's: full 2, quick 1). */
  passes?: number;
  /** Measure Twinforge's native kernels too (when the addon is built). */
  native?: boolean;
  threads?: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number, stage: string, detail?: string) => void;
  log?: (line: string) => void;
}

export interface ModelCheck {
  model: string;
  estimatedMs: number;
  /** ORT latency: the lowest best-block median of three fresh sessions (ort-time timeSteady). */
  measuredMs: number;
  /** The plain median over all rounds of all sessions. */
  measuredMedianMs?: number;
  measuredP10Ms: number;
  /** (estimated - measured) / measured */
  error: number;
  /** The profile's fixed call cost and the one measured alongside the model (load drift). */
  callCostMs?: { profile: number; now: number };
  /** Bandwidth and compute now, relative to the profile (from reference probes timed alongside). */
  drift?: { bandwidth: number; compute: number };
  /** The estimate with call cost, bandwidth and compute re-measured alongside, and its error. */
  estimatedWithCallNowMs?: number;
  errorWithCallNow?: number;
  /** Per-node kernel times from ORT's profiler (shares of the profiled total), largest first. */
  topNodes?: { name: string; op: string; share: number }[];
}

export interface DetectResult {
  profile: ProfileDocument;
  checks: ModelCheck[];
  ort: OrtCalibration;
  native?: NativeCalibration;
  /** 1-minute load average before and after (a busy machine gives slow, noisy figures). */
  load: [number, number];
  warnings: string[];
}

const fq = formatQuantity;

function cacheLevelName(bytes: number, l2Aggregate: number): string {
  return bytes <= l2Aggregate ? 'L2' : 'L3';
}

/** Reads the L2 size /proc/cpuinfo reports ("cache size : 1024 KB"), per core. */
function l2PerCore(): number {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /cache size\s*:\s*(\d+)\s*KB/.exec(info);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back
  }
  return 1024 * 1024;
}

/** Builds the this-machine profile document from the calibrations. */
export function buildProfileDocument(ort: OrtCalibration, native: NativeCalibration | undefined, threads: number, notes: string[]): ProfileDocument {
  const cpu = cpuFeatures();
  const features = cpu.features;
  const x86 = cpu.arch === 'x64' || cpu.arch === 'ia32';
  const dram = ort.ladder[ort.ladder.length - 1].bandwidth;
  // DRAM bandwidth of the hardware: the native copy when measured, else what ORT's GEMV reached;
  // ORT's memory efficiency is then its GEMV bandwidth over that, and cache figures are scaled back
  const hwDram = Math.max(native?.dramBandwidth ?? 0, dram);
  const ortMemEff = Math.min(1, dram / hwDram);
  // peak: the best dense fp32 rate anything reached here (an attainable peak, not a datasheet one)
  const peak = Math.max(ort.gemmFlops, ort.convFlops, native?.gemmFlops ?? 0);
  const int8Peak = native?.int8Ops ?? (features.includes('avx512_vnni') || features.includes('avx_vnni') || features.includes('asimddp') ? 4 * peak : 2 * peak);
  const l2agg = l2PerCore() * threads;
  // the ORT GEMV ladder is what the latency model needs: cache "levels" at the sizes measured
  // GEMV speed by weight size, as ORT reaches it (small GEMVs are not faster in ORT: its threading
  // granularity costs what the caches would give); every size measured becomes a level
  const caches = ort.ladder
    .slice(0, -1)
    .map((l) => ({ level: cacheLevelName(l.bytes, l2agg), size: fq(l.bytes / 0.75, 'size'), bandwidth: fq(l.bandwidth / ortMemEff, 'bandwidth'), shared: true }));
  if (caches.length === 0) caches.push({ level: 'L2', size: fq(l2agg, 'size'), bandwidth: fq(dram * 1.5, 'bandwidth'), shared: true });
  const l2bw = ort.ladder.find((l) => l.bytes <= l2agg)?.bandwidth ?? ort.ladder[0].bandwidth;
  const measuredAt = new Date().toISOString();
  const src = (citation: string, conditions?: string) => ({ kind: 'measured' as const, citation: `hw detect ${measuredAt} on ${os.hostname()}: ${citation}`, ...(conditions ? { conditions } : {}) });
  const clampNoise = (x: number) => Math.min(1.2, Math.max(0.8, x));
  const f = (key: string) => ort.factors.find((x) => x.key === key);
  const speedups: Record<string, unknown>[] = [];
  const u50 = f('unstructured@0.5');
  const u90 = f('unstructured@0.9');
  if (u50 && u90) {
    speedups.push({
      pattern: 'unstructured',
      precision: 'fp32',
      accelerated: false,
      points: [
        { level: 0.5, memory: clampNoise(u50.memory), compute: clampNoise(u50.compute) },
        { level: 0.9, memory: clampNoise(u90.memory), compute: clampNoise(u90.compute) },
      ],
      note: "ONNX Runtime's CPU provider runs zeros as dense: unstructured sparsity only shrinks the compressed file",
      source: src(`MatMul with 50%/90% zeros vs dense, interleaved: ${u50.memory}/${u50.compute} and ${u90.memory}/${u90.compute} (memory/compute-bound; noise clipped to 0.8-1.2)`, u50.conditions),
    });
  }
  const nm = f('2:4');
  if (nm) speedups.push({ pattern: 'n:m', precision: 'fp32', accelerated: false, points: [{ memory: clampNoise(nm.memory), compute: clampNoise(nm.compute) }], note: '2:4 not accelerated on this target: ONNX Runtime\'s CPU provider has no N:M kernel, the zeros run as dense', source: src(`MatMul with 2:4 zeros vs dense: ${nm.memory}/${nm.compute}`, nm.conditions) });
  const bl = f('block@0.7');
  if (bl) speedups.push({ pattern: 'block', precision: 'fp32', accelerated: false, points: [{ memory: clampNoise(bl.memory), compute: clampNoise(bl.compute) }], note: 'block sparsity not accelerated on this target: ONNX Runtime\'s CPU provider runs the zero blocks as dense', source: src(`MatMul with 70% zero 4x4 blocks vs dense: ${bl.memory}/${bl.compute}`, bl.conditions) });
  for (const key of ['int8', 'int4'] as const) {
    const q = f(key);
    if (!q) continue;
    const acc = Math.max(q.memory, q.compute) >= 1.1;
    const vnni = features.includes('avx512_vnni') || features.includes('avx_vnni');
    const note =
      key === 'int8'
        ? x86 && !vnni
          ? 'int8 needs VNNI for full speed: without it int8 multiplies through 16-bit pair sums (VPMADDUBSW)'
          : 'int8 (dynamic activation quantization, per-channel weights) on this CPU\'s integer dot products'
        : 'int4 pays only through MatMulNBits with accuracy_level=4 (int8 compute), mostly for batch-1 layers';
    speedups.push({
      pattern: 'dense',
      precision: key,
      ...(key === 'int8' && f('int8-conv') ? { ops: ['matmul'] } : {}),
      accelerated: acc,
      points: [{ memory: acc ? q.memory : Math.min(q.memory, 1.25), compute: acc ? q.compute : Math.min(q.compute, 1.25) }],
      ...(q.small === undefined ? {} : { smallGemm: acc ? q.small : Math.min(q.small, 1.25) }),
      overhead: fq(Math.max(q.overhead, 0), 'time').replace(/^0 \w+$/, '0 us'),
      note,
      source: src(`${key === 'int8' ? 'DynamicQuantizeMatMul' : 'MatMulNBits (block 128, accuracy_level 4)'} vs fp32 MatMul: ${q.memory}x memory-bound, ${q.compute}x compute-bound`, q.conditions),
    });
  }
  const qc = f('int8-conv');
  if (qc) {
    const acc = qc.compute >= 1.1;
    speedups.push({
      pattern: 'dense',
      precision: 'int8',
      ops: ['conv'],
      accelerated: acc,
      points: [{ memory: acc ? qc.memory : Math.min(qc.memory, 1.25), compute: acc ? qc.compute : Math.min(qc.compute, 1.25) }],
      overhead: fq(Math.max(qc.overhead, 0), 'time').replace(/^0 \w+$/, '0 us'),
      note: 'int8 convolutions run as QLinearConv in NHWC here: the layout transposes around them eat much of the gain',
      source: src(`QDQ int8 Conv vs fp32 Conv: ${qc.compute}x, +${(qc.overhead * 1e6).toFixed(1)} µs fixed`, qc.conditions),
    });
  }
  if (x86) {
    speedups.push({ pattern: 'dense', precision: 'fp16', accelerated: false, points: [{ memory: 1.0, compute: 1.0 }], note: 'fp16 is computed as fp32 on this CPU: no speed, only a smaller file', source: { kind: 'measured', citation: 'docs/MEASURED-FACTS.md (2026-11-28): ORT 1.30 fp16 weights ~1.0x on x86 (computed as fp32)' } });
  }
  const runtimes: Record<string, unknown>[] = [
    {
      id: 'onnxruntime-cpu',
      title: `ONNX Runtime 1.30, CPU execution provider (${threads} threads, no spinning)`,
      engine: 'onnxruntime',
      default: true,
      basePrecision: 'fp32',
      overhead: {
        perCall: fq(ort.perCall, 'time'),
        perNode: fq(ort.perNode, 'time'),
        perParallelNode: fq(ort.perParallelNode, 'time').replace(/^0 \w+$/, '0 us'),
        perParallelCall: ort.perParallelCall > 0 ? fq(ort.perParallelCall, 'time') : '0 us',
        parallelWork: ort.parallelWork,
        outputBandwidth: fq(ort.outputBandwidth, 'bandwidth'),
        perOutput: fq(ort.perOutput, 'time').replace(/^0 \w+$/, '0 us'),
        perOp: Object.fromEntries(Object.entries(ort.perOp).map(([k, v]) => [k, v > 0 ? fq(v, 'time') : '0 us'])),
        perIteration: ort.perIteration > 0 ? fq(ort.perIteration, 'time') : '0 us',
        perGemmNode: ort.perGemmNode > 0 ? fq(ort.perGemmNode, 'time') : '0 us',
        parallelElements: 32768,
      },
      efficiency: {
        compute: round3(Math.min(1, ort.gemmFlops / peak)),
        memory: round3(ortMemEff),
        overlap: round3(ort.overlap),
        elementwise: round3(Math.min(1, Math.max(0.02, ort.elementwiseBandwidth / (l2bw / ortMemEff)))),
        conv: round3(Math.min(1, ort.convFlops / peak)),
        smallGemm: round3(Math.min(1, Math.max(0.005, ort.smallGemmFlops / peak))),
      },
      speedups,
      source: src(`probe models (Relu/MatMul chains, GEMV ladder, GEMM, convolutions) timed interleaved; ${ort.log.join('; ')}`),
    },
  ];
  if (native) {
    // the native runtime's figures are relative to its own GEMM/GEMV: express them against this profile's peak and DRAM
    const rt = native.runtime as { efficiency: { compute: number; memory: number } };
    if (native.gemmFlops) rt.efficiency.compute = round3(Math.min(1, native.gemmFlops / peak));
    rt.efficiency.memory = round3(Math.min(1, (rt.efficiency.memory * (native.dramBandwidth ?? hwDram)) / hwDram));
    runtimes.push(native.runtime);
  }
  return {
    schemaVersion: 1,
    name: THIS_MACHINE,
    title: `This machine: ${cpu.model} (${threads} threads)`,
    kind: 'cpu',
    description: 'Measured by `twinforge hw detect`. Bandwidths are those GEMV reaches at each weight size (caches listed at the sizes measured).',
    measured: { at: measuredAt, host: os.hostname(), cpu: cpu.model, isa: features.join(' '), threads, notes },
    hardware: {
      examples: [cpu.model],
      features: features.map((x) => x.toLowerCase()),
      cores: threads,
      peak: {
        fp32: fq(peak, 'compute'),
        int8: fq(int8Peak, 'compute').replace('FLOP/s', 'OP/s'),
      },
      memory: { bandwidth: fq(hwDram, 'bandwidth'), capacity: fq(os.totalmem(), 'size') },
      caches,
      source: src(native ? 'native copy/GEMM kernels and ORT GEMV ladder' : 'ORT GEMV ladder and GEMM probes (native kernels not measured)'),
    },
    runtimes,
  };
}

/** Measures this machine; returns the validated profile document and how well it predicts real models. */
export async function detectThisMachine(opts: DetectOptions = {}): Promise<DetectResult> {
  const threads = opts.threads ?? defaultThreads();
  const load0 = os.loadavg()[0];
  const warnings: string[] = [];
  const cores = os.cpus().length;
  if (load0 > cores) warnings.push(`the machine is busy (load ${load0.toFixed(1)} on ${cores} cores): figures will be slow and noisy; run hw detect again when it is idle`);
  const log = (l: string) => opts.log?.(l);
  // the mode's plan (detect-plan.ts), each figure overridable; full: two passes apart in time
  // (the native kernels run in between), quick: one pass of small probes at a quarter budget
  const plan = DETECT_PLANS[opts.mode ?? (opts.quick ? 'quick' : 'full')];
  opts = { ...opts, effort: opts.effort ?? plan.effort, quick: opts.quick ?? plan.quick };
  const passes = opts.passes ?? plan.passes;
  const cals = [await calibrateOrt({ effort: opts.effort, quick: opts.quick, signal: opts.signal, threads, progress: (d, t, s) => opts.progress?.(d, t + 3, 'ort', s) })];
  let native: NativeCalibration | undefined;
  if (opts.native !== false) {
    try {
      native = await measureNativeRuntime({ effort: opts.effort, quick: opts.quick, signal: opts.signal, threads, progress: (d, t, s) => opts.progress?.(d, t, 'native', s) });
      native?.log.forEach(log);
    } catch (e) {
      if (e instanceof TwinforgeError && e.code === 'CANCELLED') throw e;
      warnings.push(`native kernels not measured: ${(e as Error).message}`);
    }
  }
  for (let p = 1; p < passes; p++) cals.push(await calibrateOrt({ effort: opts.effort, quick: opts.quick, signal: opts.signal, threads, progress: (d, t, s) => opts.progress?.(d, t + 3, `ort pass ${p + 1}`, s) }));
  const ort = mergeCalibrations(cals);
  ort.log.forEach(log);
  const notes = [...ort.log];
  const doc = buildProfileDocument(ort, native, threads, notes);
  const profile = validateProfile(doc, 'hw detect');
  const checks: ModelCheck[] = [];
  // real models to check the fresh profile on: the ones given, else the sample models the app ships
  const owDir = samplesDir;
  const shipped = existsSync(owDir) ? readdirSync(owDir).filter((f) => f.endsWith('.onnx')).sort().map((f) => ({ path: path.join(owDir, f) })) : [];
  const models: { path: string; inputShapes?: Record<string, number[]> }[] = opts.models ?? shipped.slice(0, plan.maxChecks);
  for (const [i, m] of models.entries()) {
    // the file name only: where the app is installed (a node_modules folder) is nobody's business
    opts.progress?.(i, models.length, 'checking on a real model', path.basename(m.path));
    checks.push(await checkModel(profile, m.path, m.inputShapes, { threads, effort: opts.effort, signal: opts.signal }));
    log(`model ${opts.models ? m.path : path.basename(m.path)}: estimated ${checks[i].estimatedMs.toFixed(4)} ms, measured ${checks[i].measuredMs.toFixed(4)} ms (${(checks[i].error * 100).toFixed(0)}%)`);
  }
  if (checks.length) (doc.measured as { notes: string[] }).notes.push(...checks.map((c) => `check ${path.basename(c.model)}: estimated ${c.estimatedMs.toFixed(4)} ms vs ORT ${c.measuredMs.toFixed(4)} ms (${(c.error * 100).toFixed(0)}%)`));
  const load1 = os.loadavg()[0];
  return { profile: doc, checks, ort, native, load: [load0, load1], warnings };
}

/** Estimated vs ORT-measured latency of one model under a profile's ONNX Runtime runtime. */
export async function checkModel(profile: HardwareProfile, file: string, inputShapes: Record<string, number[]> | undefined, opts: { threads?: number; effort?: number; signal?: AbortSignal; perNode?: boolean } = {}): Promise<ModelCheck> {
  const view = await readModelView(file, inputShapes);
  const target = targetOf(profile, 'onnxruntime-cpu');
  const cost = costGraph(view);
  const est = estimateModel(cost, target);
  // reference probes timed right after (an empty call, a GEMV, a GEMM): on a shared machine the fixed
  // call cost, the bandwidth and the compute rate all drift with the load within minutes
  const refs = [
    { src: chainProbe(1, 16), shapes: { x: [1, 16] } },
    { src: matmulProbe(1, 1024, 2048), shapes: { x: [1, 1024] } },
    { src: matmulProbe(128, 512, 512), shapes: { x: [128, 512] } },
  ];
  // the model is timed as a user's benchmark loop would run it, not next to the heavy reference
  // probes: interleaved with them, a sub-0.1 ms model measurably pays for their evicted caches
  const t = await timeSteady(view.bytes, view.inputShapes, { budgetMs: CHECK_BUDGET_MS.model * (opts.effort ?? 1), threads: opts.threads, signal: opts.signal });
  const [e] = await timeModels([refs[0]], { budgetMs: CHECK_BUDGET_MS.emptyCall * (opts.effort ?? 1), threads: opts.threads, signal: opts.signal });
  const [gv, gm] = await timeModels(refs.slice(1), { budgetMs: CHECK_BUDGET_MS.references * (opts.effort ?? 1), threads: opts.threads, signal: opts.signal });
  const perCallNow = Math.max(1e-7, e.bestBlockMs / 1e3 - (target.runtime.perOp.Relu ?? target.runtime.perNode));
  const rt = target.runtime;
  const work = (ms: number) => Math.max(1e-7, ms / 1e3 - perCallNow - rt.perNode - rt.perParallelNode);
  const estOf = async (r: (typeof refs)[number]) => {
    const v = await readModelView(r.src);
    const x = estimateModel(costGraph(v), target);
    return Math.max(1e-7, x.seconds - x.callSeconds - x.outputSeconds - rt.perNode - rt.perParallelNode);
  };
  const bwScale = clampScale((await estOf(refs[1])) / work(gv.bestBlockMs));
  const cScale = clampScale((await estOf(refs[2])) / work(gm.bestBlockMs));
  const hw = target.profile.hardware;
  const now: Target = {
    ...target,
    profile: {
      ...target.profile,
      hardware: {
        ...hw,
        bandwidth: hw.bandwidth * bwScale,
        caches: hw.caches.map((c) => ({ ...c, ...(c.bandwidth ? { bandwidth: c.bandwidth * bwScale } : {}) })),
        peak: Object.fromEntries(Object.entries(hw.peak).map(([k, v]) => [k, (v as number) * cScale])),
      },
    },
    runtime: { ...rt, perCall: perCallNow },
  };
  const drifted = estimateModel(cost, now);
  const check: ModelCheck = {
    model: file,
    estimatedMs: est.seconds * 1e3,
    measuredMs: t.bestBlockMs,
    measuredMedianMs: t.medianMs,
    measuredP10Ms: t.p10Ms,
    error: (est.seconds * 1e3 - t.bestBlockMs) / t.bestBlockMs,
    callCostMs: { profile: target.runtime.perCall * 1e3, now: perCallNow * 1e3 },
    drift: { bandwidth: round3(bwScale), compute: round3(cScale) },
    estimatedWithCallNowMs: drifted.seconds * 1e3,
    errorWithCallNow: (drifted.seconds * 1e3 - t.bestBlockMs) / t.bestBlockMs,
  };
  if (opts.perNode !== false) {
    try {
      const nodes = await profileNodes(view.bytes, view.inputShapes, 10, opts.threads);
      const total = nodes.reduce((a, n) => a + n.ms, 0) || 1;
      check.topNodes = nodes
        .map((n) => ({ name: n.name, op: n.op, share: round3(n.ms / total) }))
        .sort((a, b) => b.share - a.share)
        .slice(0, 8);
    } catch {
      // profiling is a bonus; the timing above stands
    }
  }
  return check;
}

function clampScale(x: number): number {
  return Number.isFinite(x) ? Math.min(4, Math.max(0.25, x)) : 1;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
