// Every fixture of the manifest (generated and the real openwakeword models): inspect shows the
// manifest's numbers, ONNX Runtime loads it, and the CLI's JSON is the same object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectModel } from '../../../main/core/model/inspect';
import { createSession } from '../../../main/core/runtime/ort';
import { inspectCommand } from '../../../main/cli/commands/inspect';
import { fixtureFile, manifest } from '../../fixtures';
import { rmTmp, tmpDir } from './helpers';

const entries = manifest();
let dir: string;
beforeAll(() => {
  dir = tmpDir('fixtures');
});
afterAll(() => rmTmp(dir));

describe('fixture manifest', () => {
  it('lists every generated fixture and the openwakeword models', () => {
    expect(entries.filter((e) => e.source === 'openwakeword-js').map((e) => e.name).sort()).toEqual(['hello_deepa', 'hello_deepa_old', 'namaste_deepa']);
    expect(entries.length).toBeGreaterThanOrEqual(13);
  });

  for (const e of entries) {
    it(`${e.name}: inspect matches the manifest`, async () => {
      const r = await inspectModel(fixtureFile(e.name, dir));
      expect(r.format).toBe('onnx');
      expect(r.totals.weightTensors).toBe(e.expect.weightTensors);
      expect(r.totals.parameters).toBe(e.expect.parameters);
      if (e.expect.nonzeros !== undefined) expect(r.totals.nonzeros).toBe(e.expect.nonzeros);
      expect(r.layers.length).toBe(e.expect.layers);
      if (e.expect.flops !== undefined) expect(r.totals.flops).toBe(e.expect.flops);
      if (e.expect.inputs !== undefined) expect(r.inputs.length).toBe(e.expect.inputs);
      if (e.expect.outputs !== undefined) expect(r.outputs.length).toBe(e.expect.outputs);
      expect(r.unknownShapes).toEqual([]);
      // The layer table adds up: every parameter weight sits in at least one layer.
      const inLayers = new Set(r.layers.flatMap((l) => l.weights));
      for (const w of r.weights.filter((x) => x.isParameter)) expect(inLayers.has(w.id)).toBe(true);
    });

    it(`${e.name}: ONNX Runtime ${e.expect.ortLoads ? 'loads' : 'refuses'} it`, async () => {
      const file = fixtureFile(e.name, dir);
      if (e.expect.ortLoads) await (await createSession(file)).release();
      else await expect(createSession(file)).rejects.toThrow();
    });
  }

  it('twinforge inspect --json prints the same object as inspectModel', async () => {
    const file = fixtureFile('cnn', dir);
    let printed = '';
    const ctx = { json: true, out: (s: string) => void (printed += s), err: () => {}, isTTY: false, signal: new AbortController().signal, dataDir: dir };
    await inspectCommand.run({ values: {}, positionals: [file] }, ctx);
    expect(JSON.parse(printed)).toEqual(JSON.parse(JSON.stringify(await inspectModel(file))));
  });

  it('twinforge inspect prints a table with every layer', async () => {
    const file = fixtureFile('transformer', dir);
    let printed = '';
    const ctx = { json: false, out: (s: string) => void (printed += s), err: () => {}, isTTY: false, signal: new AbortController().signal, dataDir: dir };
    await inspectCommand.run({ values: { 'input-shape': ['x=2,5,32'], weights: true }, positionals: [file] }, ctx);
    for (const name of ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'fc1', 'fc2', 'ln1', 'ln2']) expect(printed).toMatch(new RegExp(`^${name}\\s`, 'm'));
    expect(printed).toContain('matmul_b:q');
    expect(printed).toContain('8,544 parameters');
  });

  it('--input-shape and --dim are checked', async () => {
    const file = fixtureFile('cnn', dir);
    const ctx = { json: true, out: () => {}, err: () => {}, isTTY: false, signal: new AbortController().signal, dataDir: dir };
    await expect(inspectCommand.run({ values: { 'input-shape': ['image=1,3,x'] }, positionals: [file] }, ctx)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(inspectCommand.run({ values: { dim: ['N'] }, positionals: [file] }, ctx)).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(inspectCommand.run({ values: {}, positionals: [] }, ctx)).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});
