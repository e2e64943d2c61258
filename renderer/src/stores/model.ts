// The model being compressed: where it came from, what model.inspect says about it, the layer
// the user is looking at and its weight histogram.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { asApiError, call, type ApiError, type ModelSummary, type WeightHistogram } from '../api';
import { persist } from './persist';

export interface ModelChoice {
  path: string;
  /** Set when picked from a zoo: the twin's parent is then known to the zoo. */
  zoo?: string;
  zooModelId?: number;
  /** What to call the model when its file name says nothing (a zoo file is named by its hash). */
  name?: string;
  inputShapes?: Record<string, number[]>;
  /** Values of scalar control inputs (a sample rate, a flag), set in the shape editor. */
  inputValues?: Record<string, number>;
}

/**
 * Called when a different model is opened: each domain store that holds per-model state (the
 * run, its results and export, layer overrides, data files) registers how to start afresh, so
 * nothing of the first model leaks into the second one's wizard.
 */
const freshStarts = new Set<() => void>();
export function onNewModel(reset: () => void): void {
  freshStarts.add(reset);
}

export const useModelStore = defineStore('model', () => {
  const choice = ref<ModelChoice>({ path: '' });
  persist('model', choice);
  const summary = ref<ModelSummary>();
  const loading = ref(false);
  const error = ref<ApiError>();
  const layer = ref<string>();
  const histogram = ref<WeightHistogram>();
  const histogramError = ref<ApiError>();
  const histogramLoading = ref(false);

  /** Opens (inspects) a model file; keeps the previous summary until the new one arrives. */
  async function open(next: ModelChoice): Promise<boolean> {
    loading.value = true;
    error.value = undefined;
    try {
      const s = await call('model.inspect', next.inputShapes ? { path: next.path, inputShapes: next.inputShapes } : { path: next.path });
      const another = next.path !== choice.value.path || next.zooModelId !== choice.value.zooModelId;
      summary.value = s;
      choice.value = { ...next };
      if (another) for (const reset of freshStarts) reset();
      layer.value = s.layers.slice().sort((a, b) => b.parameters - a.parameters)[0]?.name;
      histogram.value = undefined;
      if (layer.value) void loadHistogram(layer.value);
      return true;
    } catch (err) {
      error.value = asApiError(err);
      return false;
    } finally {
      loading.value = false;
    }
  }

  async function loadHistogram(name: string): Promise<void> {
    layer.value = name;
    if (!choice.value.path) return;
    histogramLoading.value = true;
    histogramError.value = undefined;
    try {
      histogram.value = await call('model.weightHistogram', { path: choice.value.path, layer: name, bins: 48 });
    } catch (err) {
      histogram.value = undefined;
      histogramError.value = asApiError(err);
    } finally {
      histogramLoading.value = false;
    }
  }

  /** After a reload: inspect the remembered file again. */
  async function restore(): Promise<void> {
    if (choice.value.path && !summary.value && !loading.value) await open(choice.value);
  }

  function clear(): void {
    choice.value = { path: '' };
    summary.value = undefined;
    histogram.value = undefined;
    error.value = undefined;
  }

  /** A Hugging Face model folder: compressed on the Model step (decoder panel), not by steps 2–7. */
  const folder = computed(() => summary.value?.format === 'hf');
  /** A model the graph wizard's later steps can work on. */
  const ready = computed(() => !!summary.value && !folder.value);
  const fileName = computed(() => choice.value.name ?? choice.value.path.split(/[\\/]/).pop() ?? '');
  /** Layers that carry a weight (what compression acts on). */
  const weightLayers = computed(() => (summary.value?.layers ?? []).filter((l) => l.parameters > 0));

  /** The model's layers, as the engine defines and counts them (summary.layerDefinition, totals.layers). */
  const prunableLayers = computed(() => weightLayers.value.filter((l) => l.layer));

  /** What a later step says while it has no model to work on (`text`: what that step does with one). */
  function missingNote(text: string): { title: string; text: string } {
    return folder.value ? FOLDER_NOTE : { title: 'Open a model first', text };
  }

  return { prunableLayers, choice, summary, loading, error, layer, histogram, histogramError, histogramLoading, ready, folder, fileName, weightLayers, open, loadHistogram, restore, clear, missingNote };
});

/** What steps 2–7 say when the open model is a Hugging Face folder. */
export const FOLDER_NOTE = {
  title: 'This model folder is compressed on the Model step',
  text: 'Steps 2–7 work on ONNX and safetensors files. A Hugging Face folder is compressed layer by layer by the decoder panel on step 1, from calibration tokens.',
};
