// The compression run: the job (started from the recipe the wizard built), its live log, its
// result, and the guards that keep a user from losing it by accident. The job runs in the
// engine: a reload, a closed tab or a dropped socket does not stop it, and the UI reattaches.
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { ApiError, asApiError, call, type CompressResult } from '../api';
import { useAppStore } from './app';
import { isFinal, useJobStore } from './job';
import { onNewModel } from './model';
import { persist } from './persist';
import { useRecipeStore } from './recipe';

export const COMPRESS_KIND = 'compress';

export const useRunStore = defineStore('run', () => {
  const app = useAppStore();
  const jobs = useJobStore();
  const recipe = useRecipeStore();
  const state = ref<{ jobId?: string; outDir?: string; zoo?: string }>({});
  persist('run', state);
  const startError = ref<ApiError>();
  const starting = ref(false);
  const result = ref<CompressResult>();
  const resultError = ref<ApiError>();
  const log = ref<string[]>([]);
  let logNext = 0;
  let logBusy = false;

  const job = computed(() => (state.value.jobId ? jobs.jobs[state.value.jobId] : undefined));
  const active = computed(() => !!job.value && !isFinal(job.value));
  const failure = computed(() => (job.value?.state === 'failed' && job.value.error ? ApiError.fromEnvelope(job.value.error, 'compress.start') : undefined));

  /** Where this run writes: a fresh folder under the data folder (Export copies it out). */
  function runDir(): string {
    const base = app.info?.dataDir ?? '';
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
    return `${base}${base.endsWith('/') || base.endsWith('\\') ? '' : '/'}runs/${stamp}`;
  }

  async function start(): Promise<void> {
    startError.value = undefined;
    result.value = undefined;
    resultError.value = undefined;
    log.value = [];
    logNext = 0;
    starting.value = true;
    try {
      if (!app.info) await app.loadInfo();
      const outDir = runDir();
      const zoo = recipe.out.register && recipe.out.zoo ? recipe.out.zoo : undefined;
      const snap = jobs.track(await call('compress.start', { recipe: recipe.buildRecipe(outDir), ...(zoo ? { zoo } : {}), title: `Compress ${recipe.describe}` }));
      state.value = { jobId: snap.id, outDir, zoo };
      void follow(snap.id);
    } catch (err) {
      startError.value = asApiError(err);
    } finally {
      starting.value = false;
    }
  }

  async function follow(id: string): Promise<void> {
    const end = await jobs.wait(id);
    await pullLog();
    if (end.state === 'done' && state.value.jobId === id) await loadResult();
  }

  async function loadResult(): Promise<void> {
    if (!state.value.jobId) return;
    try {
      result.value = await call('compress.result', { id: state.value.jobId });
      resultError.value = undefined;
    } catch (err) {
      resultError.value = asApiError(err);
    }
  }

  async function cancel(): Promise<void> {
    if (state.value.jobId) await jobs.cancel(state.value.jobId);
  }

  /** Fetches log lines the snapshot's tail may have skipped. */
  async function pullLog(): Promise<void> {
    const id = state.value.jobId;
    if (!id || logBusy) return;
    logBusy = true;
    try {
      const r = await jobs.log(id, logNext);
      if (state.value.jobId === id && r.lines.length) {
        log.value = log.value.concat(r.lines).slice(-2000);
      }
      logNext = r.next;
    } catch {
      // the tail in the snapshot still shows
    } finally {
      logBusy = false;
    }
  }
  let logTimer: ReturnType<typeof setTimeout> | undefined;
  watch(
    () => job.value?.logTail.at(-1),
    () => {
      if (logTimer) return;
      logTimer = setTimeout(() => {
        logTimer = undefined;
        void pullLog();
      }, 400);
    },
  );

  /** After a reload: find our job again (or the engine's newest running compression). */
  async function reattach(): Promise<void> {
    await jobs.start();
    let id = state.value.jobId;
    if (!id || !jobs.jobs[id]) {
      const running = jobs.latest(COMPRESS_KIND, true);
      if (running) state.value = { ...state.value, jobId: running.id };
      else if (id && !jobs.jobs[id]) state.value = {};
      id = state.value.jobId;
    }
    if (!id) return;
    await pullLog();
    const j = jobs.jobs[id];
    if (j && j.state === 'done') await loadResult();
    else if (j && !isFinal(j)) void follow(id);
  }

  function reset(): void {
    state.value = {};
    result.value = undefined;
    resultError.value = undefined;
    startError.value = undefined;
    log.value = [];
    logNext = 0;
  }
  // A new model starts a fresh run: the previous twin stays in the zoo (and its run folder).
  onNewModel(reset);

  // Closing or reloading the window while a run is going: the browser asks first. (The job keeps
  // running in the engine either way; reopening the window reattaches to it.)
  addEventListener('beforeunload', (e) => {
    if (active.value) {
      e.preventDefault();
      e.returnValue = '';
    }
  });

  // Leaving the Run step while it runs: ask whether to keep it running or cancel it.
  const leaveAsk = ref<{ resolve: (go: boolean) => void }>();
  app.leaveGuards.add((from, to) => {
    if (from !== 'run' || to === 'run' || !active.value) return true;
    return new Promise<boolean>((resolve) => (leaveAsk.value = { resolve }));
  });
  async function answerLeave(choice: 'stay' | 'keep' | 'cancel'): Promise<void> {
    const ask = leaveAsk.value;
    leaveAsk.value = undefined;
    if (choice === 'cancel') await cancel();
    ask?.resolve(choice !== 'stay');
  }

  return { state, job, active, failure, starting, startError, result, resultError, log, leaveAsk, start, cancel, reattach, loadResult, reset, answerLeave };
});
