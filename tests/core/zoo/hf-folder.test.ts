// Hugging Face model folders in the zoo: imported as one model (stored as a folder under the
// hash of its files), with the decoder structure in the model's meta and `zoo model`; exported
// back as a folder; removed with its zoo. The schema migration that admits format 'hf' keeps
// every earlier row and reference.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../main/cli/main';
import { closeZoo, ZooDb } from '../../../main/core/zoo/db';
import { migrations } from '../../../main/core/zoo/migrations/index';
import { hashHfFolder } from '../../../main/core/zoo/hf-folder';
import { ModelStore } from '../../../main/core/zoo/store';
import { HfFolder } from '../../../main/core/model/hf/folder';
import { inspectLlm } from '../../../main/core/model/hf/inspect';
import { zooModelFile } from '../../../main/core/api/zoo-file-call';
import { tempDir } from './helpers';

const MODEL = path.resolve(__dirname, '../../fixtures/llm/tiny-llama');
const cleanups: (() => void)[] = [];
afterEach(() => {
  closeZoo();
  while (cleanups.length) cleanups.pop()!();
});
function dir(): string {
  const t = tempDir('tf-zoo-hf-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function cli(dataDir: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--data-dir', dataDir], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, signal: new AbortController().signal });
  return { code, out, err };
}

describe('zoo: Hugging Face model folders', () => {
  it('imports a folder as one model with its decoder structure; zoo model shows it', async () => {
    const data = dir();
    const want = inspectLlm(MODEL);
    const r = await cli(data, 'zoo', 'import', 'llms', MODEL, '--create', '--json');
    expect(r.code, r.err).toBe(0);
    const imported = JSON.parse(r.out).imported;
    expect(imported).toHaveLength(1);
    expect(imported[0]).toMatchObject({ name: 'tiny-llama', format: 'hf', parameters: want.parameters.total });
    const tree = hashHfFolder(MODEL);
    expect(imported[0].sha256).toBe(tree.sha);
    expect(tree.files.map((f) => f.name)).toContain('config.json');

    const shown = await cli(data, 'zoo', 'model', 'tiny-llama', '--json');
    const detail = JSON.parse(shown.out);
    expect(detail.model.meta.decoder).toMatchObject({ architecture: want.architecture, layers: want.layers, heads: want.heads, kvHeads: want.kvHeads, hidden: want.hidden, intermediate: want.intermediate, vocab: want.vocab, parameters: want.parameters });
    // The model's layers are its block linears, each with its weight statistics.
    expect(detail.layers).toHaveLength(7 * want.layers);
    expect(detail.layers[0]).toMatchObject({ layer: 'model.layers.0.self_attn.q_proj.weight', opType: 'Linear', shape: [want.heads * want.headDim, want.hidden] });
    expect(detail.layers.every((l: { params: number; nonzeros: number }) => l.nonzeros > 0.99 * l.params)).toBe(true);
    const text = (await cli(data, 'zoo', 'model', 'tiny-llama')).out;
    expect(text).toContain(`decoder: ${want.architecture}, ${want.layers} layers, ${want.heads} heads / ${want.kvHeads} kv heads`);
    expect(text).toContain(`hidden ${want.hidden}, intermediate ${want.intermediate}, vocab ${want.vocab}`);

    // The stored copy is a folder the model reader opens: the wizard opens zoo models by path.
    const stored = zooModelFile(data, 'tiny-llama');
    expect(stored.format).toBe('hf');
    expect(fs.statSync(stored.path).isDirectory()).toBe(true);
    const f = HfFolder.open(stored.path);
    expect(f.config.numLayers).toBe(want.layers);
    f.close();
    expect(hashHfFolder(stored.path).sha).toBe(tree.sha);

    // The same folder again is a duplicate; a folder holding it finds it as one model.
    const again = await cli(data, 'zoo', 'import', 'llms', path.dirname(MODEL));
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already in zoo 'llms'/);
  });

  it('exports the folder back, and removing the zoo deletes the stored folder', async () => {
    const data = dir();
    expect((await cli(data, 'zoo', 'import', 'z', MODEL, '--create')).code).toBe(0);
    const out = dir();
    const ex = await cli(data, 'zoo', 'export-model', 'tiny-llama', out, '--json');
    expect(ex.code, ex.err).toBe(0);
    expect(hashHfFolder(path.join(out, 'tiny-llama')).sha).toBe(hashHfFolder(MODEL).sha);
    // A zoo archive carries files only: refused with a reason, nothing written.
    const ar = await cli(data, 'zoo', 'export', 'z', path.join(out, 'z.tar'));
    expect(ar.code).not.toBe(0);
    expect(ar.err).toMatch(/Hugging Face model folders/);
    expect(fs.existsSync(path.join(out, 'z.tar'))).toBe(false);
    const store = new ModelStore(data);
    expect(store.list()).toHaveLength(1);
    expect((await cli(data, 'zoo', 'rm', 'z')).code).toBe(0);
    expect(store.list()).toEqual([]);
  });

  it('refuses a folder that looks like a model folder but is not one Twinforge reads', async () => {
    const data = dir();
    const bad = dir();
    fs.writeFileSync(path.join(bad, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }));
    fs.writeFileSync(path.join(bad, 'model.safetensors'), 'x');
    const r = await cli(data, 'zoo', 'import', 'z', bad, '--create');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a model folder Twinforge can import/);
    expect(new ModelStore(data).list()).toEqual([]);
  });

  it('migration 2 admits format hf and keeps every earlier row and reference', () => {
    const data = dir();
    new ZooDb(data, { migrations: migrations.slice(0, 1) }).close();
    const file = path.join(data, 'zoo.sqlite');
    const v1 = new Database(file);
    v1.pragma('foreign_keys = ON');
    v1.exec(`INSERT INTO zoos (id, name, created_at) VALUES (1, 'z', 'now');
      INSERT INTO models (id, sha256, name, format, bytes, added_at) VALUES (1, '${'a'.repeat(64)}', 'parent', 'onnx', 10, 'now');
      INSERT INTO models (id, sha256, name, format, bytes, parent_id, added_at) VALUES (2, '${'b'.repeat(64)}', 'twin', 'onnx', 5, 1, 'now');
      INSERT INTO zoo_models (zoo_id, model_id, added_at) VALUES (1, 1, 'now');`);
    const hf = (sha: string, format: string) => `INSERT INTO models (sha256, name, format, bytes, added_at) VALUES ('${sha.repeat(64)}', 'folder', '${format}', 1, 'now')`;
    expect(() => v1.exec(hf('c', 'hf'))).toThrow(/CHECK/);
    v1.close();
    const v2 = new ZooDb(data);
    expect(v2.version()).toBe(migrations.length);
    v2.close();
    const after = new Database(file);
    after.exec(hf('c', 'hf'));
    expect(() => after.exec(hf('d', 'gguf'))).toThrow(/CHECK/);
    after.close();
    const raw = new Database(path.join(data, 'zoo.sqlite'));
    raw.pragma('foreign_keys = ON');
    expect(raw.prepare('SELECT id, name, parent_id FROM models ORDER BY id').all()).toEqual([
      { id: 1, name: 'parent', parent_id: null },
      { id: 2, name: 'twin', parent_id: 1 },
      { id: 3, name: 'folder', parent_id: null },
    ]);
    expect(raw.prepare('SELECT zoo_id, model_id FROM zoo_models').all()).toEqual([{ zoo_id: 1, model_id: 1 }]);
    expect(raw.pragma('foreign_key_check')).toEqual([]);
    // The references still cascade to the rebuilt table.
    raw.prepare('DELETE FROM models WHERE id = 1').run();
    expect(raw.prepare('SELECT count(*) AS n FROM models').get()).toEqual({ n: 1 });
    expect(raw.prepare('SELECT count(*) AS n FROM zoo_models').get()).toEqual({ n: 0 });
    raw.close();
  });
});
