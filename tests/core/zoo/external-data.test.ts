// A model whose weights live in an external data file is stored self-contained: the zoo's copy
// opens (and runs) on its own, the user's files are only read, and a compress --zoo run with such
// a parent registers its twin (which has external data too) under the parent it stored.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { importModels } from '../../../main/core/zoo/importer';
import { createZoo } from '../../../main/core/zoo/repo/zoos';
import { ModelStore, hashFile } from '../../../main/core/zoo/store';
import { externalDataFiles } from '../../../main/core/model/onnx/writer';
import { OnnxModel } from '../../../main/core/model/onnx/reader';
import { generateMlp } from '../../../main/core/bench/compress';
import { main } from '../../../main/cli/main';
import { tempDir } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});
function externalDataOf(file: string): string[] {
  const m = OnnxModel.open(file);
  try {
    return externalDataFiles(m);
  } finally {
    m.close();
  }
}
function dir(): string {
  const t = tempDir('tf-ext-');
  dirs.push(t.cleanup);
  return t.dir;
}

describe('models with external data in the zoo', () => {
  it('imports a self-contained copy that opens and runs on its own', async () => {
    const src = dir();
    const file = path.join(src, 'mlp.onnx');
    generateMlp(file, 2, 128);
    expect(externalDataOf(file)).toEqual([`${file}.data`]);
    const before = [readFileSync(file), readFileSync(`${file}.data`)];
    const db = openZoo(dir());
    createZoo(db, { name: 'z' });
    const [m] = await importModels(db, 'z', [file]);
    expect(m.parameters).toBe(2 * (128 * 128 + 128));
    const store = new ModelStore(db.dataDir);
    const stored = store.pathOf(m.sha256);
    expect(externalDataOf(stored)).toEqual([]);
    expect(hashFile(stored).sha).toBe(m.sha256);
    expect(readdirSync(path.dirname(stored))).toEqual([m.sha256]); // no data file beside it
    const s = await ort.InferenceSession.create(stored);
    const out = await s.run({ x: new ort.Tensor('float32', new Float32Array(128).fill(0.1), [1, 128]) });
    expect(out.y.dims).toEqual([1, 128]);
    await s.release();
    // the user's files are as they were; the store's temp folder is empty
    expect(readFileSync(file).equals(before[0]) && readFileSync(`${file}.data`).equals(before[1])).toBe(true);
    expect(existsSync(store.tmpDir) ? readdirSync(store.tmpDir) : []).toEqual([]);
  });

  it('compress --zoo registers the twin of a parent with external data', async () => {
    const src = dir();
    const data = dir();
    const file = path.join(src, 'mlp.onnx');
    generateMlp(file, 2, 128);
    let out = '';
    const io = { out: (s: string) => (out += s), err: () => {}, isTTY: false, signal: new AbortController().signal };
    expect(await main(['compress', file, '--sparsity', '0.5', '--samples', '8', '--input-shape', 'x=1,128', '--zoo', 'demo', '--out', path.join(src, 'twin'), '--data-dir', data], io)).toBe(0);
    expect(existsSync(path.join(src, 'twin', 'twin.onnx.data'))).toBe(true);
    out = '';
    expect(await main(['zoo', 'show', 'demo', '--data-dir', data, '--json'], io)).toBe(0);
    const zoo = JSON.parse(out) as { twins: number; models: { name: string; twins: number }[] };
    expect(zoo.twins).toBe(1);
    expect(zoo.models).toMatchObject([{ name: 'mlp', twins: 1 }]);
  });
});
