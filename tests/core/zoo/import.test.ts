import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { importModels } from '../../../main/core/zoo/importer';
import { createZoo, listZoos } from '../../../main/core/zoo/repo/zoos';
import { getModel, layerStatsOf, modelsOfZoo } from '../../../main/core/zoo/repo/models';
import { packageRoot } from '../../../main/core/paths';
import { ModelStore } from '../../../main/core/zoo/store';
import { tempDir, tinyOnnx, writeTinyModels } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});
function dir(): string {
  const t = tempDir('tf-imp-');
  dirs.push(t.cleanup);
  return t.dir;
}
function state(db: ReturnType<typeof openZoo>): string {
  return JSON.stringify({
    models: db.stmt('SELECT id, sha256, name FROM models ORDER BY id').all(),
    members: db.stmt('SELECT zoo_id, model_id FROM zoo_models ORDER BY zoo_id, model_id').all(),
    layers: db.stmt('SELECT count(*) AS n FROM layer_stats').get(),
    files: new ModelStore(db.dataDir).list(),
  });
}

describe('importing models', () => {
  it('imports files and folders with params, producer and per-layer weight statistics', async () => {
    const db = openZoo(dir());
    createZoo(db, { name: 'z' });
    const src = dir();
    const files = writeTinyModels(path.join(src, 'nested', 'deeper'), 3);
    writeFileSync(path.join(src, 'nested', 'notes.txt'), 'not a model, skipped in folders');
    const single = path.join(src, 'single.onnx');
    writeFileSync(single, tinyOnnx(42));
    const r = await importModels(db, 'z', [path.join(src, 'nested'), single]);
    expect(r.map((m) => m.name)).toEqual(['tiny-1', 'tiny-2', 'tiny-3', 'single']);
    expect(r[0]).toMatchObject({ format: 'onnx', parameters: 4 * 8 + 8 + 8 * 3, shared: false, sourcePath: files[0] });
    const models = modelsOfZoo(db, listZoos(db)[0].id);
    expect(models[0].producer).toMatch(/twinforge-tests/);
    const layers = layerStatsOf(db, models[0].id);
    expect(layers.map((l) => [l.layer, l.params, l.sparsity])).toEqual([
      ['fc1.weight', 32, 0],
      ['fc2.weight', 24, 0],
    ]);
    expect(layers[0].maskHash).toMatch(/^[0-9a-f]{64}$/);
    expect(layers[0].absMax).toBeGreaterThan(0);
    expect(new ModelStore(db.dataDir).list()).toHaveLength(4);
  });

  it('shares a model already in another zoo instead of copying it', async () => {
    const db = openZoo(dir());
    createZoo(db, { name: 'a' });
    createZoo(db, { name: 'b' });
    const files = writeTinyModels(dir(), 2);
    await importModels(db, 'a', files);
    const r = await importModels(db, 'b', [files[0]]);
    expect(r[0].shared).toBe(true);
    expect(db.stmt('SELECT count(*) AS n FROM models').get()).toEqual({ n: 2 });
    expect(new ModelStore(db.dataDir).list()).toHaveLength(2);
  });

  it('rejects a non-model file, a duplicate and a missing path, changing nothing', async () => {
    const db = openZoo(dir());
    createZoo(db, { name: 'z' });
    const src = dir();
    const files = writeTinyModels(src, 2);
    await importModels(db, 'z', [files[0]]);
    const before = state(db);

    const text = path.join(src, 'readme.txt');
    writeFileSync(text, 'hello, I am not a neural network\n');
    await expect(importModels(db, 'z', [files[1], text])).rejects.toThrow(/readme\.txt is not a model/);
    const fake = path.join(src, 'fake.onnx');
    writeFileSync(fake, Buffer.from([0x08, 0x07, 0x12, 0xff, 0xff, 0x01]));
    await expect(importModels(db, 'z', [files[1], fake])).rejects.toThrow(/fake\.onnx is not a model/);
    await expect(importModels(db, 'z', [files[1], files[0]])).rejects.toThrow(/already in zoo 'z'/);
    const copy = path.join(src, 'copy.onnx');
    copyFileSync(files[1], copy);
    await expect(importModels(db, 'z', [files[1], copy])).rejects.toThrow(/same content/);
    await expect(importModels(db, 'z', [files[1], path.join(src, 'missing.onnx')])).rejects.toThrow(/no such file/);
    const empty = path.join(src, 'empty-folder');
    mkdirSync(empty);
    await expect(importModels(db, 'z', [empty])).rejects.toThrow(/holds no model files/);
    await expect(importModels(db, 'nozoo', [files[1]])).rejects.toThrow(/No zoo named/);

    expect(state(db)).toBe(before);
  });

  it("stores each model's own data: given, or from a population manifest next to the models", async () => {
    const db = openZoo(dir());
    createZoo(db, { name: 'z' });
    const demo = path.join(packageRoot, 'resources', 'demo-zoo');
    const r = await importModels(db, 'z', [path.join(demo, 'models', 'cnn-c4-s1.onnx')]);
    expect(getModel(db, r[0].id)!.meta.data).toEqual({ calibration: path.join(demo, 'data', 'calib.npz'), evaluation: path.join(demo, 'data', 'eval.npz') });
    const files = writeTinyModels(dir(), 1);
    const r2 = await importModels(db, 'z', files, { data: { evaluation: path.join(demo, 'data', 'eval.npz') } });
    expect(getModel(db, r2[0].id)!.meta.data).toEqual({ evaluation: path.join(demo, 'data', 'eval.npz') });
    await expect(importModels(db, 'z', writeTinyModels(dir(), 1, 9), { data: { evaluation: '/nonexistent.npz' } })).rejects.toThrow(/no such file/);
  });
});
