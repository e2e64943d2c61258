// What to do to the model, as the wizard's choices (preset / advanced / budget, data, export),
// and the recipe those choices make — the same data `twinforge run` reads. The engine checks
// it (recipe.validate), estimates it on the target (hw.estimate) and plans budgets (plan.make).
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { asApiError, call, type ApiError, type Estimate, type MethodInfo, type PlanResult, type RecipeCheck } from '../api';
import { onNewModel, useModelStore } from './model';
import { persist } from './persist';
import { useTargetStore } from './target';

export type PresetId = 'fastest' | 'smallest' | 'fidelity';
export type MethodMode = 'preset' | 'advanced' | 'budget';

export interface PruneSettings {
  enabled: boolean;
  method: string;
  pattern: string;
  sparsity: number;
  include: string;
  exclude: string;
}

export interface QuantSettings {
  enabled: boolean;
  method: string;
  /** int8: activation calibration; int4: group size. */
  activations: 'minmax' | 'percentile' | 'mse';
  group: number;
}

export interface LayerOverride {
  skip?: boolean;
  sparsity?: number;
  pattern?: string;
  keepFloat?: boolean;
}

export interface MethodSettings {
  mode: MethodMode;
  preset: PresetId;
  prune: PruneSettings;
  quantize: QuantSettings;
  overrides: Record<string, LayerOverride>;
  budget: { kind: 'latencyMs' | 'sizeMb' | 'sparsity'; value: number };
  /** Index of the Pareto point the user picked in budget mode. */
  planPick?: number;
}

export interface DataSettings {
  kind: 'synthetic' | 'files';
  /** My samples as one path (a folder or an .npz holding every input), or one .npy per model input. */
  layout?: 'single' | 'perInput';
  /** The .npy chosen for each model input (layout perInput). */
  inputFiles?: Record<string, string>;
  calibration: string;
  evaluation: string;
  labels: string;
  samples: number;
  evalSamples: number;
  seed: number;
}

export interface ExportSettings {
  dir: string;
  name: string;
  formats: ('model' | 'packed')[];
  packed: 'auto' | '2:4' | 'bitmap' | 'csr' | 'bsr';
  zoo: string;
  register: boolean;
}

export const PRESETS: { id: PresetId; label: string; text: string }[] = [
  { id: 'fastest', label: 'Fastest on this target', text: 'The pattern and precision the target actually accelerates (from the explainer), e.g. 2:4 + int8 on sparse tensor cores.' },
  { id: 'smallest', label: 'Smallest file', text: '70% unstructured magnitude pruning, int4 group-wise weights, packed sparse export.' },
  { id: 'fidelity', label: 'Highest fidelity', text: 'int8 weights with percentile-calibrated activations; no pruning. Closest to the original.' },
];

const PRESET_SETTINGS: Record<Exclude<PresetId, 'fastest'>, Pick<MethodSettings, 'prune' | 'quantize'>> = {
  smallest: {
    prune: { enabled: true, method: 'magnitude', pattern: 'unstructured', sparsity: 0.7, include: '', exclude: '' },
    quantize: { enabled: true, method: 'int4', activations: 'minmax', group: 128 },
  },
  fidelity: {
    prune: { enabled: false, method: 'magnitude', pattern: 'unstructured', sparsity: 0.3, include: '', exclude: '' },
    quantize: { enabled: true, method: 'int8', activations: 'percentile', group: 128 },
  },
};

const globs = (text: string): string[] => text.split(/[,\n]/).map((g) => g.trim()).filter(Boolean);

/** Sparsity a pattern implies (N:M fixes it), else the slider's value. */
export function impliedSparsity(pattern: string, level: number): number {
  const nm = /^(\d+):(\d+)$/.exec(pattern);
  return nm ? 1 - Number(nm[1]) / Number(nm[2]) : level;
}

export const useRecipeStore = defineStore('recipe', () => {
  const model = useModelStore();
  const target = useTargetStore();

  const method = ref<MethodSettings>({
    mode: 'preset',
    preset: 'fastest',
    prune: { enabled: true, method: 'magnitude', pattern: '2:4', sparsity: 0.5, include: '', exclude: '' },
    quantize: { enabled: true, method: 'int8', activations: 'minmax', group: 128 },
    overrides: {},
    budget: { kind: 'latencyMs', value: 1 },
  });
  const data = ref<DataSettings>({ kind: 'synthetic', calibration: '', evaluation: '', labels: '', samples: 32, evalSamples: 64, seed: 1 });
  const out = ref<ExportSettings>({ dir: '', name: 'twin', formats: ['model'], packed: 'auto', zoo: 'my-twins', register: true });
  const touched = ref<{ method: boolean; data: boolean }>({ method: false, data: false });
  persist('method', method);
  persist('data', data);
  persist('export', out);
  persist('touched', touched);
  // Layer overrides, layer globs, a budget plan and data files belong to the model they were made for.
  onNewModel(() => {
    method.value = { ...method.value, overrides: {}, planPick: undefined, prune: { ...method.value.prune, include: '', exclude: '' } };
    data.value = { ...data.value, calibration: '', evaluation: '', labels: '', inputFiles: {}, layout: undefined };
    if (data.value.kind === 'files') data.value.kind = 'synthetic';
    touched.value = { method: touched.value.method, data: false };
    plan.value = undefined;
    estimate.value = undefined;
    check.value = undefined;
  });

  // ---- methods from the engine's registry
  const methods = ref<MethodInfo[]>([]);
  const methodsError = ref<ApiError>();
  async function loadMethods(): Promise<void> {
    try {
      methods.value = await call('methods.list', {});
      methodsError.value = undefined;
    } catch (err) {
      methodsError.value = asApiError(err);
    }
  }
  const pruneMethods = computed(() => methods.value.filter((m) => m.kind === 'prune'));
  const quantMethods = computed(() => methods.value.filter((m) => m.kind === 'quantize'));

  // ---- presets
  /** What "fastest" means on the chosen target: the option the explainer rates fastest most often. */
  const fastestChoice = computed<{ pattern: string; precision: string; why: string }>(() => {
    const ex = target.explanation;
    if (!ex || !ex.layers.length) return { pattern: '2:4', precision: 'int8', why: 'No explainer verdicts yet: 2:4 + int8, the pattern most sparse runtimes accelerate.' };
    const score = new Map<string, { n: number; sum: number; pattern: string; precision: string }>();
    for (const l of ex.layers) {
      for (const o of l.options) {
        const k = `${o.pattern}|${o.precision}`;
        const e = score.get(k) ?? { n: 0, sum: 0, pattern: o.pattern, precision: o.precision };
        e.n++;
        e.sum += Math.log(Math.max(1e-3, o.estimatedSpeedup));
        score.set(k, e);
      }
    }
    const best = [...score.values()].sort((a, b) => b.sum / b.n - a.sum / a.n)[0];
    const speed = Math.exp(best.sum / best.n);
    return { pattern: best.pattern, precision: best.precision, why: `The explainer estimates ${best.pattern} + ${best.precision} at ${speed.toFixed(2)}× on ${ex.target} (geometric mean over layers).` };
  });

  function applyPreset(id: PresetId): void {
    method.value.preset = id;
    method.value.mode = 'preset';
    touched.value.method = true;
    if (id === 'fastest') {
      const f = fastestChoice.value;
      const prune = f.pattern !== 'dense' && f.pattern !== 'none';
      method.value.prune = { enabled: prune, method: 'magnitude', pattern: prune ? normalisePattern(f.pattern) : 'unstructured', sparsity: 0.5, include: '', exclude: '' };
      const q = f.precision === 'int8' || f.precision === 'int4';
      method.value.quantize = { enabled: q, method: q ? f.precision : 'int8', activations: 'minmax', group: 128 };
    } else {
      method.value.prune = { ...PRESET_SETTINGS[id].prune };
      method.value.quantize = { ...PRESET_SETTINGS[id].quantize };
    }
    if (id === 'smallest') out.value.formats = ['model', 'packed'];
  }

  function normalisePattern(p: string): string {
    if (/^\d+:\d+$/.test(p)) return p;
    if (/^block/.test(p)) return p.includes(':') ? p : `block:${p.replace(/^block/, '') || '4x4'}`;
    if (/channel/.test(p)) return 'channel';
    return 'unstructured';
  }

  // ---- the planner's result (budget mode), kept across reloads with the pick that points into it
  const planBox = ref<{ result?: PlanResult }>({});
  persist('plan', planBox);
  const plan = computed<PlanResult | undefined>({ get: () => planBox.value.result, set: (v) => (planBox.value = { result: v }) });
  const planError = ref<ApiError>();
  const planning = ref(false);

  // ---- the recipe
  const stages = computed<Record<string, unknown>[]>(() => {
    const m = method.value;
    // Budget mode with a picked plan: its stages exactly as the planner wrote them.
    const picked = m.mode === 'budget' && m.planPick !== undefined ? plan.value?.pareto[m.planPick]?.stages : undefined;
    if (picked) return picked as Record<string, unknown>[];
    const list: Record<string, unknown>[] = [];
    const ov = Object.entries(m.overrides);
    if (m.prune.enabled) {
      const st: Record<string, unknown> = { type: 'prune', method: m.prune.method };
      if (m.prune.pattern && m.prune.pattern !== 'unstructured') st.pattern = m.prune.pattern;
      if (!/^\d+:\d+$/.test(m.prune.pattern)) st.sparsity = round(m.prune.sparsity);
      if (globs(m.prune.include).length) st.include = globs(m.prune.include);
      if (globs(m.prune.exclude).length) st.exclude = globs(m.prune.exclude);
      const po = ov.filter(([, o]) => o.skip || o.sparsity !== undefined || o.pattern).map(([layer, o]) => {
        const x: Record<string, unknown> = { layers: layer };
        if (o.skip) x.skip = true;
        else {
          if (o.sparsity !== undefined) x.sparsity = round(o.sparsity);
          if (o.pattern) x.pattern = o.pattern;
        }
        return x;
      });
      if (po.length) st.overrides = po;
      list.push(st);
    }
    if (m.quantize.enabled) {
      const st: Record<string, unknown> = { type: 'quantize', method: m.quantize.method };
      if (m.quantize.method === 'int8' && m.quantize.activations !== 'minmax') st.args = { activations: m.quantize.activations };
      if (m.quantize.method === 'int4' && m.quantize.group !== 128) st.args = { group: m.quantize.group };
      const qo = ov.filter(([, o]) => o.keepFloat).map(([layer]) => ({ layers: layer, skip: true }));
      if (qo.length) st.overrides = qo;
      list.push(st);
    }
    return list;
  });

  /** The calibration samples as the recipe names them: a path, or {input: .npy} per input; '' when none is chosen. */
  const calibrationSource = computed<string | Record<string, string>>(() => {
    const d = data.value;
    if (d.layout !== 'perInput') return d.calibration.trim();
    const files = Object.entries(d.inputFiles ?? {})
      .map(([k, v]) => [k, v.trim()] as const)
      .filter(([, v]) => v);
    return files.length ? Object.fromEntries(files) : '';
  });
  /** What the Run step and the recipe summary say about the samples. */
  const samplesText = computed(() => {
    const c = calibrationSource.value;
    return typeof c === 'string' ? c : Object.entries(c).map(([k, v]) => `${k}: ${v.split(/[\\/]/).pop()}`).join(', ');
  });

  function dataSpec(which: 'calibration' | 'evaluation'): Record<string, unknown> {
    const d = data.value;
    const samples = which === 'calibration' ? d.samples : d.evalSamples;
    if (d.kind === 'synthetic') return { source: 'synthetic', samples, seed: d.seed };
    const cal = calibrationSource.value;
    const src = which === 'calibration' ? cal : d.evaluation.trim() || cal;
    const spec: Record<string, unknown> = { source: src, samples };
    if (which === 'evaluation' && d.labels) spec.labels = d.labels;
    return spec;
  }

  /** The recipe the wizard's choices make (exportDir: where the run writes its files). */
  function buildRecipe(exportDir?: string): Record<string, unknown> {
    const r: Record<string, unknown> = { version: 1, name: `${model.fileName || 'model'} — ${describe.value}`, model: model.choice.path };
    if (model.choice.inputShapes) r.inputShapes = model.choice.inputShapes;
    if (model.choice.inputValues && Object.keys(model.choice.inputValues).length) r.inputValues = model.choice.inputValues;
    if (target.state.selected) r.target = target.state.selected;
    if (method.value.mode === 'budget') {
      const b = method.value.budget;
      if (b.kind !== 'sparsity') r.budget = { [b.kind]: b.value };
    }
    r.seed = data.value.seed;
    r.calibration = dataSpec('calibration');
    r.evaluation = dataSpec('evaluation');
    r.stages = stages.value;
    const dir = exportDir ?? out.value.dir;
    if (dir) {
      const e: Record<string, unknown> = { dir, name: out.value.name || 'twin', formats: out.value.formats };
      if (out.value.formats.includes('packed') && out.value.packed !== 'auto') e.packed = out.value.packed;
      r.export = e;
    }
    return r;
  }

  const describe = computed(() => {
    const parts: string[] = [];
    const m = method.value;
    const picked = m.mode === 'budget' && m.planPick !== undefined ? plan.value?.pareto[m.planPick] : undefined;
    if (picked) return `planned: ${picked.changes?.length ?? 0} layer changes`;
    if (m.prune.enabled) parts.push(`${m.prune.method} ${/^\d+:\d+$/.test(m.prune.pattern) ? m.prune.pattern : `${Math.round(m.prune.sparsity * 100)}%${m.prune.pattern !== 'unstructured' ? ' ' + m.prune.pattern : ''}`}`);
    if (m.quantize.enabled) parts.push(m.quantize.method);
    return parts.join(' + ') || 'no stages';
  });

  // ---- engine checks, debounced while the user drags sliders
  const check = ref<RecipeCheck>();
  const checkError = ref<ApiError>();
  const estimate = ref<Estimate>();
  const estimateError = ref<ApiError>();
  const estimating = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;
  function scheduleChecks(): void {
    clearTimeout(timer);
    timer = setTimeout(runChecks, 250);
  }
  async function runChecks(): Promise<void> {
    if (!model.choice.path || model.folder) return;
    const mySeq = ++seq;
    const recipe = buildRecipe(out.value.dir || undefined);
    try {
      const c = await call('recipe.validate', { recipe });
      if (mySeq === seq) {
        check.value = c;
        checkError.value = undefined;
      }
    } catch (err) {
      if (mySeq === seq) checkError.value = asApiError(err);
    }
    if (!target.state.selected) return;
    estimating.value = true;
    try {
      const shapes = model.choice.inputShapes;
      const e = await call('hw.estimate', { model: model.choice.path, target: target.state.selected, stages: stages.value, ...(shapes ? { inputShapes: shapes } : {}) });
      if (mySeq === seq) {
        estimate.value = e;
        estimateError.value = undefined;
      }
    } catch (err) {
      if (mySeq === seq) {
        estimate.value = undefined;
        estimateError.value = asApiError(err);
      }
    } finally {
      if (mySeq === seq) estimating.value = false;
    }
  }
  watch([stages, () => target.state.selected, () => model.choice.path, data, out], scheduleChecks, { deep: true });

  // ---- the local size estimate: exact arithmetic over the layer table, no engine needed
  const sizeEstimate = computed(() => {
    const s = model.summary;
    if (!s) return undefined;
    const m = method.value;
    const bits = m.quantize.enabled ? (m.quantize.method === 'int4' ? 4 : 8) : 32;
    let weightBytes = 0;
    let twinFile = 0;
    let packed = 0;
    let nonzeros = 0;
    let params = 0;
    for (const l of s.layers) {
      if (!l.parameters) continue;
      const o = m.overrides[l.name] ?? {};
      const lb = o.keepFloat ? 32 : bits;
      const sp = !m.prune.enabled || o.skip ? 0 : impliedSparsity(o.pattern ?? m.prune.pattern, o.sparsity ?? m.prune.sparsity);
      params += l.parameters;
      weightBytes += l.bytes ?? l.parameters * 4;
      const kept = Math.round(l.parameters * (1 - sp));
      nonzeros += kept;
      twinFile += (l.parameters * lb) / 8;
      const meta = sp === 0 ? 0 : /^\d+:\d+$/.test(m.prune.pattern) ? kept * 0.25 : l.parameters / 8;
      packed += (kept * lb) / 8 + meta;
    }
    const fileBytes = s.fileBytes ?? s.totals.bytes;
    const other = Math.max(0, fileBytes - weightBytes);
    return { parentBytes: fileBytes, twinBytes: other + twinFile, packedBytes: other + packed, nonzeros, params, sparsity: params ? 1 - nonzeros / params : 0 };
  });

  // ---- budget mode: the planner
  async function makePlan(): Promise<void> {
    if (!model.choice.path || !target.state.selected) return;
    planning.value = true;
    planError.value = undefined;
    try {
      const b = method.value.budget;
      const shapes = model.choice.inputShapes;
      plan.value = await call('plan.make', { model: model.choice.path, target: target.state.selected, budget: { [b.kind]: b.value }, ...(shapes ? { inputShapes: shapes } : {}) });
      touched.value.method = true;
      method.value.planPick = defaultPick(plan.value, b);
    } catch (err) {
      planError.value = asApiError(err);
    } finally {
      planning.value = false;
    }
  }
  /** The point to start from: the least loss among those meeting the budget and changing something; else the planner's own estimate's nearest. */
  function defaultPick(p: PlanResult, b: MethodSettings['budget']): number | undefined {
    const pts = p.pareto.map((x, i) => ({ x, i })).filter(({ x }) => (x.stages?.length ?? 0) > 0);
    const meets = pts.filter(({ x }) => (b.kind === 'latencyMs' ? x.latencyMs <= b.value : b.kind === 'sizeMb' ? x.sizeBytes <= b.value * 1e6 : (x.sparsity ?? 0) >= b.value));
    if (meets.length) return meets.sort((a, c) => a.x.fidelityLoss - c.x.fidelityLoss)[0].i;
    const e = p.estimated;
    const dist = (x: (typeof pts)[number]['x']) => Math.abs(x.latencyMs - e.latencyMs) / Math.max(e.latencyMs, 1e-9) + Math.abs(x.sizeBytes - e.sizeBytes) / Math.max(e.sizeBytes, 1);
    return pts.sort((a, c) => dist(a.x) - dist(c.x))[0]?.i;
  }

  /** Uses a Pareto point's stages as the advanced settings (first prune and quantize stage). */
  function pickPlan(i: number): void {
    method.value.planPick = i;
    touched.value.method = true;
  }
  /** Copies a plan point into the advanced settings (to edit it further by hand). */
  function editPlan(i: number): void {
    const p = plan.value?.pareto[i];
    if (!p?.stages) return;
    method.value.mode = 'advanced';
    method.value.planPick = undefined;
    for (const st of p.stages as Record<string, unknown>[]) {
      if (st.type === 'prune') {
        method.value.prune = { ...method.value.prune, enabled: true, method: String(st.method ?? 'magnitude'), pattern: String(st.pattern ?? 'unstructured'), sparsity: Number(st.sparsity ?? impliedSparsity(String(st.pattern ?? ''), 0.5)) };
        const overrides = (st.overrides as { layers: string | string[]; sparsity?: number; pattern?: string; skip?: boolean }[] | undefined) ?? [];
        const next: Record<string, LayerOverride> = {};
        for (const o of overrides) for (const l of [o.layers].flat()) next[l] = { skip: o.skip, sparsity: o.sparsity, pattern: o.pattern };
        method.value.overrides = next;
      } else if (st.type === 'quantize') {
        method.value.quantize = { ...method.value.quantize, enabled: true, method: String(st.method ?? 'int8') };
      }
    }
  }

  const ready = computed(() => touched.value.method && stages.value.length > 0);
  const dataReady = computed(() => touched.value.data && (data.value.kind === 'synthetic' || !!calibrationSource.value));

  return {
    method, data, out, touched, methods, methodsError, pruneMethods, quantMethods, fastestChoice, stages, describe,
    check, checkError, estimate, estimateError, estimating, sizeEstimate, plan, planError, planning, ready, dataReady, calibrationSource, samplesText,
    loadMethods, applyPreset, buildRecipe, runChecks, makePlan, pickPlan, editPlan,
  };
});

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
