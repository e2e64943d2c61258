// Calibrates the latency model for ONNX Runtime on this machine with probe models: the fixed cost
// of a call, of a node and of a threaded node, how fast outputs come back, the bandwidth GEMV sees
// at each working-set size, the compute rate of GEMM and convolution, how well compute and memory
// overlap, and what zeros, int8 and int4 really buy (interleaved against dense, same process).
import { TwinforgeError } from '../errors';
import { defaultThreads } from '../runtime/threads';
import { medianOfRounds, timeModels, type TimedModel } from './ort-time';
import { GEMM_PROBE, GEMV_SHAPES, NODE_COST_REPS, ORT_BUDGET_MS as B, scaledBudget, SMALL_GEMM_PROBE } from './detect-plan';
import { layerProbe } from './probes';
import {
  applyZeros,
  buildProbeModel,
  CHAIN_OPS,
  chainProbe,
  controlFlowProbe,
  convProbe,
  opChainProbe,
  int4MatmulProbe,
  matmulChainProbe,
  matmulProbe,
  randomWeights,
} from './synth';

export interface OrtCalibration {
  /** Extra seconds of the first threaded node of a call (the pool is asleep between calls). */
  perParallelCall: number;
  /** Fixed seconds per node by op type on tiny tensors (Loop and Scan: without their body). */
  perOp: Record<string, number>;
  /** Seconds per Loop/Scan iteration beyond the body's nodes. */
  perIteration: number;
  perCall: number;
  perOutput: number;
  perNode: number;
  perParallelNode: number;
  parallelWork: number;
  outputBandwidth: number;
  /** Bandwidth GEMV reaches by weight working set (bytes -> bytes/s), smallest first; the last is DRAM. */
  ladder: { bytes: number; bandwidth: number }[];
  /** Dense fp32 FLOP/s of a compute-bound MatMul and of convolutions. */
  gemmFlops: number;
  /** A transformer-sized GEMM node (M = 64) inside a chain: fixed seconds and FLOP/s beyond them. */
  perGemmNode: number;
  smallGemmFlops: number;
  convFlops: number;
  /** Bandwidth elementwise nodes reach on cache-resident activations. */
  elementwiseBandwidth: number;
  overlap: number;
  /** Measured speedups over dense fp32 in the memory-bound (GEMV) and compute-bound (GEMM) regimes. */
  factors: { key: string; pattern: string; precision: 'fp32' | 'int8' | 'int4'; level?: number; memory: number; compute: number; overhead: number; conditions: string; small?: number }[];
  log: string[];
}

export interface CalibrateOptions {
  /** Scales every timing budget (tests use ~0.2). */
  effort?: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number, stage: string) => void;
  threads?: number;
  /** Small probes only (tests, smoke runs): the figures are rougher, DRAM is not reached. */
  quick?: boolean;
}

const SGEMM_THREAD_COMPLEXITY = 64 * 1024; // MLAS: one more thread per 64K multiply-adds

/** Seconds: the steadiest figure of a timed probe (best block median; interference only adds time). */
function ms(t: TimedModel): number {
  return t.bestBlockMs / 1e3;
}

/** Median over rounds of (b - a), seconds: the two were timed interleaved, so drift cancels. */
function diff(a: TimedModel, b: TimedModel): number {
  return medianOfRounds([a, b], ([x, y]) => y - x) / 1e3;
}

/** Runs the probes; their timing budgets add up to detect-plan.ts ortPassMs (about 39 s at effort 1). */
export async function calibrateOrt(opts: CalibrateOptions = {}): Promise<OrtCalibration> {
  const effort = opts.effort ?? 1;
  const budget = (msBase: number) => scaledBudget(msBase, effort);
  const threads = opts.threads ?? defaultThreads();
  const log: string[] = [];
  const steps = 16;
  let step = 0;
  const stage = (name: string) => {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Calibration cancelled.');
    opts.progress?.(step++, steps, name);
  };
  const time = (models: { src: Uint8Array; shapes: Record<string, number[]> }[], b: number) =>
    timeModels(models, { budgetMs: budget(b), threads, signal: opts.signal });
  // an empty call (one Relu on 16 floats): the reference control-flow and threaded probes are timed against
  const empty = { src: chainProbe(1, 16), shapes: { x: [1, 16] } };

  // 0. warm up: the first sessions of a process pay for thread-pool creation and lazy init
  stage('warm-up');
  await timeModels([empty, { src: matmulProbe(16, 256, 256), shapes: { x: [16, 256] } }], { budgetMs: B.warmup, threads, signal: opts.signal });

  // 1. call and node costs: chains of tiny Relu nodes
  stage('fixed costs');
  // timed twice, the second kept: the first sessions of a process are measurably slower
  await time([1, 33].map((n) => ({ src: chainProbe(n, 16), shapes: { x: [1, 16] } })), B.fixedCosts);
  const [c1, c33] = await time([1, 33].map((n) => ({ src: chainProbe(n, 16), shapes: { x: [1, 16] } })), B.fixedCosts);
  const perNode = Math.max(0, diff(c1, c33) / 32);
  const perCall = Math.max(1e-6, ms(c1) - perNode);
  // every extra output tensor handed back costs its own wrapping
  const multi = (k: number) =>
    buildProbeModel({ inputs: [{ name: 'x', dims: [1, 16] }], outputs: Array.from({ length: k }, (_, i) => ({ name: `y${i}`, dims: [1, 16] })), initializers: [], nodes: Array.from({ length: k }, (_, i) => ({ op: 'Relu', inputs: ['x'], outputs: [`y${i}`] })) });
  const [o1, o9] = await time([1, 9].map((k) => ({ src: multi(k), shapes: { x: [1, 16] } })), B.outputs);
  const perOutput = Math.max(0, diff(o1, o9) / 8 - perNode);
  log.push(`call ${us(perCall)}, node ${us(perNode)}, output ${us(perOutput)}`);

  // 2. outputs: Relu (big output) against ReduceMax (same input, 1 output)
  stage('output copies');
  const W = 65536;
  const reduce = buildProbeModel({ inputs: [{ name: 'x', dims: [1, W] }], outputs: [{ name: 'y', dims: [1, 1] }], initializers: [], nodes: [{ op: 'ReduceMax', inputs: ['x'], outputs: ['y'], attrs: { keepdims: 1 } }] });
  const [tRed, tRelu] = await time([{ src: reduce, shapes: { x: [1, W] } }, { src: chainProbe(1, W), shapes: { x: [1, W] } }], B.outputCopies);
  const outputBandwidth = (W * 4) / Math.max(1e-6, diff(tRed, tRelu));
  log.push(`outputs ${(outputBandwidth / 1e9).toFixed(2)} GB/s`);

  // 2b. every common op's own fixed cost (tiny tensors: the work is negligible)
  stage('op costs');
  const perOp: Record<string, number> = {};
  const chains = CHAIN_OPS.flatMap((op) => [opChainProbe(op, 1), opChainProbe(op, 9)].map((p) => ({ src: p.bytes, shapes: p.shapes })));
  await time(chains, B.opWarm);
  const opTimes = await time(chains, B.ops);
  CHAIN_OPS.forEach((op, i) => {
    const interleaved = opChainProbe(op, 1).interleaved;
    perOp[op] = Math.max(0, diff(opTimes[2 * i], opTimes[2 * i + 1]) / 8);
    if (interleaved) perOp[op] = Math.max(0, perOp[op] - (perOp.Relu ?? perNode));
  });

  // 2c. control flow: a Loop and a Scan of 1 and 9 iterations over a one-Relu body
  stage('control flow');
  const cfProbes = (['Loop', 'Scan'] as const).flatMap((op) => [1, 9].map((n) => controlFlowProbe(op, n)));
  const [cf0, l1, l9, s1, s9] = await time([empty, ...cfProbes.map((p) => ({ src: p.bytes, shapes: p.shapes }))], B.controlFlow);
  const relu = perOp.Relu ?? perNode;
  // the Loop body also passes its condition through an Identity node
  const iterLoop = Math.max(0, diff(l1, l9) / 8 - relu - perNode);
  const iterScan = Math.max(0, diff(s1, s9) / 8 - relu);
  const perIteration = (iterLoop + iterScan) / 2;
  perOp.Loop = Math.max(0, diff(cf0, l1) - perIteration - perNode);
  perOp.Scan = Math.max(0, diff(cf0, s1) - perIteration);
  log.push(`per op ${Object.entries(perOp).map(([k, v]) => `${k} ${us(v)}`).join(', ')}; per iteration ${us(perIteration)}`);

  // 3. threaded matmuls. A node big enough to be split over threads wakes the pool (no spinning):
  // the first one of a call pays a full wake-up, the next ones find the threads still warm. A
  // single 256x256 GEMV against a chain of nine separates the two; 256 vs 512 gives the bandwidth
  // cache-resident weights are read at (the same W is reused along the chain).
  stage('node costs');
  // Where the OS places a session's pool thread relative to the caller sticks for the session's
  // life and moves these wake-up figures by tens of percent: fresh sessions, several times, averaged.
  const per: Record<number, number> = { 256: 0, 512: 0 };
  const first: Record<number, number> = { 256: 0, 512: 0 };
  const REPS = NODE_COST_REPS;
  for (let rep = 0; rep < REPS; rep++) {
    for (const w of [256, 512]) {
      const [e0, a, b] = await time([empty, ...[1, 9].map((n) => ({ src: matmulChainProbe(n, w), shapes: { x: [1, w] } }))], B.nodeCosts);
      per[w] += Math.max(0, diff(a, b) / 8) / REPS;
      first[w] += Math.max(0, diff(e0, a) + perNode) / REPS;
    }
  }
  const mmNode = perOp.MatMul ?? perNode;
  const cacheBw = ((512 * 512 - 256 * 256) * 4) / Math.max(1e-8, per[512] - per[256]);
  const perParallelNode = Math.max(0, per[256] - mmNode - (256 * 256 * 4) / cacheBw);
  const perParallelCall = Math.max(0, first[256] - per[256]);
  log.push(`threaded matmul node 256:${us(per[256])} 512:${us(per[512])}, alone 256:${us(first[256])}; wake per node ${us(perParallelNode)}, first wake per call ${us(perParallelCall)}; cached weights at ${(cacheBw / 1e9).toFixed(0)} GB/s`);

  // 4. GEMV bandwidth ladder by weight size: the cache-resident level from the chains above, the
  // rest from single GEMVs with every fixed cost (call, node, wake-ups) subtracted
  stage('bandwidth');
  const fixed = perCall + mmNode + perParallelNode + perParallelCall;
  const shapes = GEMV_SHAPES[opts.quick ? 'quick' : 'full'];
  // timed one by one: interleaved, the larger GEMVs would evict the smaller ones' weights
  const gemvTimes: TimedModel[] = [];
  for (const [k, n] of shapes) gemvTimes.push((await time([{ src: matmulProbe(1, k, n), shapes: { x: [1, k] } }], B.gemv))[0]);
  const raw = [{ bytes: 512 * 512 * 4, bandwidth: cacheBw }, ...shapes.map(([k, n], i) => ({ bytes: k * n * 4, bandwidth: (k * n * 4) / Math.max(1e-7, ms(gemvTimes[i]) - fixed) }))];
  // a larger working set is never read faster than a smaller one: what measurement says otherwise is
  // noise, pooled away (a least-squares non-increasing fit)
  const ladder = nonIncreasing(raw.map((l) => l.bandwidth)).map((bandwidth, i) => ({ bytes: raw[i].bytes, bandwidth }));
  log.push(`GEMV ladder ${ladder.map((l) => `${(l.bytes / 2 ** 20).toFixed(1)}MiB:${(l.bandwidth / 1e9).toFixed(0)}GB/s`).join(' ')}`);

  // 5. compute: a GEMM that is compute-bound, and convolutions
  stage('compute');
  const { m: gm, k: gk } = GEMM_PROBE[opts.quick ? 'quick' : 'full'];
  const [g] = await time([{ src: matmulProbe(gm, gk, gk), shapes: { x: [gm, gk] } }], B.gemm);
  const gFlops = 2 * gm * gk * gk;
  const gemmFlops = gFlops / Math.max(1e-7, ms(g) - fixed);
  const chans = [16, 32, 64, 64];
  const [cv] = await time([{ src: convProbe(chans, 28), shapes: { x: [1, 16, 28, 28] } }], B.conv);
  let convF = 0;
  for (let i = 0; i + 1 < chans.length; i++) convF += 2 * 28 * 28 * chans[i + 1] * chans[i] * 9;
  const convFlops = convF / Math.max(1e-7, ms(cv) - perCall - 3 * (perNode + perParallelNode) - 2 * perNode);
  log.push(`GEMM ${(gemmFlops / 1e9).toFixed(0)} GFLOP/s, conv ${(convFlops / 1e9).toFixed(0)} GFLOP/s`);

  // 5b. transformer-sized GEMMs: chains of 1 and 9 MatMuls at M = 64, 64 and 128 wide, one node
  // after another (threads awake, as inside a model). The marginal node time is fitted as
  // fixed + flops / rate over the two widths: the fixed part (partitioning, packing, the barrier)
  // and the rate of GEMMs far smaller than the large-GEMM probe dominate attention blocks.
  stage('small GEMMs');
  const { m: sm, widths: sw } = SMALL_GEMM_PROBE;
  const smallTimes = await time(sw.flatMap((w) => [1, 9].map((n) => ({ src: matmulChainProbe(n, w, sm), shapes: { x: [sm, w] } }))), B.smallGemm);
  const marginal = (i: number) => Math.max(1e-8, diff(smallTimes[2 * i], smallTimes[2 * i + 1]) / 8);
  const [f64, f128] = sw.map((w) => 2 * sm * w * w);
  const [t64, t128] = [marginal(0), marginal(1)];
  // noise can invert the two: then the larger chain alone gives the rate
  const smallGemmFlops = t128 > t64 ? (f128 - f64) / (t128 - t64) : f128 / t128;
  const perGemmNode = Math.max(0, t64 - f64 / smallGemmFlops);
  log.push(`small GEMM (M=64) node 64:${us(t64)} 128:${us(t128)}: fixed ${us(perGemmNode)}, ${(smallGemmFlops / 1e9).toFixed(0)} GFLOP/s`);

  // 6. elementwise: 8 large Relus inside the graph (cache-resident activations)
  stage('elementwise');
  const E = 65536;
  const [e1, e9] = await time([1, 9].map((n) => ({ src: chainProbe(n, E), shapes: { x: [1, E] } })), B.elementwise);
  const elementwiseBandwidth = (8 * E * 8) / Math.max(1e-7, diff(e1, e9) - 8 * perNode);
  log.push(`elementwise ${(elementwiseBandwidth / 1e9).toFixed(0)} GB/s`);

  // 7. overlap of compute and memory in a mixed-regime GEMM (M=16, weights from DRAM)
  stage('overlap');
  const mm = 16;
  const [ok, on] = opts.quick ? [512, 1024] : [2048, 4096];
  const [o] = await time([{ src: matmulProbe(mm, ok, on), shapes: { x: [mm, ok] } }], B.overlap);
  const dram = ladder[ladder.length - 1].bandwidth;
  const tc = (2 * mm * ok * on) / gemmFlops;
  const tm = (ok * on * 4) / dram;
  const rest = ms(o) - fixed;
  const overlap = clamp(1 - (rest - Math.max(tc, tm)) / Math.min(tc, tm), 0, 1);
  log.push(`overlap ${overlap.toFixed(2)} (tc ${us(tc)}, tm ${us(tm)}, measured ${us(rest)})`);

  // 8-9. what zeros, int8 and int4 buy, memory-bound (GEMV from DRAM) and compute-bound (GEMM)
  const factors: OrtCalibration['factors'] = [];
  const variants = (k: number, n: number, w: Float32Array) => [
    { key: 'unstructured@0.5', pattern: 'unstructured', precision: 'fp32' as const, level: 0.5, src: (m: number) => matmulProbe(m, k, n, applyZeros(w, k, n, { kind: 'unstructured', level: 0.5 })) },
    { key: 'unstructured@0.9', pattern: 'unstructured', precision: 'fp32' as const, level: 0.9, src: (m: number) => matmulProbe(m, k, n, applyZeros(w, k, n, { kind: 'unstructured', level: 0.9 })) },
    { key: '2:4', pattern: 'n:m', precision: 'fp32' as const, src: (m: number) => matmulProbe(m, k, n, applyZeros(w, k, n, { kind: 'nm', level: 0.5, n: 2, m: 4 })) },
    { key: 'block@0.7', pattern: 'block', precision: 'fp32' as const, level: 0.7, src: (m: number) => matmulProbe(m, k, n, applyZeros(w, k, n, { kind: 'block', level: 0.7 })) },
    // int8 as the pipeline exports it (activation Q/DQ, weight DQ, output Q/DQ: ORT fuses it into QGemm)
    { key: 'int8', pattern: 'dense', precision: 'int8' as const, src: (m: number) => qdqInt8(m, k, n, w) },
    { key: 'int4', pattern: 'dense', precision: 'int4' as const, src: (m: number) => int4MatmulProbe(m, k, n, 128, w) },
  ];
  // int8 convolutions: ORT runs the QDQ pattern as QLinearConv in NHWC, with layout transposes
  stage('int8 convolution');
  {
    const [ci, co, hw] = opts.quick ? [16, 32, 14] : [32, 64, 28];
    const cv = { node: { name: 'c', op: 'Conv', inputs: ['x', 'W', 'b'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } }, inputDims: [1, ci, hw, hw], outputDims: [1, co, hw, hw], weight: randomWeights(co * ci * 9, 21), weightDims: [co, ci, 3, 3], bias: randomWeights(co, 22) };
    // and a tiny one, where the work is negligible: the int8 path's own fixed cost (quantize,
    // layout transposes), which makes int8 slower than float on small convolutions
    const tinyConv = { ...cv, inputDims: [1, 8, 8, 8], outputDims: [1, 8, 8, 8], weight: randomWeights(8 * 8 * 9, 23), weightDims: [8, 8, 3, 3], bias: randomWeights(8, 24) };
    const d = layerProbe(cv);
    const q = layerProbe(cv, { pattern: 'dense', level: 0, precision: 'int8' });
    const dt = layerProbe(tinyConv);
    const qt = layerProbe(tinyConv, { pattern: 'dense', level: 0, precision: 'int8' });
    if (d.ok && q.ok && dt.ok && qt.ok) {
      const [td, tq, tdt, tqt] = await time([d, q, dt, qt].map((p) => ({ src: p.bytes, shapes: p.shapes })), B.int8Conv);
      const overhead = Math.max(0, diff(tdt, tqt));
      const f = clamp(medianOfRounds([td, tq], ([a, b]) => a / Math.max(0.1 * b, b - overhead * 1e3)), 0.02, 32);
      factors.push({ key: 'int8-conv', pattern: 'dense', precision: 'int8', memory: round3(f), compute: round3(f), overhead, conditions: `Conv ${ci}->${co} 3x3 at ${hw}x${hw}, QDQ (QLinearConv) vs fp32 (${us(ms(td))} dense); fixed cost from Conv 8->8 at 8x8` });
    }
  }

  // per-variant fixed cost: a tiny shape where the work is negligible
  stage('format costs');
  // 64x64: small enough that neither the dense nor the int8 kernel goes threaded, so the difference is the format's own cost
  const tiny = variants(64, 64, randomWeights(64 * 64, 3));
  const tinyTimes = await time([{ src: matmulProbe(1, 64, 64), shapes: { x: [1, 64] } }, ...tiny.map((v) => ({ src: v.src(1), shapes: { x: [1, 64] } }))], B.formatCosts);
  const extra = tinyTimes.slice(1).map((t) => Math.max(0, diff(tinyTimes[0], t)));

  stage('memory-bound formats');
  const [K1, N1] = opts.quick ? [512, 512] : [2048, 4096];
  const v1 = variants(K1, N1, randomWeights(K1 * N1, 9));
  const gemv = await time([{ src: matmulProbe(1, K1, N1), shapes: { x: [1, K1] } }, ...v1.map((v) => ({ src: v.src(1), shapes: { x: [1, K1] } }))], B.memoryFormats);
  stage('compute-bound formats');
  const [M2, K2, N2] = opts.quick ? [64, 256, 256] : [128, 1024, 1024];
  const v2 = variants(K2, N2, randomWeights(K2 * N2, 11));
  const gemm = await time([{ src: matmulProbe(M2, K2, N2), shapes: { x: [M2, K2] } }, ...v2.map((v) => ({ src: v.src(M2), shapes: { x: [M2, K2] } }))], B.computeFormats);
  v1.forEach((v, i) => {
    const ov = extra[i];
    // fixed costs come off both sides, but never more than 90% of a time (noise must not divide by ~0)
    const ratio = ([d, v]: number[]) => Math.max(0.1 * d / 1e3, d / 1e3 - fixed) / Math.max(0.1 * v / 1e3, v / 1e3 - fixed - ov);
    const sm = clamp(medianOfRounds([gemv[0], gemv[i + 1]], ratio), 0.02, 32);
    const sc = clamp(medianOfRounds([gemm[0], gemm[i + 1]], ratio), 0.02, 32);
    factors.push({ key: v.key, pattern: v.pattern, precision: v.precision, level: v.level, memory: round3(sm), compute: round3(sc), overhead: ov, conditions: `memory: M=1 ${K1}x${N1} (${us(ms(gemv[0]))} dense); compute: M=${M2} ${K2}x${N2} (${us(ms(gemm[0]))} dense); fixed cost from M=1 64x64` });
  });
  // int8 / int4 on a transformer-sized GEMM: quantizing the activations and the kernels' own setup
  // weigh far more there than on the large GEMM, so the factor is measured at that size too
  stage('small-GEMM formats');
  {
    const { m: sm2, widths } = SMALL_GEMM_PROBE;
    const w = widths[0];
    const v3 = variants(w, w, randomWeights(w * w, 13)).filter((v) => v.precision !== 'fp32');
    const st = await time([{ src: matmulProbe(sm2, w, w), shapes: { x: [sm2, w] } }, ...v3.map((v) => ({ src: v.src(sm2), shapes: { x: [sm2, w] } }))], B.smallFormats);
    const callFixed = perCall + perParallelCall;
    v3.forEach((v, i) => {
      const entry = factors.find((x) => x.key === v.key);
      if (!entry) return;
      const ratio = ([d, x]: number[]) => {
        const dense = Math.max(1e-7, d / 1e3 - callFixed - perGemmNode);
        return dense / Math.max(0.1 * dense, x / 1e3 - callFixed - perGemmNode - entry.overhead);
      };
      // a format never gains more on a small GEMM than on a large one (activation quantization and
      // setup weigh more, not less): a higher reading is noise from a busy machine
      entry.small = round3(clamp(medianOfRounds([st[0], st[i + 1]], ratio), 0.02, Math.max(1, entry.compute)));
      entry.conditions += `; small GEMM: M=${sm2} ${w}x${w} (${us(ms(st[0]))} dense)`;
    });
  }
  log.push(`formats ${factors.map((f) => `${f.key} ${f.memory}/${f.compute}${f.small === undefined ? '' : `/${f.small}`} +${us(f.overhead)}`).join(', ')}`);
  opts.progress?.(steps, steps, 'done');
  return {
    perParallelCall,
    perOp,
    perIteration,
    perCall,
    perOutput,
    perNode,
    perParallelNode,
    parallelWork: 2 * SGEMM_THREAD_COMPLEXITY,
    outputBandwidth,
    ladder,
    gemmFlops,
    perGemmNode,
    smallGemmFlops,
    convFlops,
    elementwiseBandwidth,
    overlap,
    factors,
    log,
  };
}

function qdqInt8(m: number, k: number, n: number, w: Float32Array): Uint8Array {
  const p = layerProbe({ node: { name: 'fc', op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'], attrs: {} }, inputDims: [m, k], outputDims: [m, n], weight: w, weightDims: [k, n] }, { pattern: 'dense', level: 0, precision: 'int8' });
  if (!p.ok) throw new TwinforgeError('INTERNAL', p.why);
  return p.bytes;
}

/** Pool-adjacent-violators: the non-increasing sequence closest (least squares) to xs. */
export function nonIncreasing(xs: number[]): number[] {
  const blocks: { sum: number; n: number }[] = [];
  for (const x of xs) {
    blocks.push({ sum: x, n: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1];
      const a = blocks[blocks.length - 2];
      if (a.sum / a.n >= b.sum / b.n) break;
      blocks.splice(blocks.length - 2, 2, { sum: a.sum + b.sum, n: a.n + b.n });
    }
  }
  return blocks.flatMap((b) => Array<number>(b.n).fill(b.sum / b.n));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : lo));
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function us(s: number): string {
  return `${(s * 1e6).toFixed(1)}us`;
}

/**
 * Several calibrations taken apart in time, merged: on a shared machine the load comes and goes
 * over tens of seconds, and one pass alone can land in a busy or an idle stretch. (Taking the best
 * of the passes for every figure biased estimates low: only the fixed costs are taken from the
 * lowest pass.)
 */
export function mergeCalibrations(cals: OrtCalibration[]): OrtCalibration {
  if (cals.length === 1) return cals[0];
  const mean = (f: (c: OrtCalibration) => number) => cals.reduce((a, c) => a + f(c), 0) / cals.length;
  // The fixed costs of tiny probes are long, steady timings whose only disturbance is added time
  // (a pass that lands in a busy stretch reads every one of them 1.5x high): the lowest pass holds.
  // Rates and wake-ups vary both ways between sessions and are averaged.
  const least = (f: (c: OrtCalibration) => number) => Math.min(...cals.map(f));
  const perOp: Record<string, number> = {};
  for (const k of Object.keys(cals[0].perOp)) perOp[k] = least((c) => c.perOp[k] ?? 0);
  return {
    perOp,
    perCall: least((c) => c.perCall),
    perIteration: least((c) => c.perIteration ?? 0),
    perOutput: least((c) => c.perOutput),
    perNode: least((c) => c.perNode),
    perParallelNode: mean((c) => c.perParallelNode),
    perParallelCall: mean((c) => c.perParallelCall),
    parallelWork: cals[0].parallelWork,
    outputBandwidth: mean((c) => c.outputBandwidth),
    ladder: cals[0].ladder.map((l, i) => ({ bytes: l.bytes, bandwidth: mean((c) => c.ladder[i]?.bandwidth ?? l.bandwidth) })),
    gemmFlops: mean((c) => c.gemmFlops),
    perGemmNode: mean((c) => c.perGemmNode),
    smallGemmFlops: mean((c) => c.smallGemmFlops),
    convFlops: mean((c) => c.convFlops),
    elementwiseBandwidth: mean((c) => c.elementwiseBandwidth),
    overlap: mean((c) => c.overlap),
    factors: cals[0].factors.map((f) => {
      const same = cals.map((c) => c.factors.find((g) => g.key === f.key)).filter((g): g is NonNullable<typeof g> => !!g);
      const avg = (h: (g: (typeof same)[number]) => number) => round3(same.reduce((a, g) => a + h(g), 0) / same.length);
      // overheads are seconds (µs-sized): not rounded like the factors
      const small = same.every((g) => g.small !== undefined) ? { small: avg((g) => g.small!) } : {};
      return { ...f, memory: avg((g) => g.memory), compute: avg((g) => g.compute), ...small, overhead: same.reduce((a, g) => a + g.overhead, 0) / same.length };
    }),
    log: cals.flatMap((c, i) => c.log.map((l) => `pass ${i + 1}: ${l}`)),
  };
}
