// Inputs beyond the generated ONNX fixtures: safetensors twins (data-free pruning, safetensors
// out), the real openWakeWord models through the shipped example recipe, and the API functions
// behind the contract calls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { saveSafetensors } from '../../../main/core/model/safetensors/writer';
import { encodeFromNumbers } from '../../../main/core/model/dtype';
import { openModel } from '../../../main/core/model';
import { Rng } from '../../../main/core/data/rng';
import { writeNpy } from '../../../main/core/data/npy';
import { methodsList, recipeValidate } from '../../../main/core/api/compress';
import { main } from '../../../main/cli/main';
import { openwakewordModels } from '../../fixtures';
import { baseRecipe, compress, tempDir } from './helpers';
import { writeFileSync } from 'node:fs';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('formats');
});
afterAll(() => tmp.cleanup());

describe('safetensors', () => {
  it('magnitude 50% makes a safetensors twin with the other tensors copied', async () => {
    const rng = new Rng(2);
    const w = Array.from({ length: 64 * 32 }, () => rng.normal());
    const file = path.join(tmp.dir, 'linear.safetensors');
    saveSafetensors(file, [
      { name: 'layers.0.weight', dtype: 'float32', dims: [64, 32], bytes: encodeFromNumbers('float32', w) },
      { name: 'layers.0.bias', dtype: 'float32', dims: [64], bytes: encodeFromNumbers('float32', new Array(64).fill(0.5)) },
    ]);
    const r = await compress(baseRecipe(file, path.join(tmp.dir, 'st'), { stages: [{ type: 'prune', method: 'magnitude', sparsity: 0.5 }] }));
    expect(r.twin.endsWith('twin.safetensors')).toBe(true);
    const ir = openModel(r.twin);
    try {
      const tw = ir.weight('layers.0.weight')!.float32();
      expect(tw.filter((v) => v === 0).length).toBe(1024);
      expect(Array.from(ir.weight('layers.0.bias')!.float32())).toEqual(new Array(64).fill(0.5));
    } finally {
      ir.close();
    }
    expect(r.warnings.join(' ')).toMatch(/no graph/);
    await expect(compress(baseRecipe(file, path.join(tmp.dir, 'st2'), { stages: [{ type: 'prune', method: 'wanda', sparsity: 0.5 }] }))).rejects.toThrow(/stages\[0\]\.method: 'wanda' needs calibration data/);
  });
});

describe('openWakeWord models (real PyTorch exports)', () => {
  it('the shipped wakeword-quick.yaml recipe runs (wanda 50% + int8) and passes its gate', async () => {
    const recipe = path.resolve(import.meta.dirname, '../../../resources/recipes/wakeword-quick.yaml');
    let out = '';
    const code = await main(['run', recipe, '--out', path.join(tmp.dir, 'oww'), '--json'], { out: (s) => (out += s), err: () => {}, isTTY: false, signal: new AbortController().signal });
    const done = JSON.parse(out.trim().split('\n').pop()!);
    expect(done.event).toBe('done');
    expect(code).toBe(0);
    expect(done.sizes.twinNonzeros).toBeLessThan(done.sizes.parentNonzeros * 0.6);
  });
  it('real calibration data from .npy with labels: magnitude 2:4 on hello_deepa_old', async () => {
    const rng = new Rng(9);
    const x = new Float32Array(16 * 24 * 96);
    rng.fillNormal(x);
    const dir = path.join(tmp.dir, 'oww-data');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'features.npy'), writeNpy({ dtype: 'float32', shape: [16, 24, 96], data: x }));
    writeFileSync(path.join(dir, 'labels.npy'), writeNpy({ dtype: 'int64', shape: [16], data: BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i % 2)) }));
    const r = await compress(baseRecipe(openwakewordModels.hello_deepa_old, path.join(tmp.dir, 'oww2'), {
      calibration: { source: dir },
      evaluation: { source: dir, latency: false },
      stages: [{ type: 'prune', method: 'magnitude', pattern: '2:4', exclude: ['last_layer.weight'] }],
    }));
    expect(r.metrics.accuracy).toBeDefined();
    expect(r.metrics.top1Agreement).toBeDefined();
    const rep = JSON.parse(readFileSync(r.report, 'utf8'));
    expect(rep.data.evaluation).toMatchObject({ samples: 16, synthetic: false, labels: true });
  });
});

describe('API behind the contract', () => {
  it('methods.list describes every method with parameters, defaults and needs', () => {
    const all = methodsList();
    expect(all.map((x) => x.name)).toEqual(['magnitude', 'random', 'wanda', 'sparsegpt', 'int8', 'int4']);
    const sg = all.find((x) => x.name === 'sparsegpt')!;
    expect(sg.needs).toMatchObject({ calibration: true, hessian: true });
    expect(sg.defaults).toEqual({ blockSize: 128, dampening: 0.01 });
    expect(sg.patterns).toEqual(['unstructured', 'nm']);
    expect(JSON.stringify(sg.parameters)).toContain('blockSize');
    expect(methodsList({ kind: 'quantize' }).map((x) => x.name)).toEqual(['int8', 'int4']);
  });
  it('twinforge methods lists the same registry (text and --json)', async () => {
    let out = '';
    const io = { out: (x: string) => (out += x), err: () => {}, isTTY: false, signal: new AbortController().signal };
    expect(await main(['methods', '--json'], io)).toBe(0);
    expect(JSON.parse(out).map((m: { name: string }) => m.name)).toEqual(methodsList().map((m) => m.name));
    out = '';
    expect(await main(['methods', 'prune'], io)).toBe(0);
    expect(out).toMatch(/^sparsegpt \(prune\)/m);
    expect(out).toMatch(/args\.allocation = "uniform"  \(uniform \| global \| erk\)/);
  });
  it('recipe.validate lists issues by field instead of throwing, and returns YAML when valid', () => {
    const bad = recipeValidate({ recipe: { version: 1, model: 'm.onnx', stages: [{ type: 'prune', method: 'magnitude', sparsity: 1.5, pattren: 'x' }] } });
    expect(bad.ok).toBe(false);
    expect(bad.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['stages[0].sparsity', 'stages[0]']));
    const good = recipeValidate({ recipe: { version: 1, model: 'm.onnx', stages: [{ type: 'prune', method: 'wanda', pattern: '2:4' }] } });
    expect(good.ok).toBe(true);
    expect(good.yaml).toMatch(/method: wanda/);
  });
});
