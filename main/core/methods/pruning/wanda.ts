// Wanda (Sun et al. 2023): score = |w_ij| · ‖x_j‖₂, compared within each output row (the
// paper's choice) or over the whole layer. Needs per-feature input norms from calibration.
import * as z from 'zod';
import { strictObject } from '../../strict';
import { defineMethod, PruningMethod, type PruneJob, type PruneResult } from '../method';
import { wandaScores } from '../kernels';
import { maskForPattern } from '../sparsity';
import { absScores } from './magnitude';

export const WandaConfig = strictObject({
  comparison: z.enum(['row', 'layer']).default('row').describe("unstructured: rank scores within each output row ('row', the paper) or over the layer"),
});
export type WandaConfig = z.infer<typeof WandaConfig>;

export class WandaPruning extends PruningMethod<WandaConfig> {
  apply(job: PruneJob): PruneResult {
    const { layer, pattern, sparsity } = job.plan;
    const norms = job.stats?.featureNorms;
    if (!norms) {
      // No activations reached this layer (e.g. a grouped conv): fall back to |w|, say so.
      return { mask: maskForPattern(absScores(job.weights), layer.rows, layer.cols, pattern, sparsity, { scope: 'layer' }), note: 'no input norms: magnitude used' };
    }
    const scores = wandaScores(job.weights, norms, layer.rows, layer.cols);
    return { mask: maskForPattern(scores, layer.rows, layer.cols, pattern, sparsity, { scope: this.config.comparison }) };
  }
}

export const wanda = defineMethod<WandaConfig>({
  name: 'wanda',
  kind: 'prune',
  summary: 'Wanda: |w|·‖x‖ with input norms from calibration data; no weight update.',
  patterns: ['unstructured', 'nm', 'block', 'channel'],
  config: WandaConfig,
  needs: () => ({ calibration: true, hessian: false, featureNorms: true, activationRanges: false }),
  create: (c) => new WandaPruning(c),
});
