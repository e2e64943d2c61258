// The hardware target: the profiles the engine knows, "this machine" detection as a job, and the
// explainer's per-layer verdicts for the open model on the chosen target.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, asApiError, call, type Explanation, type TargetInfo } from '../api';
import { useJobStore } from './job';
import { useModelStore } from './model';
import { persist } from './persist';

export const THIS_MACHINE = 'this-machine';

export const useTargetStore = defineStore('target', () => {
  const jobs = useJobStore();
  const model = useModelStore();
  const targets = ref<TargetInfo[]>([]);
  const targetsError = ref<ApiError>();
  const loadingTargets = ref(false);
  const state = ref<{ selected: string; detectJob?: string }>({ selected: '' });
  persist('target', state);
  const explanation = ref<Explanation>();
  const explainError = ref<ApiError>();
  const explaining = ref(false);
  const detectError = ref<ApiError>();

  async function loadTargets(): Promise<void> {
    loadingTargets.value = true;
    try {
      targets.value = await call('hw.targets');
      targetsError.value = undefined;
    } catch (err) {
      targetsError.value = asApiError(err);
    } finally {
      loadingTargets.value = false;
    }
  }

  async function select(id: string): Promise<void> {
    state.value.selected = id;
    explanation.value = undefined;
    await explain();
  }

  async function explain(): Promise<void> {
    const id = state.value.selected;
    if (!id || !model.choice.path || model.folder) return;
    explaining.value = true;
    explainError.value = undefined;
    try {
      const shapes = model.choice.inputShapes;
      explanation.value = await call('hw.explain', shapes ? { model: model.choice.path, target: id, inputShapes: shapes } : { model: model.choice.path, target: id });
    } catch (err) {
      explainError.value = asApiError(err);
    } finally {
      explaining.value = false;
    }
  }

  /** Measures this machine (a job); selects it when done. */
  async function detect(quick = false): Promise<void> {
    detectError.value = undefined;
    try {
      const snap = jobs.track(await call('hw.detect', { mode: quick ? 'quick' : 'full' }));
      state.value.detectJob = snap.id;
      const end = await jobs.wait(snap.id);
      if (end.state === 'done') {
        await loadTargets();
        const mine = targets.value.filter((t) => t.profile === THIS_MACHINE);
        const pick = mine.find((t) => t.default) ?? mine[0];
        if (pick) await select(pick.id);
      } else if (end.error) detectError.value = ApiError.fromEnvelope(end.error, 'hw.detect');
    } catch (err) {
      detectError.value = asApiError(err);
    }
  }

  const detectJob = computed(() => (state.value.detectJob ? jobs.jobs[state.value.detectJob] : undefined));
  const current = computed(() => targets.value.find((t) => t.id === state.value.selected));
  const ready = computed(() => !!state.value.selected);

  return { targets, targetsError, loadingTargets, state, explanation, explainError, explaining, detectError, detectJob, current, ready, loadTargets, select, explain, detect };
});
