// What each wizard step has: 'done' (its choice is made), 'ready' (can be done now) or
// 'blocked' (an earlier step is missing). Derived from the domain stores; no state of its own.
import { computed, type ComputedRef } from 'vue';
import type { StepId } from './app';
import { useModelStore } from './model';
import { useRecipeStore } from './recipe';
import { useRunStore } from './run';
import { useTargetStore } from './target';

export type StepStatus = 'done' | 'ready' | 'blocked';

export function useWizardStatus(): ComputedRef<Record<StepId, StepStatus>> {
  const model = useModelStore();
  const target = useTargetStore();
  const recipe = useRecipeStore();
  const run = useRunStore();
  return computed(() => {
    const hasModel = model.ready; // a graph model: a model folder is done on step 1 alone
    const done = run.job?.state === 'done';
    const st = (isDone: boolean, canDo: boolean): StepStatus => (isDone ? 'done' : canDo ? 'ready' : 'blocked');
    return {
      model: st(!!model.summary, true),
      target: st(hasModel && target.ready, hasModel),
      method: st(hasModel && recipe.ready, hasModel),
      data: st(hasModel && recipe.dataReady, hasModel),
      run: st(done, hasModel && recipe.stages.length > 0),
      results: st(!!run.result, done),
      export: st(false, !!run.result),
    };
  });
}
