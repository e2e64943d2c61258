// model.inspect as the contract sees it: delegates to the model I/O layer's inspectModel.
import type { ModelSummary } from '../../../preload/contract';

/** Inspects a model file (or model folder); the same object `twinforge inspect --json` prints for a file. */
export async function inspectModelCall(path: string, inputShapes?: Record<string, number[]>): Promise<ModelSummary> {
  // A Hugging Face model folder (config.json + safetensors): its tensors and decoder structure.
  const { isHfFolder } = await import('../model/hf/folder');
  if (isHfFolder(path)) return (await import('../model/hf/summary')).hfModelSummary(path);
  // Loaded on first use: the model I/O layer (and ONNX Runtime) stays out of host start-up.
  const { inspectModel } = await import('../model/inspect');
  const summary: ModelSummary = await inspectModel(path, { inputShapes });
  return summary;
}
