// --target / --budget against the hardware engineer's profiles: an unknown target is an error
// naming the field (exit 2); 'this-machine' needs a measured profile from the zoo, so it is
// recorded with a warning when none is at hand.
import { TwinforgeError } from '../errors';
import { resolveTarget, type MeasuredProfileLookup } from '../hardware/profile';
import type { Recipe } from '../recipe/schema';

export async function checkTarget(recipe: Recipe, warn: (w: string) => void, measured?: MeasuredProfileLookup): Promise<string | undefined> {
  if (!recipe.target) return undefined;
  try {
    return resolveTarget(recipe.target, measured).id;
  } catch (err) {
    if (recipe.target.split(':')[0] === 'this-machine') {
      warn(`target 'this-machine' has no measured profile yet (twinforge hw detect); recorded only`);
      return undefined;
    }
    const e = err as TwinforgeError;
    throw new TwinforgeError(e.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'BAD_INPUT', `target: ${e.message}`, e.hint);
  }
}
