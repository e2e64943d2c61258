// `twinforge compress` on a Hugging Face folder: the acceptance commands write compressed-tensors
// checkpoints that parse back to exactly the dense twin's weights; sequential statistics beat
// one-shot ones, and DSnoT improves Wanda at 70%.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 300_000 });
import { main } from '../../main/cli/main';
import { parseNpy, toFloat32 } from '../../main/core/data/npy';
import { HfFolder, LINEARS, linearName, linearShape } from '../../main/core/model/hf/folder';
import { SafetensorsModel } from '../../main/core/model/safetensors/reader';
import { unpackBitmask, unpackInt8, unpackQuantized } from '../../main/core/model/hf/ct-format';
import { compressLlm } from '../../main/core/llm/compress';
import { perplexity } from '../../main/core/llm/evaluate';
import { loadTokens } from '../../main/core/llm/tokens';

const FIX = path.resolve(__dirname, '../fixtures/llm');
const MODEL = path.join(FIX, 'tiny-llama');
const CALIB = path.join(FIX, 'calib.npy');
const HELD = path.join(FIX, 'heldout.npy');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-llm-cmp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

/** Every tensor of a sharded folder, by name. */
function tensors(dir: string): Map<string, { dtype: string; dims: number[]; f32: () => Float32Array; raw: () => Uint8Array }> {
  const idx = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
  const out = new Map();
  for (const file of new Set(Object.values(idx.weight_map))) {
    const m = SafetensorsModel.open(path.join(dir, file));
    for (const w of m.weights) out.set(w.name, { dtype: w.dtype, dims: w.dims, f32: () => w.float32(), raw: () => Uint8Array.from(w.bytes()) });
  }
  return out;
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe('compress a Hugging Face folder', () => {
  it('sparsegpt 2:4 -> sparse-24-bitmask checkpoint + dense twin that infer runs', async () => {
    const out = path.join(tmp, 'sgpt24');
    const r = await run(['compress', MODEL, '--method', 'sparsegpt', '--pattern', '2:4', '--calib', CALIB, '--eval', HELD, '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const done = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(done.sparsity).toBeCloseTo(0.5, 3);
    expect(done.evaluation.kl).toBeGreaterThan(0);
    expect(done.evaluation.top1Agreement).toBeGreaterThan(0.5);
    expect(done.evaluation.top1Agreement).toBeLessThanOrEqual(1);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.quantization_config).toMatchObject({ quant_method: 'compressed-tensors', format: 'sparse-24-bitmask', sparsity_config: { format: 'sparse-24-bitmask', sparsity_structure: '2:4' } });
    const ct = tensors(out);
    const dense = tensors(path.join(out, 'dense'));
    const c = HfFolder.open(MODEL).config;
    for (let l = 0; l < c.numLayers; l++) {
      for (const lin of LINEARS) {
        const [rows, cols] = linearShape(c, lin);
        const p = linearName(l, lin).replace(/\.weight$/, '');
        expect(ct.has(`${p}.weight`)).toBe(false);
        const shape = ct.get(`${p}.shape`)!;
        expect([shape.dtype, shape.dims]).toEqual(['int64', [2, 1]]);
        expect(Array.from(new BigInt64Array(shape.raw().buffer), Number)).toEqual([rows, cols]);
        expect(ct.get(`${p}.compressed`)!.dims).toEqual([rows, cols / 2]);
        expect(ct.get(`${p}.bitmask`)!.dims).toEqual([rows, cols / 8]);
        const back = unpackBitmask(ct.get(`${p}.compressed`)!.f32(), ct.get(`${p}.bitmask`)!.raw(), rows, cols);
        const d = dense.get(`${p}.weight`)!.f32();
        expect(sameValues(back, d)).toBe(true);
        for (let g = 0; g < d.length; g += 4) expect([d[g], d[g + 1], d[g + 2], d[g + 3]].filter((v) => v === 0).length).toBeGreaterThanOrEqual(2);
      }
    }
    for (const f of ['tokenizer.json']) expect(fs.existsSync(path.join(out, f)) && fs.existsSync(path.join(out, 'dense', f))).toBe(true);
    const inf = await run(['infer', path.join(out, 'dense'), '--input', `input_ids=${path.join(FIX, 'reference-input.npy')}`, '--out', path.join(tmp, 'twin-logits.npy')]);
    expect(inf.code, inf.err).toBe(0);
    expect(parseNpy(new Uint8Array(fs.readFileSync(path.join(tmp, 'twin-logits.npy')))).shape).toEqual([2, 48, 128]);
    // The compressed-tensors folder itself is read back (2:4 bitmask decoded): the same logits exactly.
    const ctRun = await run(['infer', out, '--input', `input_ids=${path.join(FIX, 'reference-input.npy')}`, '--out', path.join(tmp, 'ct-logits.npy')]);
    expect(ctRun.code, ctRun.err).toBe(0);
    const a = toFloat32(parseNpy(new Uint8Array(fs.readFileSync(path.join(tmp, 'ct-logits.npy')))));
    const b = toFloat32(parseNpy(new Uint8Array(fs.readFileSync(path.join(tmp, 'twin-logits.npy')))));
    expect(sameValues(a, b)).toBe(true);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/perplexity: parent/);
  });

  it('--quant int4 -> pack-quantized W4A16 with group-128 scales', async () => {
    const out = path.join(tmp, 'int4');
    const r = await run(['compress', MODEL, '--quant', 'int4', '--calib', CALIB, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.quantization_config).toMatchObject({ quant_method: 'compressed-tensors', format: 'pack-quantized', ignore: ['lm_head'] });
    expect(cfg.quantization_config.config_groups.group_0).toMatchObject({ targets: ['Linear'], weights: { num_bits: 4, type: 'int', symmetric: true, strategy: 'group', group_size: 128 }, input_activations: null });
    const ct = tensors(out);
    const dense = tensors(path.join(out, 'dense'));
    const c = HfFolder.open(MODEL).config;
    for (const lin of LINEARS) {
      const [rows, cols] = linearShape(c, lin);
      const p = linearName(1, lin).replace(/\.weight$/, '');
      const packed = ct.get(`${p}.weight_packed`)!;
      const scale = ct.get(`${p}.weight_scale`)!;
      expect([packed.dtype, packed.dims]).toEqual(['int32', [rows, cols / 8]]);
      expect([scale.dtype, scale.dims]).toEqual(['float16', [rows, cols / 128]]);
      expect(Array.from(new BigInt64Array(ct.get(`${p}.weight_shape`)!.raw().buffer), Number)).toEqual([rows, cols]);
      const back = unpackQuantized(new Int32Array(packed.raw().buffer), scale.f32(), rows, cols);
      // The dense twin is stored in fp16: decoded values rounded the same way must agree.
      const d = dense.get(`${p}.weight`)!.f32();
      const { roundTo } = await import('../../main/core/model/hf/ct-format');
      expect(sameValues(roundTo('float16', back), d)).toBe(true);
      expect(new Set(Array.from(back.subarray(0, 128), (v, i) => Math.round(v / scale.f32()[Math.floor(i / 128)]))).size).toBeLessThanOrEqual(16);
    }
    // The packed checkpoint decodes on read; its logits equal the dense twin's up to the fp16 rounding of the latter.
    const ids = parseNpy(new Uint8Array(fs.readFileSync(path.join(FIX, 'reference-input.npy'))));
    const { forwardLogits } = await import('../../main/core/llm/forward');
    const shape = { batch: ids.shape[0], seq: ids.shape[1] };
    const idv = Int32Array.from(ids.data as BigInt64Array, Number);
    const [fc, fd] = [HfFolder.open(out), HfFolder.open(path.join(out, 'dense'))];
    const lc = forwardLogits(fc, idv, shape);
    const ld = forwardLogits(fd, idv, shape);
    fc.close();
    fd.close();
    let m = 0;
    for (let i = 0; i < lc.length; i++) m = Math.max(m, Math.abs(lc[i] - ld[i]));
    expect(m).toBeLessThan(0.01);
    const inf = await run(['infer', path.join(out, 'dense'), '--input', `input_ids=${path.join(FIX, 'reference-input.npy')}`, '--json']);
    expect(inf.code, inf.err).toBe(0);
    expect(JSON.parse(inf.out).outputs.logits.dims).toEqual([2, 48, 128]);
  });

  it('--method wanda --sparsity 0.5 --quant int8 -> int-quantized W8A8, per-channel scales, 50% zeros kept', async () => {
    const out = path.join(tmp, 'wanda-int8');
    const r = await run(['compress', MODEL, '--method', 'wanda', '--sparsity', '0.5', '--quant', 'int8', '--calib', CALIB, '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!).sparsity).toBeGreaterThanOrEqual(0.5);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(cfg.quantization_config).toMatchObject({ quant_method: 'compressed-tensors', format: 'int-quantized', sparsity_config: { format: 'dense', sparsity_structure: 'unstructured' } });
    expect(cfg.quantization_config.config_groups.group_0).toMatchObject({ weights: { num_bits: 8, strategy: 'channel', symmetric: true }, input_activations: { num_bits: 8, strategy: 'token', dynamic: true } });
    const ct = tensors(out);
    const dense = tensors(path.join(out, 'dense'));
    const c = HfFolder.open(MODEL).config;
    const { roundTo } = await import('../../main/core/model/hf/ct-format');
    for (const lin of LINEARS) {
      const [rows, cols] = linearShape(c, lin);
      const p = linearName(0, lin).replace(/\.weight$/, '');
      const w = ct.get(`${p}.weight`)!;
      const s = ct.get(`${p}.weight_scale`)!;
      expect([w.dtype, w.dims, s.dims]).toEqual(['int8', [rows, cols], [rows, 1]]);
      const raw = w.raw();
      const back = unpackInt8(new Int8Array(raw.buffer, raw.byteOffset, raw.length), s.f32(), rows, cols);
      expect(sameValues(roundTo('float16', back), dense.get(`${p}.weight`)!.f32())).toBe(true);
    }
    const inf = await run(['infer', path.join(out, 'dense'), '--input', `input_ids=${path.join(FIX, 'reference-input.npy')}`]);
    expect(inf.code, inf.err).toBe(0);
  });

  it('sequential SparseGPT beats the one-shot variant; DSnoT after Wanda 70% beats Wanda alone', async () => {
    const cfg = HfFolder.open(MODEL).config;
    const held = await loadTokens(HELD, cfg);
    const ppl = async (name: string, req: Record<string, unknown>) => {
      const out = path.join(tmp, name);
      await compressLlm({ model: MODEL, out, calib: CALIB, ...req });
      const f = HfFolder.open(path.join(out, 'dense'));
      try {
        return perplexity(f, held);
      } finally {
        f.close();
      }
    };
    const seq = await ppl('seq', { method: 'sparsegpt', sparsity: 0.7 });
    const oneShot = await ppl('oneshot', { method: 'sparsegpt', sparsity: 0.7, sequential: false });
    const wanda = await ppl('wanda70', { method: 'wanda', sparsity: 0.7 });
    const dsnot = await ppl('dsnot70', { method: 'wanda', sparsity: 0.7, dsnot: true });
    console.log(`perplexity at 70%: SparseGPT sequential ${seq.toFixed(4)}, one-shot ${oneShot.toFixed(4)}; Wanda ${wanda.toFixed(4)}, Wanda+DSnoT ${dsnot.toFixed(4)}`);
    expect(seq).toBeLessThan(oneShot);
    expect(dsnot).toBeLessThan(wanda);
  });

  it('calibrates from text through the folder tokenizer, and refuses what it cannot do', async () => {
    const text = path.join(tmp, 'calib.txt');
    const ids = toFloat32(parseNpy(new Uint8Array(fs.readFileSync(CALIB))));
    fs.writeFileSync(text, Array.from(ids, (i) => `w${i}`).join(' '));
    const cfg = HfFolder.open(MODEL).config;
    const fromText = await loadTokens(text, cfg, { seqLen: 64, tokenizerPath: path.join(MODEL, 'tokenizer.json') });
    expect(Array.from(fromText.ids.subarray(0, 64))).toEqual(Array.from(ids.subarray(0, 64)));
    const r = await run(['compress', MODEL, '--method', 'wanda', '--sparsity', '0.5', '--calib', text, '--seq-len', '64', '--samples', '4', '--out', path.join(tmp, 'text')]);
    expect(r.code, r.err).toBe(0);
    const noCalib = await run(['compress', MODEL, '--method', 'sparsegpt', '--pattern', '2:4', '--out', path.join(tmp, 'x')]);
    expect([noCalib.code, noCalib.err]).toEqual([2, expect.stringMatching(/--calib/)]);
    const badGroup = await run(['compress', MODEL, '--quant', 'int4', '--group-size', '96', '--calib', CALIB, '--out', path.join(tmp, 'y')]);
    expect([badGroup.code, badGroup.err]).toEqual([2, expect.stringMatching(/group size 96/)]);
    const dsnot24 = await run(['compress', MODEL, '--method', 'wanda', '--pattern', '2:4', '--dsnot', '--calib', CALIB, '--out', path.join(tmp, 'z')]);
    expect([dsnot24.code, dsnot24.err]).toEqual([2, expect.stringMatching(/DSnoT/)]);
  });
});
