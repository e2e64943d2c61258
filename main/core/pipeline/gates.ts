// Fidelity gates of a recipe: each compares one measured number with its limit. A gate whose
// metric could not be measured (no classes, no labels) fails: a CI must not pass by omission.
import type { Gates } from '../recipe/schema';
import type { Fidelity } from './metrics';
import type { GateResult, Sizes } from './report';

export function checkGates(gates: Gates | undefined, f: Fidelity, sizes: Sizes): GateResult[] {
  if (!gates) return [];
  const out: GateResult[] = [];
  const min = (gate: string, metric: string, limit: number | undefined, value: number | undefined) => {
    if (limit === undefined) return;
    out.push({ gate, metric, limit, value: value ?? null, passed: value !== undefined && value >= limit });
  };
  const max = (gate: string, metric: string, limit: number | undefined, value: number | undefined) => {
    if (limit === undefined) return;
    out.push({ gate, metric, limit, value: value ?? null, passed: value !== undefined && value <= limit });
  };
  min('minTop1Agreement', 'top1Agreement', gates.minTop1Agreement, f.top1Agreement);
  min('minCosine', 'cosine', gates.minCosine, f.cosine);
  min('minSqnrDb', 'sqnrDb', gates.minSqnrDb, f.sqnrDb);
  max('maxAbsError', 'maxAbsError', gates.maxAbsError, Number.isFinite(f.maxAbsError) ? f.maxAbsError : undefined);
  max('maxAccuracyDrop', 'accuracy drop', gates.maxAccuracyDrop, f.accuracy ? f.accuracy.parent - f.accuracy.twin : undefined);
  min('minSparsity', 'sparsity', gates.minSparsity, sizes.sparsity);
  return out;
}
