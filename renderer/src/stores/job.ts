// Jobs as the engine reports them: one map of snapshots kept fresh by 'jobs.progress' events,
// resynchronised through jobs.list on start and after the event stream reconnects (so a reload
// or a dropped socket never loses a running job — the engine keeps running it).
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { asApiError, call, on, onConnection, type ApiError, type JobSnapshot } from '../api';

const FINAL = new Set(['done', 'failed', 'cancelled']);

export function isFinal(j: Pick<JobSnapshot, 'state'> | undefined): boolean {
  return !!j && FINAL.has(j.state);
}

export const useJobStore = defineStore('job', () => {
  const jobs = ref<Record<string, JobSnapshot>>({});
  const error = ref<ApiError>();
  const waiters = new Map<string, ((s: JobSnapshot) => void)[]>();
  let started = false;

  function put(s: JobSnapshot): void {
    const prev = jobs.value[s.id];
    // Snapshots can arrive out of order across the HTTP reply and the socket: never go back
    // from a final state to a running one.
    if (prev && isFinal(prev) && !isFinal(s)) return;
    jobs.value[s.id] = s;
    if (isFinal(s)) {
      for (const w of waiters.get(s.id) ?? []) w(s);
      waiters.delete(s.id);
    }
  }

  async function refresh(): Promise<void> {
    try {
      for (const s of await call('jobs.list')) put(s);
      error.value = undefined;
    } catch (err) {
      error.value = asApiError(err);
    }
  }

  /** Subscribes to progress events once; safe to call many times. */
  function start(): Promise<void> {
    if (!started) {
      started = true;
      on('jobs.progress', put);
      onConnection((s) => {
        if (s === 'connected') void refresh();
      });
    }
    return refresh();
  }

  /** Registers a job the UI just submitted (its first snapshot comes back from the call). */
  function track(s: JobSnapshot): JobSnapshot {
    put(s);
    return jobs.value[s.id];
  }

  async function cancel(id: string): Promise<void> {
    put(await call('jobs.cancel', { id }));
  }

  /** Resolves with the job's final snapshot. */
  function wait(id: string): Promise<JobSnapshot> {
    const j = jobs.value[id];
    if (j && isFinal(j)) return Promise.resolve(j);
    return new Promise((resolve) => {
      const list = waiters.get(id) ?? [];
      list.push(resolve);
      waiters.set(id, list);
    });
  }

  /** The whole log from line `since` (the snapshot carries only its tail). */
  function log(id: string, since = 0): Promise<{ lines: string[]; next: number }> {
    return call('jobs.log', { id, since });
  }

  const list = computed(() => Object.values(jobs.value).sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
  const active = computed(() => list.value.filter((j) => !isFinal(j)));
  /** The newest job of a kind (running first), e.g. to reattach the Run step after a reload. */
  function latest(kind: string, activeOnly = false): JobSnapshot | undefined {
    return (activeOnly ? active.value : list.value).find((j) => j.kind === kind);
  }

  return { jobs, list, active, error, start, refresh, track, cancel, wait, log, latest };
});
