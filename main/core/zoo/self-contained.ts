// The zoo stores a model as one file named by its sha256. An ONNX model whose weights live in
// external data files (`model.onnx.data`) would be stored without them, and every later open
// of the stored copy would fail. Such a model is stored self-contained instead: re-saved with
// its weights inside the .onnx (one protobuf, so up to 2 GB), and that copy is what is hashed
// and stored. The user's files are only read.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { TwinforgeError, badInput } from '../errors';
import { OnnxModel } from '../model/onnx/reader';
import { externalDataFiles, saveOnnx } from '../model/onnx/writer';
import { hashFile, type ModelStore } from './store';

export interface Storable {
  /** The file to hash and store: the model itself, or its self-contained copy in the store's temp folder. */
  file: string;
  sha256: string;
  bytes: number;
  /** Removes the temporary copy (if one was made). */
  cleanup(): void;
}

/** What the zoo stores for `file` (see the header), with its sha256. */
export function storableModel(file: string, store: ModelStore): Storable {
  const asIs = (): Storable => {
    const { sha, bytes } = hashFile(file);
    return { file, sha256: sha, bytes, cleanup: () => {} };
  };
  if (path.extname(file).toLowerCase() !== '.onnx') return asIs();
  const model = OnnxModel.open(file);
  let tmp = '';
  let external: string[] = [];
  try {
    external = externalDataFiles(model);
    if (!external.length) return asIs();
    tmp = store.tempPath('.onnx');
    const saved = saveOnnx(model, tmp, { externalData: 'never', durable: false });
    if (saved.dataPath) throw new TwinforgeError('INTERNAL', `${file}: the self-contained copy still has external data.`);
  } catch (err) {
    if (tmp) rmSync(tmp, { force: true });
    if (err instanceof TwinforgeError && err.code === 'UNSUPPORTED') {
      throw badInput(`${file} keeps its weights in ${external.map((f) => path.basename(f)).join(', ')} and is over 2 GB: the zoo stores a model as one file, which ONNX limits to 2 GB.`, 'Compress it outside a zoo (leave out --zoo); zoos of models this large are not supported yet.');
    }
    throw err;
  } finally {
    model.close();
  }
  const { sha, bytes } = hashFile(tmp);
  return { file: tmp, sha256: sha, bytes, cleanup: () => rmSync(tmp, { force: true }) };
}
