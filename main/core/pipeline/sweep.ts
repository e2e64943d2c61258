// A sparsity sweep: the recipe's prune stage one-shot at each level, fidelity per level, and the
// knee of the curve ("essential sparsity", Jaiswal et al. 2023: the level after which fidelity
// falls much faster). Then the twin at the knee is built and exported like any other.
import type { Recipe } from '../recipe/schema';
import { TwinforgeError } from '../errors';
import type { CompressOptions, CompressRun, RunOnceExtras } from './runner';

/** One compression run (runner.ts's runOnce), passed in so the sweep does not import the runner back. */
export type RunOnce = (recipe: Recipe, opts: CompressOptions, extras?: RunOnceExtras) => Promise<CompressRun>;

export interface SweepPoint {
  level: number;
  value: number;
  cosine: number;
  sqnrDb: number;
  top1Agreement?: number;
  accuracy?: number;
}

export interface SweepResult {
  metric: 'cosine' | 'sqnrDb' | 'top1Agreement' | 'accuracy';
  stage: number;
  points: SweepPoint[];
  /** The essential sparsity: the largest level before the knee. */
  knee: number;
}

/**
 * Knee of a falling curve (Kneedle): normalise both axes to [0, 1], take the point farthest
 * below the chord from the first to the last point. Levels must ascend.
 */
export function findKnee(levels: number[], values: number[]): number {
  const n = levels.length;
  if (n === 0) throw new Error('no points');
  if (n < 3) return levels[0];
  const x0 = levels[0];
  const x1 = levels[n - 1];
  const ymax = Math.max(...values);
  const ymin = Math.min(...values);
  if (ymax - ymin < 1e-12) return levels[n - 1];
  const xs = levels.map((x) => (x - x0) / (x1 - x0));
  const ys = values.map((y) => (y - ymin) / (ymax - ymin));
  const [ya, yb] = [ys[0], ys[n - 1]];
  let best = 0;
  let bestD = -Infinity;
  for (let i = 0; i < n; i++) {
    const chord = ya + (yb - ya) * xs[i];
    const d = ys[i] - chord; // above the chord: the curve still holds up here
    if (d > bestD) {
      bestD = d;
      best = i;
    }
  }
  return levels[best];
}

export async function runSweep(recipe: Recipe, opts: CompressOptions, runOnce: RunOnce): Promise<CompressRun> {
  const sweep = recipe.sweep!;
  const stages = recipe.stages ?? [];
  const stage = sweep.stage ?? stages.findIndex((s) => s.type === 'prune');
  const metric = sweep.metric ?? 'cosine';
  const levels = [...sweep.levels].sort((a, b) => a - b);
  const points: SweepPoint[] = [];
  for (let i = 0; i < levels.length; i++) {
    if (opts.signal?.aborted) throw new TwinforgeError('CANCELLED', 'Sweep cancelled.');
    opts.onProgress?.({ stage: 'sweep', done: i, total: levels.length, detail: `sparsity ${levels[i]}` });
    const r = await runOnce(recipe, { ...opts, onProgress: undefined }, { level: { stage, value: levels[i] }, fidelityOnly: true });
    const value = metric === 'accuracy' ? r.metrics.accuracy : metric === 'top1Agreement' ? r.metrics.top1Agreement : r.metrics[metric];
    if (value === undefined) throw new TwinforgeError('BAD_INPUT', `sweep.metric: '${metric}' could not be measured (${metric === 'accuracy' ? 'no labels' : 'no classification output'})`, "Use metric 'cosine' or 'sqnrDb'.");
    points.push({ level: levels[i], value, cosine: r.metrics.cosine, sqnrDb: r.metrics.sqnrDb, ...(r.metrics.top1Agreement !== undefined ? { top1Agreement: r.metrics.top1Agreement } : {}), ...(r.metrics.accuracy !== undefined ? { accuracy: r.metrics.accuracy } : {}) });
    opts.onLog?.(`sweep: sparsity ${levels[i]} -> ${metric} ${value.toFixed(5)}`);
  }
  opts.onProgress?.({ stage: 'sweep', done: levels.length, total: levels.length });
  const knee = findKnee(levels, points.map((p) => p.value));
  const result: SweepResult = { metric, stage, points, knee };
  opts.onLog?.(`sweep: knee (essential sparsity) at ${knee}`);
  return runOnce(recipe, opts, { level: { stage, value: knee }, sweep: result });
}
