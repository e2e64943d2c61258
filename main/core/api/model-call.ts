// model.inspect as the contract sees it: delegates to the model I/O layer's inspectModel.
import type { ModelSummary } from '../../../preload/contract';

/** Inspects a model file; the same object `twinforge inspect --json` prints. */
export async function inspectModelCall(path: string, inputShapes?: Record<string, number[]>): Promise<ModelSummary> {
  // Loaded on first use: the model I/O layer (and ONNX Runtime) stays out of host start-up.
  const { inspectModel } = await import('../model/inspect');
  const summary: ModelSummary = await inspectModel(path, { inputShapes });
  return summary;
}
