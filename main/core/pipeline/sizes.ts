// Size facts of parent and twin: file bytes, parameters, nonzeros (native count).
import { countNonzero } from '../native';

/** Zeros of a weight array (native count of nonzeros). */
export function countZeros(w: Float32Array): number {
  return w.length - countNonzero(w);
}
