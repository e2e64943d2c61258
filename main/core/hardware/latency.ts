// The latency model: per node, a roofline time from FLOPs and bytes at the runtime's efficiencies,
// the pattern/precision factors of the node's option, plus the runtime's fixed costs per node and
// per call. Fixed costs matter: a sub-0.05 ms model is mostly the cost of calling the runtime.
import { opKindOf, type LayerCost, type ModelCost } from './costs';
import { bitsPerWeight, effectiveLevel, factorsFor, parsePattern, type Factors, type LayerOption } from './options';
import { LARGE_GEMM_FLOPS, SMALL_GEMM_FLOPS } from './detect-plan';
import { PRECISION_BITS, type Target } from './profile';

export type Bound = 'compute' | 'memory' | 'overhead';

export interface LayerEstimate {
  name: string;
  op: string;
  /** Total seconds of this node (0 when fused into another). */
  seconds: number;
  computeSeconds: number;
  memorySeconds: number;
  overheadSeconds: number;
  bound: Bound;
  fused: boolean;
  /** Whether the runtime splits this node over threads. */
  threaded?: boolean;
  /** Factors applied (absent for the dense baseline). */
  factors?: Factors;
}

export interface ModelEstimate {
  seconds: number;
  callSeconds: number;
  /** Pool wake-ups after the call's first: threaded nodes that follow single-threaded ones. */
  wakeSeconds: number;
  outputSeconds: number;
  layers: LayerEstimate[];
  /** Where the weights are read from in steady state (the smallest cache holding the working set, or DRAM). */
  memoryLevel: string;
  /** Bytes/s assumed for weight and activation traffic. */
  bandwidth: number;
  workingSetBytes: number;
}

export type Plan = Map<string, LayerOption>;

/** Bytes of one layer's weight under an option at the runtime's precision, compressed or not. */
export function weightBytesUnder(layer: LayerCost, target: Target, option: LayerOption | undefined, packed: boolean): number {
  if (!layer.weight) return layer.weightBytes;
  const other = layer.weightBytes - layer.weight.params * layer.weight.elementBytes; // biases, scales
  const baseBits = Math.min(layer.weight.elementBytes * 8, PRECISION_BITS[target.runtime.basePrecision]);
  const bits = option ? bitsPerWeight(option, packed) : baseBits;
  return Math.max(0, other) + (layer.weight.params * bits) / 8;
}

/** The bandwidth a model sees: the smallest cache (with a bandwidth figure) that holds its working set, else memory. */
export function memoryLevelFor(workingSet: number, target: Target): { level: string; bandwidth: number } {
  const hw = target.profile.hardware;
  const cores = hw.cores ?? 1;
  const caches = [...hw.caches].filter((c) => c.bandwidth !== undefined).sort((a, b) => a.size * (a.shared ? 1 : cores) - b.size * (b.shared ? 1 : cores));
  for (const c of caches) {
    const capacity = c.size * (c.shared ? 1 : cores);
    // keep headroom: activations, code and other data share the cache
    if (workingSet <= 0.75 * capacity) return { level: c.level, bandwidth: c.bandwidth! };
  }
  return { level: 'memory', bandwidth: hw.bandwidth };
}

function activationScale(target: Target): number {
  // fp16/bf16 runtimes keep activations in 16 bits; the graph describes them as float32
  return PRECISION_BITS[target.runtime.basePrecision] / 32;
}

/** Working set of a model under a plan: all weights (as stored by the runtime) plus two activations. */
export function workingSet(cost: ModelCost, target: Target, plan?: Plan): number {
  let w = 0;
  for (const l of cost.layers) {
    const o = plan?.get(l.name);
    const f = o && l.weight ? factorsFor(target, o, opKindOf(l)) : undefined;
    w += l.weight ? weightBytesUnder(l, target, o, f?.packed ?? false) : l.weightBytes;
  }
  return w + 2 * cost.peakActivationBytes * activationScale(target);
}

function combine(tc: number, tm: number, overlap: number): number {
  return Math.max(tc, tm) + (1 - overlap) * Math.min(tc, tm);
}

/**
 * The runtime that hosts a Twinforge target's graph. Twinforge's kernels run the sparse layers
 * (CSR, N:M, block) inside an ONNX Runtime graph: every other node, dense and quantized layers,
 * removed channels and the per-call costs are ONNX Runtime's on the same hardware. Undefined for
 * other engines, or a profile without an ONNX Runtime entry (Twinforge then costs everything).
 */
export function hostOf(target: Target): Target | undefined {
  if (target.runtime.engine !== 'twinforge') return undefined;
  const rt = target.profile.runtimes.find((r) => r.engine === 'onnxruntime');
  return rt ? { ...target, runtime: rt } : undefined;
}

/** Whether Twinforge's own kernels run a layer under this option (a sparse pattern they accelerate). */
export function runsOnTwinforge(target: Target, layer: LayerCost, option?: LayerOption): boolean {
  if (!option || !layer.weight || target.runtime.engine !== 'twinforge') return false;
  const fam = parsePattern(option.pattern).family;
  return (fam === 'unstructured' || fam === 'nm' || fam === 'block') && factorsFor(target, option, opKindOf(layer)).accelerated;
}

/** Seconds of one node under an option (undefined: dense at the runtime's base precision). */
export function estimateLayer(layer: LayerCost, target: Target, bandwidth: number, option?: LayerOption): LayerEstimate {
  const host = hostOf(target);
  if (host && !runsOnTwinforge(target, layer, option)) return estimateLayer(layer, host, bandwidth, option);
  const rt = target.runtime;
  const hw = target.profile.hardware;
  const fused = !!layer.fusedInto || layer.kind === 'free';
  if (fused) return { name: layer.name, op: layer.op, seconds: 0, computeSeconds: 0, memorySeconds: 0, overheadSeconds: 0, bound: 'overhead', fused: true };
  const heavy = layer.kind === 'matmul' || layer.kind === 'conv';
  const peakRaw = hw.peak[rt.basePrecision] ?? hw.peak.fp32 ?? Object.values(hw.peak)[0]!;
  const peak = peakRaw * (layer.kind === 'conv' ? rt.efficiency.conv : rt.efficiency.compute);
  // a GEMM (M > 1) on a profile that measured transformer-sized ones: its own fixed cost and rate
  const gemm = layer.kind === 'matmul' && (layer.m ?? 1) > 1 && rt.perGemmNode !== undefined;
  const memBw = bandwidth * (heavy ? rt.efficiency.memory : rt.efficiency.elementwise);
  const actBytes = layer.activationBytes * activationScale(target);
  let flops = layer.flops;
  let weightBytes = layer.weight ? weightBytesUnder(layer, target, undefined, false) : layer.weightBytes;
  let actOut = actBytes;
  let factors: Factors | undefined;
  if (option && layer.weight && !(parsePattern(option.pattern).family === 'dense' && option.precision === rt.basePrecision)) {
    factors = factorsFor(target, option, opKindOf(layer));
    const fam = parsePattern(option.pattern).family;
    if (fam === 'channels') {
      // removed output channels shrink the matrix itself: fewer FLOPs, weights and outputs
      const keep = 1 - effectiveLevel(option);
      flops *= keep;
      weightBytes *= keep;
      actOut = actBytes * (0.5 + 0.5 * keep);
    }
  }
  let tc = heavy ? flops / peak : 0;
  let tmWeights = weightBytes / memBw;
  const tmAct = actOut / memBw;
  // a GEMM runs at the rate measured at its size: the small-GEMM probe's up to its FLOPs, the
  // large-GEMM probe's from its FLOPs on, interpolated on a log scale between
  if (gemm && rt.efficiency.smallGemm) tc = flops / atGemmSize(flops, peakRaw * rt.efficiency.smallGemm, peak);
  if (factors) {
    // on a GEMM the format's compute factor also depends on size (quantizing activations, packing)
    tc /= gemm && factors.smallCompute !== undefined ? atGemmSize(flops, factors.smallCompute, factors.compute) : factors.compute;
    tmWeights /= factors.memory;
  }
  const tm = tmWeights + tmAct;
  const parallel = heavy ? layer.flops >= rt.parallelWork || (layer.batches ?? 1) > 1 : (layer.outputElements ?? 0) >= rt.parallelElements;
  const opCost = (rt.perOp[layer.execOp ?? layer.op] ?? rt.perNode) + subgraphSeconds(layer, target);
  // an op whose tiny-tensor cost already exceeds the pool's wake-up was threaded when measured: it includes it
  const wake = parallel && opCost < rt.perParallelNode ? rt.perParallelNode : 0;
  // perGemmNode was measured on whole threaded GEMM nodes: it already holds the node's and the wake-up's cost
  const overhead = (gemm ? Math.max(opCost + wake, rt.perGemmNode!) : opCost + wake) + (factors?.overhead ?? 0);
  const work = heavy ? combine(tc, tm, rt.efficiency.overlap) : Math.max(tm, tc);
  const bound: Bound = overhead > work ? 'overhead' : tc >= tm ? 'compute' : 'memory';
  return { name: layer.name, op: layer.op, seconds: work + overhead, computeSeconds: tc, memorySeconds: tm, overheadSeconds: overhead, bound, fused: false, threaded: parallel, factors };
}

/**
 * A per-size GEMM figure (FLOP/s, or a format's compute factor) at `flops`, between its values at
 * the two measured anchors (SMALL_GEMM_FLOPS, LARGE_GEMM_FLOPS), on a log scale.
 */
export function atGemmSize(flops: number, small: number, large: number): number {
  if (flops <= SMALL_GEMM_FLOPS) return small;
  if (flops >= LARGE_GEMM_FLOPS) return large;
  const t = Math.log(flops / SMALL_GEMM_FLOPS) / Math.log(LARGE_GEMM_FLOPS / SMALL_GEMM_FLOPS);
  return Math.exp(Math.log(small) + t * (Math.log(large) - Math.log(small)));
}

/**
 * A control-flow node's body: every iteration pays the runtime's per-iteration cost (feeds and
 * fetches of the subgraph) and its nodes' fixed costs. The body's work on the tiny per-step
 * tensors such loops carry is taken as negligible.
 */
function subgraphSeconds(layer: LayerCost, target: Target): number {
  const sg = layer.subgraph;
  if (!sg) return 0;
  const rt = target.runtime;
  const body = sg.ops.reduce((a, op) => a + (rt.perOp[op] ?? rt.perNode), 0);
  return sg.iterations * ((rt.perIteration ?? rt.perNode) + body);
}

/** Whole-model latency under a plan (layer name -> option; others dense): the sum of nodes plus call costs. */
export function estimateModel(cost: ModelCost, target: Target, plan?: Plan): ModelEstimate {
  const ws = workingSet(cost, target, plan);
  const { level, bandwidth } = memoryLevelFor(ws, target);
  const layers = cost.layers.map((l) => estimateLayer(l, target, bandwidth, plan?.get(l.name)));
  const rt = (hostOf(target) ?? target).runtime;
  const outputSeconds = (rt.outputBandwidth ? cost.outputBytes / rt.outputBandwidth : 0) + rt.perOutput * Math.max(0, cost.outputCount - 1);
  const body = layers.reduce((a, l) => a + l.seconds, 0);
  // The first threaded node of a call wakes a sleeping pool. With spinning off, the pool's threads
  // also block whenever they run out of work: a threaded node right after another finds them
  // awake, one after a stretch of single-threaded nodes (reshapes, softmax, a LayerNorm between
  // a transformer's GEMMs) pays the full wake-up again.
  let wakes = 0;
  let prevThreaded = false;
  for (const l of layers) {
    if (l.fused || l.seconds === 0) continue;
    if (l.threaded && !prevThreaded) wakes++;
    prevThreaded = !!l.threaded;
  }
  const callSeconds = rt.perCall + (wakes > 0 ? rt.perParallelCall : 0);
  const wakeSeconds = Math.max(0, wakes - 1) * rt.perParallelCall;
  return { seconds: callSeconds + wakeSeconds + outputSeconds + body, callSeconds, wakeSeconds, outputSeconds, layers, memoryLevel: level, bandwidth, workingSetBytes: ws };
}
