// The planner: per layer a pattern, level and precision — jointly — that meets a budget
// (latency=8ms | size=5MB | sparsity=0.6) at the least estimated fidelity loss. Layer costs come
// from the latency model on the target, losses from the sensitivity analysis (additive NSR). It is
// a multiple-choice knapsack, solved exactly on a discretised resource by dynamic programming;
// the DP's last row is the Pareto front of resource against loss, which the plan reports.
import { badInput } from '../errors';
import { weightedLayers, type LayerCost, type ModelCost } from '../hardware/costs';
import { estimateLayer, estimateModel, memoryLevelFor, workingSet, type Plan } from '../hardware/latency';
import { bitsPerWeight, effectiveLevel, factorsFor, optionLabel, parsePattern, recipePattern, type LayerOption } from '../hardware/options';
import { opKindOf } from '../hardware/costs';
import { PRECISION_BITS, type Target } from '../hardware/profile';
import { dbOfNsr, lossOf, type SensitivityResult } from './sensitivity';
import type { PlanPoint } from '../../../preload/contract';

// Contract types (preload/contract.ts is their one definition).
export type { PlanPoint };

export type Budget = { kind: 'latency'; seconds: number } | { kind: 'size'; bytes: number } | { kind: 'sparsity'; fraction: number };

/** Parses "latency=8ms", "size=5MB", "sparsity=0.6" (also latencyMs=8, sizeMb=5). */
export function parseBudget(text: string): Budget {
  const m = /^\s*([A-Za-z]+)\s*=\s*([0-9.]+(?:e-?[0-9]+)?)\s*([A-Za-z%]*)\s*$/.exec(text);
  if (!m) throw badInput(`--budget '${text}' is not KIND=VALUE.`, 'Use latency=8ms, size=5MB or sparsity=0.6.');
  const [, kindRaw, num, unitRaw] = m;
  const v = Number(num);
  const kind = kindRaw.toLowerCase();
  const unit = unitRaw.toLowerCase();
  if (!(v > 0)) throw badInput(`--budget '${text}': the value must be positive.`);
  if (kind === 'latency' || kind === 'latencyms') {
    const f = kind === 'latencyms' || unit === 'ms' || unit === '' ? 1e-3 : unit === 'us' || unit === 'µs' ? 1e-6 : unit === 's' ? 1 : NaN;
    if (!Number.isFinite(f)) throw badInput(`--budget '${text}': latency takes ms, us or s.`, 'Example: latency=8ms');
    return { kind: 'latency', seconds: v * f };
  }
  if (kind === 'size' || kind === 'sizemb') {
    const units: Record<string, number> = { '': 1e6, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 2 ** 20, gib: 2 ** 30 };
    const f = kind === 'sizemb' ? 1e6 : units[unit];
    if (f === undefined) throw badInput(`--budget '${text}': size takes B, KB, MB, GB (or KiB, MiB, GiB).`, 'Example: size=5MB');
    return { kind: 'size', bytes: v * f };
  }
  if (kind === 'sparsity') {
    const frac = unit === '%' ? v / 100 : v;
    if (!(frac > 0 && frac < 1)) throw badInput(`--budget '${text}': sparsity is a fraction below 1 (or a percentage).`, 'Example: sparsity=0.6');
    return { kind: 'sparsity', fraction: frac };
  }
  throw badInput(`--budget '${text}': unknown budget '${kindRaw}'.`, 'Budgets: latency=8ms, size=5MB, sparsity=0.6.');
}

export function budgetLabel(b: Budget): string {
  return b.kind === 'latency' ? `latency <= ${(b.seconds * 1e3).toPrecision(3)} ms` : b.kind === 'size' ? `size <= ${(b.bytes / 1e6).toPrecision(3)} MB` : `sparsity >= ${(b.fraction * 100).toFixed(0)}%`;
}

interface Candidate {
  option: LayerOption | undefined;
  seconds: number;
  bytes: number;
  zeros: number;
  loss: number;
}

export interface PlanChoice {
  layer: string;
  node: string;
  op: string;
  pattern: string;
  level: number;
  precision: string;
  label: string;
  estimatedMs: number;
  bytes: number;
  loss: number;
}

/** The planner's whole plan (a choice per layer); plan.make answers with the contract's PlanResult, which carries it. */
export interface JointPlan {
  target: string;
  budget: Budget;
  budgetLabel: string;
  feasible: boolean;
  choices: PlanChoice[];
  estimated: { latencyMs: number; sizeBytes: number; fidelityLoss: number; sqnrDb: number; sparsity: number };
  dense: { latencyMs: number; sizeBytes: number };
  pareto: PlanPoint[];
  notes: string[];
}

export interface PlanOptions {
  /** Patterns allowed (default: those in the sensitivity result). */
  patterns?: string[];
  precisions?: string[];
  /** DP resolution (bins of the resource). */
  bins?: number;
}

/** Bytes of a layer's weight as deployed: quantized bits, sparse patterns packed (values + index). */
function deployedBytes(layer: LayerCost, o: LayerOption | undefined, target: Target): number {
  const params = layer.weight!.params;
  const storedBits = Math.min(layer.weight!.elementBytes * 8, 32);
  if (!o) return (params * storedBits) / 8;
  const fam = parsePattern(o.pattern).family;
  const bits = bitsPerWeight(o, fam !== 'dense');
  void target;
  return (params * Math.min(bits, fam === 'dense' ? PRECISION_BITS[o.precision] : Infinity)) / 8;
}

function candidatesFor(layer: LayerCost, target: Target, sens: SensitivityResult, bandwidth: number, opts: PlanOptions, budget: Budget): Candidate[] {
  const name = layer.weight!.name;
  const mine = sens.entries.filter((e) => e.layer === name);
  const base = target.runtime.basePrecision;
  const dense = estimateLayer(layer, target, bandwidth);
  const out: Candidate[] = [{ option: undefined, seconds: dense.seconds, bytes: deployedBytes(layer, undefined, target), zeros: 0, loss: 0 }];
  if (!mine.length) return out;
  const patterns = new Map<string, number[]>();
  for (const e of mine) {
    if (e.precision !== 'fp32') continue;
    if (opts.patterns && !opts.patterns.some((p) => parsePattern(p).text === parsePattern(e.pattern).text)) continue;
    const key = parsePattern(e.pattern).text;
    patterns.set(key, [...(patterns.get(key) ?? []), e.level]);
  }
  const precisions = ['keep', ...mine.filter((e) => e.pattern === 'dense').map((e) => e.precision)].filter((p) => p === 'keep' || !opts.precisions || opts.precisions.includes(p));
  const structures: { pattern: string; level: number }[] = [{ pattern: 'dense', level: 0 }];
  for (const [p, levels] of patterns) for (const l of [...new Set(levels)]) structures.push({ pattern: p, level: l });
  for (const s of structures) {
    for (const prec of precisions) {
      if (s.pattern === 'dense' && prec === 'keep') continue;
      const precision = (prec === 'keep' ? base : prec) as LayerOption['precision'];
      if (layer.kind === 'conv' && precision === 'int4') continue;
      const option: LayerOption = { pattern: s.pattern, level: s.level, precision };
      const loss = lossOf(sens, name, s.pattern, s.level, prec === 'keep' ? 'fp32' : prec);
      if (loss === undefined) continue;
      const fam = parsePattern(s.pattern).family;
      // a sparsity budget counts zeros; a pattern the runtime cannot exploit still makes them
      const zeros = fam === 'dense' ? 0 : layer.weight!.params * effectiveLevel(option);
      const est = estimateLayer(layer, target, bandwidth, option);
      out.push({ option, seconds: est.seconds, bytes: deployedBytes(layer, option, target), zeros, loss });
    }
  }
  // drop dominated candidates (no better on the budget's resource, and no lower loss)
  const res = (c: Candidate) => (budget.kind === 'latency' ? c.seconds : budget.kind === 'size' ? c.bytes : -c.zeros);
  return out.filter((c) => !out.some((d) => d !== c && res(d) <= res(c) && d.loss <= c.loss && (res(d) < res(c) || d.loss < c.loss)));
}

interface DpResult {
  /** min loss for each resource bin (index = bins used). */
  lossAt: Float64Array;
  pick(bin: number): number[];
}

/** Multiple-choice knapsack: for every bin count b, the least total loss using at most b bins. */
function knapsack(cands: Candidate[][], cost: (c: Candidate) => number, bins: number): DpResult {
  const INF = Number.POSITIVE_INFINITY;
  let prev = new Float64Array(bins + 1).fill(0);
  const choice: Int16Array[] = [];
  for (const list of cands) {
    const cur = new Float64Array(bins + 1).fill(INF);
    const ch = new Int16Array(bins + 1).fill(-1);
    const w = list.map(cost);
    for (let b = 0; b <= bins; b++) {
      for (let j = 0; j < list.length; j++) {
        if (w[j] > b) continue;
        const v = prev[b - w[j]] + list[j].loss;
        if (v < cur[b]) {
          cur[b] = v;
          ch[b] = j;
        }
      }
    }
    choice.push(ch);
    prev = cur;
  }
  return {
    lossAt: prev,
    pick(bin: number) {
      const picks: number[] = new Array(cands.length);
      let b = bin;
      for (let i = cands.length - 1; i >= 0; i--) {
        const j = choice[i][b];
        picks[i] = Math.max(0, j);
        b -= cost(cands[i][picks[i]]);
      }
      return picks;
    },
  };
}

/**
 * Chooses per layer a pattern, level and precision meeting `budget` at the least summed loss,
 * and the Pareto front of (resource, loss). Layers without sensitivity data stay dense.
 *
 * For latency budgets the bandwidth a layer sees depends on the whole plan (a compressed model may
 * fit a cache the dense one does not), so the DP runs once per memory level the model could live
 * in, with the bytes priced by a Lagrange multiplier until the plan fits that level; every plan
 * found is re-estimated as a whole and the Pareto front is taken over all of them.
 */
export function makePlan(cost: ModelCost, target: Target, sens: SensitivityResult, budget: Budget, opts: PlanOptions = {}): JointPlan {
  // the pipeline applies one quantization method per recipe: plan each precision on its own, keep the best
  const precs = opts.precisions ?? [...new Set(sens.entries.filter((e) => e.pattern === 'dense' && e.precision !== 'fp32').map((e) => e.precision as string))];
  if (precs.length <= 1) return makePlanOne(cost, target, sens, budget, opts);
  const plans = precs.map((p) => makePlanOne(cost, target, sens, budget, { ...opts, precisions: [p] }));
  const res = (x: { latencyMs: number; sizeBytes: number; sparsity: number }) => (budget.kind === 'latency' ? x.latencyMs : budget.kind === 'size' ? x.sizeBytes : -x.sparsity);
  const feasible = plans.filter((p) => p.feasible).sort((a, b) => a.estimated.fidelityLoss - b.estimated.fidelityLoss);
  const best = feasible[0] ?? [...plans].sort((a, b) => res(a.estimated) - res(b.estimated))[0];
  const all = plans.flatMap((p) => p.pareto);
  const pareto = all.filter((p) => !all.some((q) => q !== p && res(q) <= res(p) && q.fidelityLoss <= p.fidelityLoss && (res(q) < res(p) || q.fidelityLoss < p.fidelityLoss))).sort((a, b) => a.fidelityLoss - b.fidelityLoss);
  const notes = [...best.notes];
  notes.push(`one quantization precision per recipe (the pipeline's rule): planned with ${precs.join(' and with ')} separately, kept ${best.choices.find((c) => c.precision !== target.runtime.basePrecision)?.precision ?? 'the float plan'}`);
  return { ...best, pareto: pareto.length > 16 ? Array.from({ length: 16 }, (_, i) => pareto[Math.round((i * (pareto.length - 1)) / 15)]) : pareto, notes };
}

function makePlanOne(cost: ModelCost, target: Target, sens: SensitivityResult, budget: Budget, opts: PlanOptions = {}): JointPlan {
  const notes: string[] = [];
  const layers = weightedLayers(cost).filter((l) => l.weight && !l.fusedInto);
  const denseEst = estimateModel(cost, target);
  const denseLevel = memoryLevelFor(workingSet(cost, target), target);
  const totalParams = layers.reduce((a, l) => a + l.weight!.params, 0);
  const denseBytes = layers.reduce((a, l) => a + deployedBytes(l, undefined, target), 0);
  const otherWeightBytes = Math.max(0, cost.weightBytes - denseBytes);
  const bins = opts.bins ?? (layers.length > 60 ? 800 : 2000);

  type Point = PlanPoint & { plan: Plan; choices: PlanChoice[]; picks: number[] };
  const pointOf = (cands: Candidate[][], picks: number[]): Point => {
    const plan: Plan = new Map();
    const choices: PlanChoice[] = [];
    let loss = 0;
    let bytes = otherWeightBytes;
    let zeros = 0;
    picks.forEach((j, i) => {
      const c = cands[i][j];
      loss += c.loss;
      bytes += c.bytes;
      zeros += c.zeros;
      if (!c.option) return;
      const l = layers[i];
      plan.set(l.name, c.option);
      choices.push({ layer: l.weight!.name, node: l.name, op: l.op, pattern: parsePattern(c.option.pattern).text, level: effectiveLevel(c.option), precision: c.option.precision, label: optionLabel(c.option), estimatedMs: c.seconds * 1e3, bytes: c.bytes, loss: c.loss });
    });
    const est = estimateModel(cost, target, plan);
    for (const ch of choices) ch.estimatedMs = (est.layers.find((l) => l.name === ch.node)?.seconds ?? 0) * 1e3;
    return { latencyMs: est.seconds * 1e3, sizeBytes: bytes, fidelityLoss: loss, sqnrDb: dbOfNsr(loss), sparsity: totalParams ? zeros / totalParams : 0, changes: choices.map((c) => `${c.layer}: ${c.label}`), plan, choices, picks };
  };

  // the memory levels a plan could make the model live in (latency budgets only)
  const hw = target.profile.hardware;
  const levels: { name: string; bandwidth: number; capacity: number }[] = [{ name: denseLevel.level, bandwidth: denseLevel.bandwidth, capacity: Infinity }];
  if (budget.kind === 'latency') {
    for (const c of hw.caches) {
      if (!c.bandwidth || c.bandwidth <= denseLevel.bandwidth) continue;
      const capacity = 0.75 * c.size * (c.shared ? 1 : (hw.cores ?? 1));
      levels.push({ name: c.level, bandwidth: c.bandwidth, capacity });
    }
  }
  const pool: Point[] = [];
  const fixedOf = (cands: Candidate[][]) => denseEst.seconds - cands.reduce((a, c) => a + c[0].seconds, 0);
  let fixedSeconds = 0;
  for (const lvl of levels) {
    const cands = layers.map((l) => candidatesFor(l, target, sens, lvl.bandwidth, opts, budget));
    if (lvl === levels[0]) fixedSeconds = fixedOf(cands);
    const resourceOf = (c: Candidate, i: number) => (budget.kind === 'latency' ? c.seconds : budget.kind === 'size' ? c.bytes : layers[i].weight!.params - c.zeros);
    const total = cands.reduce((a, list, i) => a + Math.max(...list.map((c) => resourceOf(c, i))), 0) || 1;
    const scale = total / bins;
    const maxLoss = Math.max(1e-12, ...cands.flat().map((c) => c.loss));
    const lambdas = lvl.capacity === Infinity ? [0] : [0, ...Array.from({ length: 14 }, (_, k) => (maxLoss / Math.max(1, denseBytes)) * 2 ** (k - 4))];
    for (const lambda of lambdas) {
      const items = cands.map((list, i) => list.map((c) => ({ ...c, loss: c.loss + lambda * c.bytes, w: Math.ceil(resourceOf(c, i) / scale - 1e-9) })));
      // each layer rounds its resource up: leave one bin of slack per layer so the dense plan always fits
      const cap = bins + items.length;
      const dp = knapsack(items, (c) => (c as Candidate & { w: number }).w, cap);
      const front: number[] = [];
      let best = Infinity;
      for (let b = 0; b <= cap; b++) {
        if (dp.lossAt[b] < best - 1e-15) {
          best = dp.lossAt[b];
          front.push(b);
        }
      }
      const sample = front.length <= 40 ? front : Array.from({ length: 40 }, (_, i) => front[Math.round((i * (front.length - 1)) / 39)]);
      let fits = 0;
      for (const b of new Set(sample)) {
        const pt = pointOf(cands, dp.pick(b));
        pool.push(pt);
        if (workingSet(cost, target, pt.plan) <= lvl.capacity) fits++;
      }
      if (lvl.capacity !== Infinity && fits === sample.length) break; // every plan of this λ fits the level: larger λ adds nothing
    }
  }
  // Pareto front over everything found: resource (true, whole-model) against loss
  const resOfPoint = (p: Point) => (budget.kind === 'latency' ? p.latencyMs : budget.kind === 'size' ? p.sizeBytes : -p.sparsity);
  const uniq = new Map<string, Point>();
  for (const p of pool) uniq.set(p.changes.join('|'), p);
  if (!uniq.size) {
    const dense = pointOf(layers.map(() => [{ option: undefined, seconds: 0, bytes: 0, zeros: 0, loss: 0 }]), layers.map(() => 0));
    uniq.set('', dense);
  }
  const all = [...uniq.values()];
  const front = all.filter((p) => !all.some((q) => q !== p && resOfPoint(q) <= resOfPoint(p) && q.fidelityLoss <= p.fidelityLoss && (resOfPoint(q) < resOfPoint(p) || q.fidelityLoss < p.fidelityLoss))).sort((a, b) => a.fidelityLoss - b.fidelityLoss);
  const meets = (p: Point) => (budget.kind === 'latency' ? p.latencyMs <= budget.seconds * 1e3 : budget.kind === 'size' ? p.sizeBytes <= budget.bytes : p.sparsity >= budget.fraction - 1e-9);
  const ok = front.filter(meets);
  let chosen: Point;
  const feasible = ok.length > 0;
  if (feasible) chosen = ok[0];
  else {
    chosen = [...front].sort((a, b) => resOfPoint(a) - resOfPoint(b))[0];
    const minRes = budget.kind === 'latency' ? `${chosen.latencyMs.toFixed(4)} ms` : budget.kind === 'size' ? `${(chosen.sizeBytes / 1e6).toFixed(3)} MB` : `${(chosen.sparsity * 100).toFixed(1)}%`;
    notes.push(`budget ${budgetLabel(budget)} cannot be met with the options measured: the most compressed plan reaches ${minRes}`);
    if (budget.kind === 'latency' && fixedSeconds >= budget.seconds) notes.push(`the fixed cost outside the weighted layers (${(fixedSeconds * 1e3).toFixed(4)} ms: the runtime call, outputs, other nodes) is already at or above the budget`);
  }
  const sample = front.length <= 16 ? front : Array.from({ length: 16 }, (_, i) => front[Math.round((i * (front.length - 1)) / 15)]);
  const pareto = [...new Set(sample)].map(({ plan: _p, choices, picks: _k, ...rest }) => ({ ...rest, stages: stagesFor(choices) }));
  const noData = layers.filter((l) => !sens.entries.some((e) => e.layer === l.weight!.name)).map((l) => l.weight!.name);
  if (noData.length) notes.push(`no sensitivity data for ${noData.length} layer(s), kept dense: ${noData.slice(0, 6).join(', ')}${noData.length > 6 ? ', ...' : ''}`);
  for (const c of chosen.choices) {
    const f = factorsFor(target, { pattern: c.pattern, level: c.level, precision: c.precision as LayerOption['precision'] }, opKindOf(layers.find((l) => l.weight!.name === c.layer)!));
    if (!f.accelerated && budget.kind === 'latency') notes.push(`${c.layer}: ${c.label} does not pay on ${target.id} (${f.notes[0] ?? 'not accelerated'}); chosen for size/fidelity only`);
  }
  const ws = workingSet(cost, target, chosen.plan);
  const lvlNow = memoryLevelFor(ws, target).level;
  if (budget.kind === 'latency' && lvlNow !== denseLevel.level) notes.push(`the compressed weights (${(ws / 2 ** 20).toFixed(1)} MiB working set) fit ${lvlNow}; the dense model reads from ${denseLevel.level}`);
  return {
    target: target.id,
    budget,
    budgetLabel: budgetLabel(budget),
    feasible,
    choices: chosen.choices,
    estimated: { latencyMs: chosen.latencyMs, sizeBytes: chosen.sizeBytes, fidelityLoss: chosen.fidelityLoss, sqnrDb: chosen.sqnrDb, sparsity: chosen.sparsity },
    dense: { latencyMs: denseEst.seconds * 1e3, sizeBytes: denseBytes + otherWeightBytes },
    pareto,
    notes,
  };
}

/** Recipe stages realising a set of per-layer choices: one prune stage per pattern, one quantize stage per precision. */
export function stagesFor(choices: PlanChoice[]): Record<string, unknown>[] {
  const stages: Record<string, unknown>[] = [];
  const byPattern = new Map<string, PlanChoice[]>();
  for (const c of choices) if (c.pattern !== 'dense') byPattern.set(c.pattern, [...(byPattern.get(c.pattern) ?? []), c]);
  for (const [pattern, cs] of byPattern) {
    const fam = parsePattern(pattern).family;
    const stage: Record<string, unknown> = { type: 'prune', name: `plan ${pattern}`, method: 'magnitude', pattern: recipePattern(pattern), include: cs.map((c) => c.layer) };
    if (fam !== 'nm') {
      const levels = [...new Set(cs.map((c) => c.level))];
      stage.sparsity = levels[0];
      const overrides = cs.filter((c) => c.level !== levels[0]).map((c) => ({ layers: c.layer, sparsity: c.level }));
      if (overrides.length) stage.overrides = overrides;
    }
    if (fam === 'channels') stage.removeChannels = true;
    stages.push(stage);
  }
  for (const q of ['int8', 'int4']) {
    const cs = choices.filter((c) => c.precision === q);
    if (cs.length) stages.push({ type: 'quantize', name: `plan ${q}`, method: q, include: cs.map((c) => c.layer) });
  }
  return stages;
}

/** The plan as a recipe in the pipeline's format. */
export function planToRecipe(plan: JointPlan, model: string, opts: { inputShapes?: Record<string, number[]>; exportDir?: string; calibration?: string; name?: string } = {}): Record<string, unknown> {
  const stages = stagesFor(plan.choices);
  const b = plan.budget;
  return {
    version: 1,
    name: opts.name ?? `plan for ${plan.budgetLabel} on ${plan.target}`,
    description: `Made by twinforge plan: ${plan.budgetLabel} on ${plan.target}; estimated ${plan.estimated.latencyMs.toFixed(4)} ms, ${(plan.estimated.sizeBytes / 1e6).toFixed(3)} MB, fidelity loss (NSR) ${plan.estimated.fidelityLoss.toExponential(2)} (~${Number.isFinite(plan.estimated.sqnrDb) ? plan.estimated.sqnrDb.toFixed(1) : 'inf'} dB SQNR)${plan.feasible ? '' : ' — the budget is NOT met by this plan'}`,
    model,
    ...(opts.inputShapes ? { inputShapes: opts.inputShapes } : {}),
    target: plan.target,
    ...(b.kind === 'latency' ? { budget: { latencyMs: b.seconds * 1e3 } } : b.kind === 'size' ? { budget: { sizeMb: b.bytes / 1e6 } } : {}),
    calibration: { source: opts.calibration ?? 'synthetic' },
    stages,
    ...(opts.exportDir ? { export: { dir: opts.exportDir } } : {}),
  };
}
