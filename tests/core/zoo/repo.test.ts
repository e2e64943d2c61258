import { afterEach, describe, expect, it } from 'vitest';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { ModelStore } from '../../../main/core/zoo/store';
import { createZoo, addMember, listZoos, requireZoo } from '../../../main/core/zoo/repo/zoos';
import { getModel, insertModel, layerStatsOf, resolveModel } from '../../../main/core/zoo/repo/models';
import { registerTwin, twinsOf, twinsWithMask, existingGridKeys, lineage, sharedMasks } from '../../../main/core/zoo/repo/twins';
import { evaluationsOf, putEvaluation } from '../../../main/core/zoo/repo/evaluations';
import { saveHardwareProfile, getHardwareProfile, listHardwareProfiles } from '../../../main/core/zoo/repo/hardware';
import { putJob, setJobState, appendJobLog, getJob, setJobProgress } from '../../../main/core/zoo/repo/jobs';
import { removeZoo, collectGarbage } from '../../../main/core/zoo/maintenance';
import { seedZoo, tempDir } from './helpers';

const dirs: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (dirs.length) dirs.pop()!();
});
function db() {
  const t = tempDir();
  dirs.push(t.cleanup);
  return openZoo(t.dir);
}

const CELLS = [
  { method: 'magnitude', pattern: 'unstructured', level: 0.5 },
  { method: 'magnitude', pattern: 'unstructured', level: 0.9 },
];

describe('zoo repositories', () => {
  it('creates zoos, refuses duplicates and bad names', () => {
    const d = db();
    createZoo(d, { name: 'vision' });
    expect(() => createZoo(d, { name: 'vision' })).toThrow(/already exists/);
    expect(() => createZoo(d, { name: '../x' })).toThrow(/not a valid zoo name/);
    expect(() => requireZoo(d, 'nope')).toThrow(/No zoo named 'nope'/);
    expect(listZoos(d).map((z) => z.name)).toEqual(['vision']);
  });

  it('registers twins with their recipe, layer stats, evaluations and benchmarks in one go', () => {
    const d = db();
    const { parents, twins } = seedZoo(d, 'z', 2, CELLS);
    expect(twins).toHaveLength(4);
    const ts = twinsOf(d, parents[0]);
    expect(ts.map((t) => t.level)).toEqual([0.5, 0.9]);
    expect(ts[0].recipe).toBe('method: magnitude\nlevel: 0.5\n');
    expect(ts[0].parentId).toBe(parents[0]);
    expect(layerStatsOf(d, ts[0].id).map((l) => l.layer)).toEqual(['fc1.weight', 'fc2.weight']);
    const ev = evaluationsOf(d, ts[0].id);
    expect(ev).toHaveLength(1);
    expect(ev[0].referenceId).toBe(parents[0]);
    expect(ev[0].groups).toHaveLength(3);
    expect(lineage(d, ts[0].id).map((m) => m.id)).toEqual([ts[0].id, parents[0]]);
    const z = listZoos(d)[0];
    expect(z).toMatchObject({ models: 2, twins: 4 });
  });

  it('finds twins with identical connectivity by mask hash', () => {
    const d = db();
    seedZoo(d, 'z', 3, CELLS);
    expect(twinsWithMask(d, 'mask-magnitude-0.5')).toHaveLength(3);
    expect(sharedMasks(d).map((g) => g.twinIds.length)).toEqual([3, 3]);
  });

  it('does not write a twin twice for the same grid key, and never without its file', () => {
    const d = db();
    const { parents } = seedZoo(d, 'z', 1, CELLS);
    const t = twinsOf(d, parents[0])[0];
    const again = registerTwin(d, {
      parentId: parents[0],
      model: { sha256: t.sha256, name: 'dup', format: 'onnx', sourcePath: null, producer: null, task: null, parameters: null, bytes: t.bytes },
      twin: { gridKey: t.gridKey, recipe: 'x', recipeFormat: 'yaml', method: 'magnitude', pattern: null, level: 0.5, quantization: null, target: null, sparsity: null, maskHash: null, metrics: {} },
    });
    expect(again).toEqual({ id: t.id, created: false });
    expect(existingGridKeys(d, [t.gridKey!, 'other'])).toEqual(new Set([t.gridKey]));
    expect(() =>
      registerTwin(d, {
        parentId: parents[0],
        model: { sha256: 'f'.repeat(64), name: 'ghost', format: 'onnx', sourcePath: null, producer: null, task: null, parameters: null, bytes: 1 },
        twin: { gridKey: 'ghost', recipe: 'x', recipeFormat: 'yaml', method: 'magnitude', pattern: null, level: 0.5, quantization: null, target: null, sparsity: null, maskHash: null, metrics: {} },
      }),
    ).toThrow(/not in the store/);
    expect(twinsOf(d, parents[0])).toHaveLength(2);
  });

  it('resolves models by id, sha256 prefix or name, and names ambiguity', () => {
    const d = db();
    const { parents } = seedZoo(d, 'z', 2, []);
    const m = getModel(d, parents[1])!;
    expect(resolveModel(d, String(m.id)).id).toBe(m.id);
    expect(resolveModel(d, m.sha256.slice(0, 10)).id).toBe(m.id);
    expect(resolveModel(d, 'm1').id).toBe(m.id);
    expect(() => resolveModel(d, 'nothing')).toThrow(/No model 'nothing'/);
  });

  it('removing a zoo keeps models and files another zoo uses, deletes the rest', () => {
    const d = db();
    const store = new ModelStore(d.dataDir);
    const { parents } = seedZoo(d, 'a', 2, CELLS);
    const b = createZoo(d, { name: 'b' });
    addMember(d, b.id, parents[0]); // shared with zoo b
    const before = store.list().length;
    expect(before).toBe(6);
    const r = removeZoo(d, 'a');
    expect(r).toMatchObject({ models: 1, twins: 2, files: 3 });
    expect(getModel(d, parents[0])).toBeDefined();
    expect(twinsOf(d, parents[0])).toHaveLength(2);
    expect(getModel(d, parents[1])).toBeUndefined();
    expect(store.list()).toHaveLength(3);
    // every remaining row has its file
    for (const row of d.stmt<{ sha256: string }>('SELECT sha256 FROM models').all()) expect(store.has(row.sha256)).toBe(true);
    removeZoo(d, 'b');
    expect(store.list()).toHaveLength(0);
    expect(d.stmt('SELECT count(*) AS n FROM models').get()).toEqual({ n: 0 });
    expect(d.stmt('SELECT count(*) AS n FROM layer_stats').get()).toEqual({ n: 0 });
    expect(d.stmt('SELECT count(*) AS n FROM evaluations').get()).toEqual({ n: 0 });
  });

  it('a twin row keeps its file even when another zoo had the same content as an original', () => {
    const d = db();
    const { parents } = seedZoo(d, 'a', 1, CELLS);
    const t = twinsOf(d, parents[0])[0];
    const z2 = createZoo(d, { name: 'copy' });
    const id = insertModel(d, { sha256: t.sha256, name: 'same-bytes', format: 'onnx', sourcePath: null, producer: null, task: null, parameters: null, bytes: t.bytes });
    addMember(d, z2.id, id);
    removeZoo(d, 'copy');
    expect(new ModelStore(d.dataDir).has(t.sha256)).toBe(true);
    expect(collectGarbage(d, 0).removed).toBe(0);
  });

  it('replaces an evaluation of the same model, reference and dataset', () => {
    const d = db();
    const { parents } = seedZoo(d, 'z', 1, []);
    putEvaluation(d, parents[0], { datasetHash: 'x'.repeat(64), accuracy: 0.1 });
    putEvaluation(d, parents[0], { datasetHash: 'x'.repeat(64), accuracy: 0.2 });
    expect(evaluationsOf(d, parents[0]).filter((e) => e.datasetHash === 'x'.repeat(64)).map((e) => e.accuracy)).toEqual([0.2]);
  });

  it('stores hardware profiles as JSON per name', () => {
    const d = db();
    saveHardwareProfile(d, 'this-machine', { isa: 'avx2', gflops: 100 }, 'host1');
    saveHardwareProfile(d, 'this-machine', { isa: 'avx512', gflops: 200 }, 'host1');
    expect(getHardwareProfile(d, 'this-machine')?.profile).toEqual({ isa: 'avx512', gflops: 200 });
    expect(listHardwareProfiles(d)).toHaveLength(1);
  });

  it('persists jobs with state, progress, log and error', () => {
    const d = db();
    putJob(d, { id: 'j1', kind: 'zoo.twin', params: { a: 1 } });
    setJobState(d, 'j1', 'running');
    setJobProgress(d, 'j1', { done: 1, total: 2, stage: 'prune' });
    appendJobLog(d, 'j1', ['one', 'two']);
    setJobState(d, 'j1', 'failed', { error: { code: 'BAD_INPUT', message: 'nope' } });
    const j = getJob(d, 'j1')!;
    expect(j).toMatchObject({ state: 'failed', progress: { done: 1 }, log: 'one\ntwo\n', error: { code: 'BAD_INPUT' } });
    expect(j.startedAt).not.toBeNull();
    expect(j.endedAt).not.toBeNull();
  });
});
