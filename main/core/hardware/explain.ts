// The explainer: per layer and option, will it really be faster on this target, and why. The
// estimate comes from the latency model; the verdict rules are shared with `hw validate`, which
// applies the same rules to measured times, so "confirmed" means the same thing on both sides.
import { weightedLayers, type LayerCost, type ModelCost } from './costs';
import { estimateLayer, estimateModel, memoryLevelFor, workingSet, type LayerEstimate } from './latency';
import { candidateOptions, effectiveLevel, optionLabel, parsePattern, type LayerOption } from './options';
import type { Target } from './profile';
import { formatSeconds } from './units';
import type { ExplainLayer, ExplainOption, Explanation } from '../../../preload/contract';

export type Verdict = 'faster' | 'no-gain' | 'slower';

/** A layer option must win at least 10% (and lose at least 10%) to count as faster (slower). */
export const FASTER_AT = 1.1;
export const SLOWER_AT = 1 / 1.1;
/** Savings below 2% of the model's time, or below 2 µs, do not matter (and are within timing noise). */
export const MIN_SHARE = 0.02;
export const MIN_SAVING_S = 2e-6;

// The explainer's answer is the contract's (preload/contract.ts is its one definition).
export type { ExplainLayer, ExplainOption, Explanation };

/**
 * The verdict rule, for estimates and measurements alike: faster/slower needs a 10% change of the
 * layer's time AND a saving (or loss) that matters for the model (>= 2% of it and >= 2 µs).
 */
export function verdictOf(speedup: number, layerSeconds: number, modelSeconds: number): { verdict: Verdict; tooSmall: boolean } {
  const optionSeconds = layerSeconds / speedup;
  const delta = Math.abs(layerSeconds - optionSeconds);
  const matters = delta >= Math.max(MIN_SHARE * modelSeconds, MIN_SAVING_S);
  if (speedup >= FASTER_AT && matters) return { verdict: 'faster', tooSmall: false };
  if (speedup <= SLOWER_AT && matters) return { verdict: 'slower', tooSmall: false };
  // the option would change the layer by 10%+, but the change is too small to matter for the model
  return { verdict: 'no-gain', tooSmall: !matters && (speedup >= FASTER_AT || speedup <= SLOWER_AT) };
}

function regimePhrase(layer: LayerCost, est: LayerEstimate): string {
  if (est.bound === 'overhead') return 'fixed per-node cost dominates';
  if (est.bound === 'memory') return (layer.m ?? 1) <= 8 && layer.kind === 'matmul' ? 'GEMV memory-bound' : 'memory-bound';
  return layer.kind === 'conv' ? 'convolution compute-bound' : 'GEMM compute-bound';
}

function reasonFor(layer: LayerCost, dense: LayerEstimate, opt: LayerOption, optEst: LayerEstimate, speedup: number, verdict: Verdict, tooSmall: boolean, modelSeconds: number): string {
  const fam = parsePattern(opt.pattern).family;
  const f = optEst.factors;
  const regime = regimePhrase(layer, dense);
  const notes = f?.notes ?? [];
  if (tooSmall) return `layer too small to matter: ${formatSeconds(dense.seconds)} of ${formatSeconds(modelSeconds)} (${regime})`;
  if (f && !f.accelerated && fam !== 'dense' && fam !== 'channels') return notes.find((n) => /not accelerated/.test(n)) ?? notes[0] ?? `${opt.pattern} not accelerated on this target`;
  if (f && !f.accelerated && fam === 'dense') return notes[notes.length - 1] ?? `${opt.precision} not accelerated on this target`;
  const what = fam === 'channels' ? 'removed channels pay everywhere' : fam === 'dense' ? `${opt.precision} pays` : 'sparsity pays';
  if (verdict === 'faster') {
    if (fam === 'channels') return `${regime}: removed channels pay everywhere (a smaller dense matrix)`;
    return `${regime}: ${what}${notes.length ? ` — ${notes.join('; ')}` : ''}`;
  }
  if (verdict === 'slower') {
    if (f && f.overhead > 0 && f.overhead > 0.3 * dense.seconds) return `${regime}: the format's fixed cost (${formatSeconds(f.overhead)}) outweighs the saving${notes.length ? ` — ${notes.join('; ')}` : ''}`;
    const lvl = fam === 'unstructured' || fam === 'block' ? ` at ${Math.round(effectiveLevel(opt) * 100)}%` : '';
    return `${regime}: ${optionLabel(opt)} is slower than dense${lvl}${notes.length ? ` — ${notes.join('; ')}` : ''}`;
  }
  return `${regime}: gain ${speedup.toFixed(2)}x is under ${FASTER_AT}x${notes.length ? ` — ${notes.join('; ')}` : ''}`;
}

export interface ExplainOptions {
  /** Options to judge per layer (default: what the target's runtime lists, plus portable ones). */
  options?: LayerOption[];
  /** Measured layer speedups by `${layer}|${label}` (from hw validate). */
  measured?: Map<string, number>;
  notes?: string[];
}

export function measuredKey(layer: string, o: LayerOption): string {
  return `${layer}|${optionLabel(o)}`;
}

/** Judges every option on every weighted layer of a model for one target. */
export function explainCost(cost: ModelCost, target: Target, opts: ExplainOptions = {}): Explanation {
  const model = estimateModel(cost, target);
  const options = opts.options ?? candidateOptions(target);
  const layers: ExplainLayer[] = [];
  for (const layer of weightedLayers(cost)) {
    const dense = model.layers.find((l) => l.name === layer.name)!;
    if (dense.fused) continue;
    const explained: ExplainOption[] = [];
    for (const opt of options) {
      // per-option working set: a quantised/compressed layer may move the model into a cache
      const ws = workingSet(cost, target, new Map([[layer.name, opt]]));
      const bw = memoryLevelFor(ws, target).bandwidth;
      const optEst = estimateLayer(layer, target, bw, opt);
      const speedup = dense.seconds / optEst.seconds;
      const { verdict, tooSmall } = verdictOf(speedup, dense.seconds, model.seconds);
      const measured = opts.measured?.get(measuredKey(layer.name, opt));
      explained.push({
        pattern: parsePattern(opt.pattern).text,
        level: effectiveLevel(opt),
        precision: opt.precision,
        label: optionLabel(opt),
        estimatedSpeedup: round(speedup),
        ...(measured !== undefined ? { measuredSpeedup: round(measured) } : {}),
        verdict,
        reason: reasonFor(layer, dense, opt, optEst, speedup, verdict, tooSmall, model.seconds),
        estimatedMs: optEst.seconds * 1e3,
        sources: [...new Set((optEst.factors?.sources ?? []).map((s) => `${s.kind}: ${s.citation}`))],
      });
    }
    layers.push({
      name: layer.name,
      op: layer.op,
      weightShape: layer.weight?.shape ?? [],
      ...(layer.m !== undefined ? { gemm: { m: layer.m, n: layer.n!, k: layer.k! } } : {}),
      bound: dense.bound,
      denseMs: dense.seconds * 1e3,
      share: dense.seconds / model.seconds,
      options: explained,
    });
  }
  return {
    target: target.id,
    runtime: target.runtime.title,
    hardware: target.profile.title,
    modelMs: model.seconds * 1e3,
    callOverheadMs: (model.callSeconds + model.outputSeconds) * 1e3,
    memoryLevel: model.memoryLevel,
    layers,
    notes: opts.notes ?? [],
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
