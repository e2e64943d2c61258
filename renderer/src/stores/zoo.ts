// The zoo browser's data: zoos, the models of the open zoo, one model's twins and details, the
// population analytics; and imports into a zoo.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { asApiError, call, type ApiError, type ZooAnalysis, type ZooModelDetail, type ZooShowResult, type ZooSummary } from '../api';

export const useZooStore = defineStore('zoo', () => {
  const zoos = ref<ZooSummary[]>([]);
  const zoosError = ref<ApiError>();
  const loading = ref(false);
  const current = ref<ZooShowResult>();
  const currentError = ref<ApiError>();
  const detail = ref<ZooModelDetail>();
  const detailError = ref<ApiError>();
  const analysis = ref<ZooAnalysis>();
  const analysisError = ref<ApiError>();
  const analysing = ref(false);

  async function loadZoos(): Promise<void> {
    loading.value = true;
    try {
      zoos.value = await call('zoo.list');
      zoosError.value = undefined;
    } catch (err) {
      zoosError.value = asApiError(err);
    } finally {
      loading.value = false;
    }
  }

  /** A model to show once the zoo is open ("Open in the zoo" from the Export step names its twin). */
  const wanted = ref<number>();

  /** Opens a zoo; reopening the open one refreshes it and keeps the chosen model. */
  async function open(name: string): Promise<void> {
    currentError.value = undefined;
    if (current.value?.name !== name) detail.value = undefined;
    try {
      current.value = await call('zoo.show', { name });
    } catch (err) {
      current.value = undefined;
      currentError.value = asApiError(err);
    }
    if (wanted.value !== undefined && current.value) {
      const id = wanted.value;
      wanted.value = undefined;
      await openModel(id);
    }
  }

  async function openModel(ref: string | number): Promise<void> {
    detailError.value = undefined;
    try {
      detail.value = await call('zoo.model', { model: String(ref) });
    } catch (err) {
      detail.value = undefined;
      detailError.value = asApiError(err);
    }
  }

  async function analyze(name: string): Promise<void> {
    analysing.value = true;
    analysisError.value = undefined;
    try {
      analysis.value = await call('zoo.analyze', { name });
    } catch (err) {
      analysis.value = undefined;
      analysisError.value = asApiError(err);
    } finally {
      analysing.value = false;
    }
  }

  /** Imports files/folders; creates the zoo when it is new. Throws ApiError for the caller to show. */
  async function importPaths(name: string, paths: string[]): Promise<number> {
    const r = await call('zoo.import', { name, paths, create: true });
    await loadZoos();
    await open(name);
    return r.imported.length;
  }

  async function create(name: string, description?: string): Promise<void> {
    await call('zoo.create', description ? { name, description } : { name });
    await loadZoos();
  }

  const names = computed(() => zoos.value.map((z) => z.name));
  return { zoos, zoosError, loading, wanted, current, currentError, detail, detailError, analysis, analysisError, analysing, names, loadZoos, open, openModel, analyze, importPaths, create };
});
