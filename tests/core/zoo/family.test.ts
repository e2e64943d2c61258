// A model's family (parent → twins → twins of twins) and deleting a twin with its descendants:
// rows cascade, files go unless another row still uses them, originals are refused.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { closeZoo, openZoo } from '../../../main/core/zoo/db';
import { ModelStore } from '../../../main/core/zoo/store';
import { familyOf, findTwinBySha, getTwin, registerTwin } from '../../../main/core/zoo/repo/twins';
import { getModel } from '../../../main/core/zoo/repo/models';
import { listZoos } from '../../../main/core/zoo/repo/zoos';
import { removeTwin } from '../../../main/core/zoo/maintenance';
import { zooModel, zooRemoveTwin } from '../../../main/core/api/zoo';
import { seedZoo, tempDir, tinyOnnx } from './helpers';
import { main } from '../../../main/cli/main';
import { zooExportModel } from '../../../main/core/api/zoo-export-model';
import { readFileSync } from 'node:fs';
import path from 'node:path';

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

/** A twin of `parentId` stored from fresh bytes (seed). */
function twinOf(d: ReturnType<typeof db>, parentId: number, seed: number, name: string): number {
  const store = new ModelStore(d.dataDir);
  const tmp = store.tempPath();
  writeFileSync(tmp, tinyOnnx(seed));
  const f = store.adoptTemp(tmp);
  return registerTwin(d, {
    parentId,
    model: { sha256: f.sha256, name, format: 'onnx', sourcePath: null, producer: 'twinforge', task: null, parameters: 59, bytes: f.bytes },
    twin: { gridKey: null, recipe: 'x: 1\n', recipeFormat: 'yaml', method: 'int8', pattern: null, level: null, quantization: 'int8', target: null, sparsity: 0.5, maskHash: null, metrics: {} },
  }).id;
}

describe('model families', () => {
  it('lists the whole tree from any member, parents first', () => {
    const d = db();
    const { parents, twins } = seedZoo(d, 'z', 1, [{ method: 'magnitude', pattern: 'unstructured', level: 0.5 }]);
    const grand = twinOf(d, twins[0]!, 7001, 'grandchild');
    for (const id of [parents[0]!, twins[0]!, grand]) {
      expect(familyOf(d, id).map((f) => [f.id, f.parentId])).toEqual([[parents[0], null], [twins[0], parents[0]], [grand, twins[0]]]);
    }
    expect(familyOf(d, grand)[2]).toMatchObject({ name: 'grandchild', method: 'int8', quantization: 'int8' });
    expect(zooModel({ dataDir: d.dataDir }, { model: String(twins[0]) }).family).toHaveLength(3);
    // A twin's bytes compressed again are found as that twin (its twin is a twin of the twin).
    const sha = getModel(d, twins[0]!)!.sha256;
    expect(findTwinBySha(d, sha, listZoos(d)[0]!.id)?.id).toBe(twins[0]);
  });

  it('deletes a twin with the twins made from it, their files too, and keeps the parent', () => {
    const d = db();
    const { parents, twins } = seedZoo(d, 'z', 1, [{ method: 'magnitude', pattern: 'unstructured', level: 0.5 }]);
    const grand = twinOf(d, twins[0]!, 7002, 'grandchild');
    const store = new ModelStore(d.dataDir);
    const shas = [twins[0]!, grand].map((id) => getModel(d, id)!.sha256);
    const r = removeTwin(d, twins[0]!);
    expect(r).toEqual({ twins: 2, files: 2, keptFiles: 0 });
    expect(getTwin(d, twins[0]!)).toBeUndefined();
    expect(getModel(d, grand)).toBeUndefined();
    expect(shas.map((s) => store.has(s))).toEqual([false, false]);
    expect(getModel(d, parents[0]!)).toBeDefined();
    expect(listZoos(d)[0]).toMatchObject({ models: 1, twins: 0 });
  });

  it('refuses to delete an original or a model that is not there, with the way out', () => {
    const d = db();
    const { parents } = seedZoo(d, 'z', 1, []);
    expect(() => zooRemoveTwin({ dataDir: d.dataDir }, { model: String(parents[0]) })).toThrow(/is an original, not a twin/);
    expect(() => removeTwin(d, 424242)).toThrow(/not in the zoo/);
  });

  it('twinforge zoo rm-twin deletes from the command line (exit 2 for an original)', async () => {
    const d = db();
    const { parents, twins } = seedZoo(d, 'z', 1, [{ method: 'magnitude', pattern: 'unstructured', level: 0.5 }]);
    const cli = async (...argv: string[]) => {
      let out = '';
      const code = await main([...argv, '--data-dir', d.dataDir], { out: (x) => (out += x), err: (x) => (out += x), isTTY: false, signal: new AbortController().signal });
      return { code, out };
    };
    const orig = await cli('zoo', 'rm-twin', String(parents[0]));
    expect(orig.code).toBe(2);
    expect(orig.out).toMatch(/original, not a twin/);
    const out = path.join(d.dataDir, 'exported');
    const ex = await cli('zoo', 'export-model', String(twins[0]), out, '--json');
    expect(ex.code).toBe(0);
    expect(JSON.parse(ex.out).files).toHaveLength(2);
    expect((await cli('zoo', 'export-model', String(twins[0]), out)).code).toBe(2);
    const ok = await cli('zoo', 'rm-twin', String(twins[0]), '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({ twins: 1, files: 1, keptFiles: 0 });
  });

  it('exports a twin file and its recipe to a folder, and never over an earlier export unasked', () => {
    const d = db();
    const { twins } = seedZoo(d, 'z', 1, [{ method: 'magnitude', pattern: 'unstructured', level: 0.5 }]);
    const dir = path.join(d.dataDir, 'out');
    const r = zooExportModel(d.dataDir, { model: String(twins[0]), dir });
    expect(r.files.map((f) => path.basename(f.path)).sort()).toEqual(['m0-magnitude-0.5.onnx', 'recipe.yaml']);
    const m = getModel(d, twins[0]!)!;
    expect(Buffer.compare(readFileSync(path.join(dir, 'm0-magnitude-0.5.onnx')), readFileSync(new ModelStore(d.dataDir).pathOf(m.sha256)))).toBe(0);
    expect(readFileSync(path.join(dir, 'recipe.yaml'), 'utf8')).toContain('method: magnitude');
    expect(() => zooExportModel(d.dataDir, { model: String(twins[0]), dir })).toThrow(/already holds/);
    expect(zooExportModel(d.dataDir, { model: String(twins[0]), dir, overwrite: true }).files).toHaveLength(2);
  });
});
