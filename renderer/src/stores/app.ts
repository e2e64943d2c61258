// App-wide state: engine info for the status bar, theme, the connection, navigation between
// the wizard steps and the zoo views (mirrored in location.hash so a reload lands in place).
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { asApiError, call, connectionState, onConnection, transportKind, type ApiError, type AppInfo, type ConnectionState } from '../api';

export const STEPS = [
  { id: 'model', label: 'Model', hint: 'Open the model to compress' },
  { id: 'target', label: 'Target', hint: 'The hardware it will run on' },
  { id: 'method', label: 'Method', hint: 'How to compress it' },
  { id: 'data', label: 'Data', hint: 'Calibration and evaluation inputs' },
  { id: 'run', label: 'Run', hint: 'Compress, with live progress' },
  { id: 'results', label: 'Results', hint: 'Parent vs twin' },
  { id: 'export', label: 'Export', hint: 'Save and register the twin' },
] as const;
export type StepId = (typeof STEPS)[number]['id'];
export type ViewId = 'wizard' | 'zoo' | 'population';
export type ThemeChoice = 'system' | 'light' | 'dark';

const THEME_KEY = 'twinforge.theme';

function parseHash(hash: string): { view: ViewId; step: StepId; zooId?: string } {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'zoo' && parts[1] === 'population') return { view: 'population', step: 'model', zooId: parts[2] ? decodeURIComponent(parts[2]) : undefined };
  if (parts[0] === 'zoo') return { view: 'zoo', step: 'model', zooId: parts[1] ? decodeURIComponent(parts[1]) : undefined };
  const step = STEPS.find((s) => s.id === parts[1])?.id ?? 'model';
  return { view: 'wizard', step };
}

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo>();
  const infoError = ref<ApiError>();
  const connection = ref<ConnectionState>(connectionState());
  const transport = transportKind();

  const initial = parseHash(location.hash);
  const view = ref<ViewId>(initial.view);
  const step = ref<StepId>(initial.step);
  const zooId = ref<string | undefined>(initial.zooId);

  // ---- theme: an explicit choice is remembered; 'system' follows prefers-color-scheme live
  const media = matchMedia('(prefers-color-scheme: dark)');
  const systemDark = ref(media.matches);
  media.addEventListener('change', (e) => (systemDark.value = e.matches));
  const stored = localStorage.getItem(THEME_KEY);
  const themeChoice = ref<ThemeChoice>(stored === 'light' || stored === 'dark' ? stored : 'system');
  const theme = computed<'light' | 'dark'>(() => (themeChoice.value === 'system' ? (systemDark.value ? 'dark' : 'light') : themeChoice.value));
  watch(
    theme,
    (t) => {
      document.documentElement.dataset.theme = t;
      document.documentElement.style.colorScheme = t;
    },
    { immediate: true },
  );
  function toggleTheme(): void {
    themeChoice.value = theme.value === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, themeChoice.value);
  }
  function setTheme(choice: ThemeChoice): void {
    themeChoice.value = choice;
    if (choice === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  }

  // ---- navigation
  const stepIndex = computed(() => STEPS.findIndex((s) => s.id === step.value));
  /** Guards a step change may have to pass (the Run step asks before leaving a running job). */
  const leaveGuards = new Set<(from: StepId, to: StepId | 'zoo' | 'population') => boolean | Promise<boolean>>();
  async function goStep(to: StepId): Promise<void> {
    if (view.value === 'wizard' && to === step.value) return;
    for (const g of leaveGuards) if (!(await g(step.value, to))) return;
    view.value = 'wizard';
    step.value = to;
  }
  function nextStep(delta: 1 | -1): Promise<void> {
    const i = Math.min(STEPS.length - 1, Math.max(0, stepIndex.value + delta));
    return goStep(STEPS[i].id);
  }
  async function goView(v: ViewId, id?: string): Promise<void> {
    if (v !== 'wizard' && view.value === 'wizard') for (const g of leaveGuards) if (!(await g(step.value, v))) return;
    view.value = v;
    if (id !== undefined) zooId.value = id;
  }
  function hashFor(): string {
    if (view.value === 'wizard') return `#/wizard/${step.value}`;
    if (view.value === 'population') return `#/zoo/population${zooId.value ? '/' + encodeURIComponent(zooId.value) : ''}`;
    return `#/zoo${zooId.value ? '/' + encodeURIComponent(zooId.value) : ''}`;
  }
  watch([view, step, zooId], () => {
    const h = hashFor();
    if (location.hash !== h) history.replaceState(history.state, '', h);
  });
  addEventListener('hashchange', () => {
    const p = parseHash(location.hash);
    view.value = p.view;
    step.value = p.step;
    if (p.zooId !== undefined) zooId.value = p.zooId;
  });

  // ---- engine info
  async function loadInfo(): Promise<void> {
    try {
      info.value = await call('app.info');
      infoError.value = undefined;
    } catch (err) {
      infoError.value = asApiError(err);
    }
  }
  onConnection((s, reconnected) => {
    connection.value = s;
    if (reconnected) void loadInfo();
  });

  return { info, infoError, connection, transport, view, step, zooId, stepIndex, theme, themeChoice, toggleTheme, setTheme, goStep, nextStep, goView, leaveGuards, loadInfo };
});
