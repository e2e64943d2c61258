// data.inspect: what a sample file or folder holds for a given model, before any run — the number
// of samples, the shape of one sample per model input, labels — read with the same loader the
// run uses, so a file the Data step accepts is one the run accepts (and its errors are the run's).
import type { DataInspection } from '../../../preload/contract';

export async function dataInspectCall(args: { path: string; model: string; inputShapes?: Record<string, number[]>; labels?: string }): Promise<DataInspection> {
  // Loaded on first use: ONNX Runtime stays out of host start-up.
  const { openSession, inputSpecs } = await import('../pipeline/ort');
  const { loadDataset } = await import('../data/dataset');
  const session = await openSession(args.model, 1);
  let inputs;
  try {
    inputs = inputSpecs(session);
  } finally {
    await session.release();
  }
  const ds = loadDataset(args.path, { field: 'calibration.source', inputs, inputShapes: args.inputShapes, ...(args.labels ? { labels: args.labels } : {}) });
  return {
    samples: ds.count,
    inputs: inputs.map((i) => ({ name: i.name, modelShape: i.shape, sampleDims: ds.sampleDims[i.name] ?? null })),
    labels: ds.labels ? ds.labels.length : null,
    warnings: ds.warnings,
  };
}
