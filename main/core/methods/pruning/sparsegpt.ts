// SparseGPT (Frantar & Alistarh 2023): one-shot OBS reconstruction with the layer Hessian XᵀX.
// Masks are chosen block by block and the surviving weights updated to absorb the error, so the
// twin's layer output stays close to the parent's. Unstructured and N:M (the native solver);
// block and channel patterns are not OBS-solvable here and are refused by the registry.
import * as z from 'zod';
import { strictObject } from '../../strict';
import { defineMethod, PruningMethod, type PruneJob, type PruneResult } from '../method';
import { sparsegpt as solve } from '../kernels';
import { maskForPattern } from '../sparsity';
import { absScores } from './magnitude';

export const SparseGptConfig = strictObject({
  blockSize: z.number().int().min(8).max(1024).default(128).describe('columns per lazy batch update'),
  dampening: z.number().min(0).max(1).default(0.01).describe('λ = dampening · mean(diag H) added to H'),
});
export type SparseGptConfig = z.infer<typeof SparseGptConfig>;

export class SparseGptPruning extends PruningMethod<SparseGptConfig> {
  async apply(job: PruneJob): Promise<PruneResult> {
    const { layer, pattern, sparsity } = job.plan;
    const h = job.stats?.hessian;
    if (!h) {
      return { mask: maskForPattern(absScores(job.weights), layer.rows, layer.cols, pattern, sparsity, { scope: 'layer' }), note: 'no Hessian: magnitude used' };
    }
    const r = await solve(job.weights, h, layer.rows, layer.cols, pattern, sparsity, { blockSize: this.config.blockSize, dampening: this.config.dampening }, job.signal);
    return { mask: r.mask, weights: r.weights, note: `OBS loss ${r.loss.toExponential(3)}${r.dead ? `, ${r.dead} dead inputs` : ''}` };
  }
}

export const sparsegpt = defineMethod<SparseGptConfig>({
  name: 'sparsegpt',
  kind: 'prune',
  summary: 'SparseGPT: one-shot OBS pruning with weight reconstruction from the layer Hessian.',
  patterns: ['unstructured', 'nm'],
  config: SparseGptConfig,
  needs: () => ({ calibration: true, hessian: true, featureNorms: false, activationRanges: false }),
  create: (c) => new SparseGptPruning(c),
});
