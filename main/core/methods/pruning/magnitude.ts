// Magnitude pruning: score = |w|. Allocation 'uniform' prunes every layer to the target,
// 'global' ranks all layers' weights together (one exact threshold: "class-blinded"), 'erk'
// gives each layer an Erdős–Rényi-Kernel share of the target.
import * as z from 'zod';
import { strictObject } from '../../strict';
import { defineMethod, NO_NEEDS, PruningMethod, type PruneInit, type PruneJob, type PruneResult } from '../method';
import { erkSparsities } from './allocation';
import { globalThresholdMasks } from '../kernels';
import { maskForPattern } from '../sparsity';
import type { LayerTarget } from '../layers';

export const MagnitudeConfig = strictObject({
  allocation: z.enum(['uniform', 'global', 'erk']).default('uniform').describe("'uniform': every layer at the target; 'global': one threshold over all layers (unstructured only); 'erk': Erdős–Rényi-Kernel layer ratios"),
});
export type MagnitudeConfig = z.infer<typeof MagnitudeConfig>;

export class MagnitudePruning extends PruningMethod<MagnitudeConfig> {
  private globalMasks = new Map<LayerTarget, Uint8Array>();

  override initialize(ctx: PruneInit): void {
    const a = this.config.allocation;
    if (a === 'erk') reallocateErk(ctx);
    if (a === 'global') {
      // Exact global k-th |w| over all planned layers (native, ties split deterministically).
      const plans = ctx.plans.filter((p) => p.pattern.kind === 'unstructured');
      if (plans.length === 0) return;
      const target = plans.reduce((s, p) => s + p.sparsity * p.layer.weight.numel, 0) / plans.reduce((s, p) => s + p.layer.weight.numel, 0);
      const weights = plans.map((p) => ctx.weights(p.layer));
      const masks = globalThresholdMasks(weights, target, ctx.signal);
      plans.forEach((p, i) => this.globalMasks.set(p.layer, masks[i]));
    }
  }

  apply(job: PruneJob): PruneResult {
    const g = this.globalMasks.get(job.plan.layer);
    if (g) {
      this.globalMasks.delete(job.plan.layer);
      return { mask: g };
    }
    const { layer, pattern, sparsity } = job.plan;
    // The kernels rank by |score|, so the signed weights are the scores (no |w| copy).
    return { mask: maskForPattern(job.weights, layer.rows, layer.cols, pattern, sparsity, { scope: 'layer' }) };
  }
}

/** |w| as scores (a fresh array). */
export function absScores(w: Float32Array): Float32Array {
  const s = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) s[i] = Math.abs(w[i]);
  return s;
}

/** Rewrites the plans' sparsity with ERK ratios; N:M layers keep their fixed level and are left out. */
export function reallocateErk(ctx: PruneInit): void {
  const free = ctx.plans.filter((p) => p.pattern.kind !== 'nm');
  if (free.length === 0) return;
  const total = free.reduce((s, p) => s + p.layer.weight.numel, 0);
  const target = free.reduce((s, p) => s + p.sparsity * p.layer.weight.numel, 0) / total;
  const erk = erkSparsities(free.map((p) => ({ name: p.layer.name, dims: p.layer.weight.dims, numel: p.layer.weight.numel })), target);
  for (const p of free) p.sparsity = erk.get(p.layer.name)!;
  ctx.log(`ERK allocation: ${free.map((p) => `${p.layer.name} ${(p.sparsity * 100).toFixed(1)}%`).join(', ')}`);
}

export const magnitude = defineMethod<MagnitudeConfig>({
  name: 'magnitude',
  kind: 'prune',
  summary: 'Remove the smallest |w| (per layer, global, or ERK layer ratios). No data needed.',
  patterns: ['unstructured', 'nm', 'block', 'channel'],
  config: MagnitudeConfig,
  needs: () => NO_NEEDS,
  layoutFree: (_c, p) => p.kind === 'unstructured',
  create: (c) => new MagnitudePruning(c),
});
