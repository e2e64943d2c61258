// Wizard choices survive a reload: each store keeps its small plain-JSON state in sessionStorage
// (per tab, like the job it follows). Big results are not stored; they are fetched again.
import { watch, type Ref } from 'vue';

const PREFIX = 'twinforge.wizard.';

/** Loads `key` into `target` (when stored) and saves every later change. */
export function persist<T>(key: string, target: Ref<T>): void {
  try {
    const raw = sessionStorage.getItem(PREFIX + key);
    if (raw !== null) target.value = { ...(target.value as object), ...JSON.parse(raw) } as T;
  } catch {
    // a corrupt entry is dropped: the wizard starts fresh
  }
  watch(target, (v) => sessionStorage.setItem(PREFIX + key, JSON.stringify(v)), { deep: true });
}

/** Forgets every stored wizard choice (new compression). */
export function clearPersisted(): void {
  for (const k of Object.keys(sessionStorage)) if (k.startsWith(PREFIX)) sessionStorage.removeItem(k);
}
