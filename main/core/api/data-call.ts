// data.inspect: what a sample file or folder holds for a given model, before any run — the number
// of samples, the shape of one sample per model input, labels — read with the same loader the
// run uses, so a file the Data step accepts is one the run accepts (and its errors are the run's).
// In the per-input form ({input: file}) each file is also checked on its own against its input,
// so the Data step can say next to each picker what that file holds or what is wrong with it.
import type { DataInspection } from '../../../preload/contract';
import type { TwinforgeError } from '../errors';

export async function dataInspectCall(args: { path: string | Record<string, string>; model: string; inputShapes?: Record<string, number[]>; labels?: string }): Promise<DataInspection> {
  // Loaded on first use: ONNX Runtime stays out of host start-up.
  const { openSession, inputSpecs } = await import('../pipeline/ort');
  const { checkInputFile, fillOf, loadDataset } = await import('../data/dataset');
  const session = await openSession(args.model, 1);
  let inputs;
  try {
    inputs = inputSpecs(session);
  } finally {
    await session.release();
  }
  const opts = { field: 'calibration.source', inputs, inputShapes: args.inputShapes, ...(args.labels ? { labels: args.labels } : {}) };
  const rows: DataInspection['inputs'] = inputs.map((i) => ({ name: i.name, modelShape: i.shape, dtype: i.type.replace(/^tensor\(|\)$/g, '').replace(/^float$/, 'float32'), sampleDims: null, ...fillOf(i.name, opts) }));
  const src = args.path;
  if (typeof src !== 'string') {
    let problems = 0;
    for (const row of rows) {
      const file = src[row.name];
      if (!file) continue;
      try {
        const got = checkInputFile(row.name, file, opts);
        row.file = { path: file, dtype: got.dtype, shape: got.shape, samples: got.samples };
      } catch (err) {
        // by name, not instanceof: the data module is imported lazily, and a second copy of the
        // errors module (a loader's ESM/CJS split) must not turn a refusal into a crash
        const e = err as Partial<TwinforgeError> | undefined;
        if (e?.name !== 'TwinforgeError' || e.code === 'INTERNAL') throw err;
        problems++;
        row.file = { path: file, problem: String(e.message).replace(/^calibration\.source: /, ''), ...(e.hint ? { hint: e.hint } : {}) };
      }
    }
    // an input that needs data and has no file yet is not an error here: the Data step asks for it
    const missing = rows.filter((r) => !r.fill && !src[r.name]).length;
    // a key that is no input of the model is the loader's error to tell
    const stray = Object.keys(src).some((k) => !rows.some((r) => r.name === k));
    if ((problems || missing) && !stray) return { samples: 0, complete: false, inputs: rows, labels: null, warnings: [] };
  }
  const ds = loadDataset(src, opts);
  for (const row of rows) row.sampleDims = ds.sampleDims[row.name] ?? null;
  return { samples: ds.count, complete: true, inputs: rows, labels: ds.labels ? ds.labels.length : null, warnings: ds.warnings };
}
