// One .npy per model input ({input: file}), on a real two-input PyTorch export (BERT-style
// encoder: input_ids and attention_mask, both int64 [batch, sequence]): the run's loader feeds
// each input from its own file, fills a mask nobody gave, and names every mistake in words;
// data.inspect says per input what its file holds; the CLI's recipe takes the same form.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpy } from '../../../main/core/data/npy';
import { loadDataset } from '../../../main/core/data/dataset';
import { datasetHash } from '../../../main/core/batch/evaluate';
import { invoke } from '../../../main/core/api/index';
import type { DataInspection } from '../../../preload/contract';
import { JobRunner } from '../../../main/core/jobs/runner';
import { parseRecipe } from '../../../main/core/recipe/recipe';
import { compressModel } from '../../../main/core/pipeline/runner';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-per-input-'));
const MODEL = path.resolve('tests/fixtures/torch/bert_encoder_op13.onnx');
const inputs = [
  { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] },
  { name: 'attention_mask', type: 'int64', shape: ['batch', 'sequence'] },
];
const f = (name: string) => path.join(dir, name);
const ids = new BigInt64Array(12 * 16).map((_, i) => BigInt((i * 7) % 128));
writeFileSync(f('ids.npy'), writeNpy({ dtype: 'int64', shape: [12, 16], data: ids }));
writeFileSync(f('mask.npy'), writeNpy({ dtype: 'int64', shape: [12, 16], data: new BigInt64Array(12 * 16).fill(1n) }));
writeFileSync(f('ids-float.npy'), writeNpy({ dtype: 'float32', shape: [12, 16], data: Float32Array.from(ids, Number) }));
writeFileSync(f('ids-flat.npy'), writeNpy({ dtype: 'int64', shape: [192], data: ids }));
writeFileSync(f('ids-3d.npy'), writeNpy({ dtype: 'int64', shape: [12, 16, 1], data: ids }));
const jobs = new JobRunner({ dataDir: dir });
afterAll(async () => {
  await jobs.shutdown();
  rmSync(dir, { recursive: true, force: true });
});
const field = 'calibration.source';

describe('an unbatched input given once (a decoder causal mask [seq, seq_k])', () => {
  it('is shared by every batch and does not shrink the dataset to one sample', () => {
    const gptInputs = [
      { name: 'input_ids', type: 'int64', shape: ['batch', 'sequence'] },
      { name: 'causal_mask', type: 'float32', shape: ['sequence', 'sequence_k'] },
    ];
    const t = 8;
    const causal = new Float32Array(t * t).map((_, i) => (i % t > Math.floor(i / t) ? -1e9 : 0));
    writeFileSync(f('gpt-ids.npy'), writeNpy({ dtype: 'int64', shape: [6, t], data: new BigInt64Array(6 * t).map((_, i) => BigInt(i % 50)) }));
    writeFileSync(f('gpt-mask.npy'), writeNpy({ dtype: 'float32', shape: [t, t], data: causal }));
    const ds = loadDataset({ input_ids: f('gpt-ids.npy'), causal_mask: f('gpt-mask.npy') }, { field, inputs: gptInputs });
    expect(ds.count).toBe(6);
    expect(ds.maxBatch).toBe(Infinity);
    const b = ds.batch(2, 3);
    expect(b.feeds.input_ids.dims).toEqual([3, t]);
    expect(b.feeds.causal_mask.dims).toEqual([t, t]);
    expect(Array.from(b.feeds.causal_mask.data as Float32Array)).toEqual(Array.from(causal));
  });
});

describe('one file per input', () => {
  it('feeds each input from its own file', () => {
    const ds = loadDataset({ input_ids: f('ids.npy'), attention_mask: f('mask.npy') }, { field, inputs });
    expect(ds.count).toBe(12);
    expect(ds.sampleDims).toEqual({ input_ids: [16], attention_mask: [16] });
    const b = ds.batch(2, 3);
    expect(b.feeds.input_ids.dims).toEqual([3, 16]);
    expect((b.feeds.input_ids.data as BigInt64Array)[0]).toBe(ids[32]);
    expect(ds.source).toBe(`input_ids: ${f('ids.npy')}, attention_mask: ${f('mask.npy')}`);
  });

  it('fills a mask no file was given for, and needs the inputs it cannot fill', () => {
    const ds = loadDataset({ input_ids: f('ids.npy') }, { field, inputs });
    expect(ds.count).toBe(12);
    const b = ds.batch(0, 2);
    expect(b.feeds.attention_mask.dims).toEqual([2, 16]);
    expect([...(b.feeds.attention_mask.data as BigInt64Array)].every((v) => v === 1n)).toBe(true);
    expect(() => loadDataset({ attention_mask: f('mask.npy') }, { field, inputs })).toThrow(/no file for model input 'input_ids'/);
  });

  it('names a wrong type, a wrong number of dimensions and an unknown input in words', () => {
    const err = (src: Record<string, string>) => {
      try {
        loadDataset(src, { field, inputs });
      } catch (e) {
        return `${(e as Error).message} ${(e as { hint?: string }).hint ?? ''}`;
      }
      return 'no error';
    };
    const dtype = err({ input_ids: f('ids-float.npy') });
    expect(dtype).toMatch(/input 'input_ids' takes int64 whole numbers .* holds float32 fractional numbers/);
    const rank = err({ input_ids: f('ids.npy'), attention_mask: f('ids-3d.npy') });
    expect(rank).toMatch(/array for input 'attention_mask' has 3 dimensions \(12, 16, 1\); the input needs 2: the samples first, then one sample of \(sequence\)/);
    // one array short of a dimension is one sample: here one of sequence 192, which input_ids does not share
    const shared = err({ input_ids: f('ids.npy'), attention_mask: f('ids-flat.npy') });
    expect(shared).toMatch(/input 'attention_mask' has sequence 192 where input 'input_ids' has sequence 16/);
    expect(err({ input_ids: f('ids.npy') })).toBe('no error');
    expect(err({ input_ids: f('ids.npy'), token_type_ids: f('mask.npy') })).toMatch(/the model has no input named 'token_type_ids'.*'input_ids', 'attention_mask'/);
    expect(err({ input_ids: dir })).toMatch(/must be one \.npy array/);
    // no message points at a command-line flag
    for (const m of [dtype, rank, shared]) expect(m).not.toMatch(/--[a-z]/);
  });

  it('the evaluation hash tells which input a file feeds', () => {
    const a = datasetHash({ source: { input_ids: f('ids.npy'), attention_mask: f('mask.npy') } });
    const b = datasetHash({ source: { input_ids: f('mask.npy'), attention_mask: f('ids.npy') } });
    expect(a).not.toBe(b);
    expect(datasetHash({ source: { attention_mask: f('mask.npy'), input_ids: f('ids.npy') } })).toBe(a);
  });

  it('data.inspect says per input what its file holds, what is missing and what the engine fills', async () => {
    const s = { dataDir: dir, host: 'cli' as const, jobs };
    const none = (await invoke(s, 'data.inspect', { path: {}, model: MODEL })) as DataInspection;
    expect(none.complete).toBe(false);
    const byName = (r: DataInspection) => Object.fromEntries(r.inputs.map((i) => [i.name, i]));
    expect(byName(none).input_ids.fill).toBeUndefined();
    expect(byName(none).attention_mask.fill).toMatch(/ones/);
    expect(byName(none).input_ids.dtype).toBe('int64');

    const bad = (await invoke(s, 'data.inspect', { path: { input_ids: f('ids-float.npy'), attention_mask: f('mask.npy') }, model: MODEL })) as DataInspection;
    expect(bad.complete).toBe(false);
    expect(byName(bad).input_ids.file?.problem).toMatch(/takes int64 whole numbers/);
    expect(byName(bad).attention_mask.file).toEqual({ path: f('mask.npy'), dtype: 'int64', shape: [12, 16], samples: 12 });

    const good = (await invoke(s, 'data.inspect', { path: { input_ids: f('ids.npy'), attention_mask: f('mask.npy') }, model: MODEL })) as DataInspection;
    expect(good.complete).toBe(true);
    expect(good.samples).toBe(12);
    expect(byName(good).input_ids.sampleDims).toEqual([16]);
  });

  it('an LSTM export: the sequence needs a file, the h/c state inputs are optional (zeros) and a wrong width is named', async () => {
    const s = { dataDir: dir, host: 'cli' as const, jobs };
    const lstm = path.resolve('tests/fixtures/torch/lstm_op11.onnx'); // x [batch, time, 20], h0/c0 [2, batch, 32]
    writeFileSync(f('x.npy'), writeNpy({ dtype: 'float32', shape: [6, 5, 20], data: new Float32Array(600).map((_, i) => Math.sin(i)) }));
    writeFileSync(f('x-21.npy'), writeNpy({ dtype: 'float32', shape: [6, 5, 21], data: new Float32Array(630) }));
    const byName = (r: DataInspection) => Object.fromEntries(r.inputs.map((i) => [i.name, i]));
    const none = (await invoke(s, 'data.inspect', { path: {}, model: lstm })) as DataInspection;
    expect(byName(none).x.fill).toBeUndefined();
    expect(byName(none).h0.fill).toMatch(/zeros/);
    expect(byName(none).c0.fill).toMatch(/zeros/);
    const good = (await invoke(s, 'data.inspect', { path: { x: f('x.npy') }, model: lstm })) as DataInspection;
    expect(good.complete).toBe(true);
    expect(good.samples).toBe(6);
    const wide = (await invoke(s, 'data.inspect', { path: { x: f('x-21.npy') }, model: lstm })) as DataInspection;
    expect(wide.complete).toBe(false);
    expect(byName(wide).x.file?.problem).toMatch(/dimension 2 of a sample is 21 where the model expects 20/);
  });

  it('a recipe names one file per input and a run calibrates and evaluates on them', async () => {
    const recipe = parseRecipe(
      `version: 1\nmodel: ${MODEL}\nstages:\n  - type: quantize\n    method: int8\ncalibration:\n  source:\n    input_ids: ids.npy\n    attention_mask: mask.npy\n  samples: 8\nevaluation:\n  source:\n    input_ids: ids.npy\n  samples: 12\n`,
    );
    const run = await compressModel(recipe, { baseDir: dir, outDir: f('out') });
    const report = JSON.parse(readFileSync(run.report, 'utf8')) as { data: { calibration: unknown; evaluation: unknown } };
    expect(report.data.calibration).toMatchObject({ samples: 8, synthetic: false, source: `input_ids: ${f('ids.npy')}, attention_mask: ${f('mask.npy')}` });
    expect(report.data.evaluation).toMatchObject({ samples: 12, synthetic: false, source: `input_ids: ${f('ids.npy')}` });
  }, 120_000);
});
