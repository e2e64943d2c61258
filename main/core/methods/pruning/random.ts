// Random pruning: the naive baseline (uniform random scores), with uniform or ERK layer ratios.
// Seeded from the recipe so a twin is reproducible.
import * as z from 'zod';
import { strictObject } from '../../strict';
import { defineMethod, NO_NEEDS, PruningMethod, type PruneInit, type PruneJob, type PruneResult } from '../method';
import { maskForPattern } from '../sparsity';
import { Rng } from '../../data/rng';
import { reallocateErk } from './magnitude';

export const RandomConfig = strictObject({
  allocation: z.enum(['uniform', 'erk']).default('uniform').describe("'uniform': every layer at the target; 'erk': Erdős–Rényi-Kernel layer ratios"),
  seed: z.number().int().optional().describe('overrides the recipe seed'),
});
export type RandomConfig = z.infer<typeof RandomConfig>;

export class RandomPruning extends PruningMethod<RandomConfig> {
  private rng?: Rng;
  override initialize(ctx: PruneInit): void {
    this.rng = new Rng(this.config.seed ?? ctx.seed);
    if (this.config.allocation === 'erk') reallocateErk(ctx);
  }
  apply(job: PruneJob): PruneResult {
    const { layer, pattern, sparsity } = job.plan;
    const rng = this.rng ?? new Rng(job.seed);
    const scores = rng.fillUniform(new Float32Array(job.weights.length));
    return { mask: maskForPattern(scores, layer.rows, layer.cols, pattern, sparsity, { scope: 'layer' }) };
  }
}

export const random = defineMethod<RandomConfig>({
  name: 'random',
  kind: 'prune',
  summary: 'Random masks: the baseline every criterion must beat. No data needed.',
  patterns: ['unstructured', 'nm', 'block', 'channel'],
  config: RandomConfig,
  needs: () => NO_NEEDS,
  layoutFree: (_c, p) => p.kind === 'unstructured',
  create: (c) => new RandomPruning(c),
});
