// The Hugging Face folder reader and the native decoder forward, against the independent
// PyTorch reference written by scripts/make-tiny-llama.py (tests/fixtures/llm).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.setConfig({ testTimeout: 120_000 });
import { main } from '../../main/cli/main';
import { parseNpy, toFloat32 } from '../../main/core/data/npy';
import { parseLlmConfig, ropeInvFreq } from '../../main/core/model/hf/config';
import { HfFolder } from '../../main/core/model/hf/folder';
import { saveSafetensors } from '../../main/core/model/safetensors/writer';
import { encodeFromNumbers } from '../../main/core/model/dtype';
import { forwardLogits } from '../../main/core/llm/forward';

const FIX = path.resolve(__dirname, '../fixtures/llm');
const MODEL = path.join(FIX, 'tiny-llama');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-llm-fwd-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false });
  return { code, out, err };
}

const npy = (f: string) => parseNpy(new Uint8Array(fs.readFileSync(f)), f);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function std(a: Float32Array): number {
  let s = 0;
  let s2 = 0;
  for (const v of a) {
    s += v;
    s2 += v * v;
  }
  const mean = s / a.length;
  return Math.sqrt(s2 / a.length - mean * mean);
}

const reference = toFloat32(npy(path.join(FIX, 'reference-logits.npy')));
const refIds = npy(path.join(FIX, 'reference-input.npy'));

describe('config.json', () => {
  const base = { architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 100 };
  it('refuses other architectures, naming them', () => {
    expect(() => parseLlmConfig(JSON.stringify({ ...base, architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }))).toThrow(/GPT2LMHeadModel.*not supported/);
    expect(() => parseLlmConfig(JSON.stringify({ ...base, architectures: ['PhiForCausalLM'] }))).toThrow(/PhiForCausalLM/);
  });
  it('reads Llama, Mistral and Qwen2 variants', () => {
    const l = parseLlmConfig(JSON.stringify(base));
    expect([l.architecture, l.numKvHeads, l.headDim, l.attentionBias, l.tieWordEmbeddings]).toEqual(['llama', 4, 16, false, false]);
    const q = parseLlmConfig(JSON.stringify({ ...base, architectures: ['Qwen2ForCausalLM'], num_key_value_heads: 2, tie_word_embeddings: true, sliding_window: 32, use_sliding_window: false }));
    expect([q.architecture, q.numKvHeads, q.attentionBias, q.tieWordEmbeddings, q.slidingWindow]).toEqual(['qwen2', 2, true, true, 0]);
    const m = parseLlmConfig(JSON.stringify({ ...base, architectures: ['MistralForCausalLM'], sliding_window: 32 }));
    expect([m.architecture, m.slidingWindow]).toEqual(['mistral', 32]);
  });
  it('applies llama3 rope scaling by wavelength band', () => {
    const cfg = parseLlmConfig(JSON.stringify({ ...base, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } }));
    const plain = ropeInvFreq({ ...cfg, ropeScaling: undefined });
    const scaled = ropeInvFreq(cfg);
    expect(scaled[0]).toBe(plain[0]); // short wavelength: kept
    expect(scaled[scaled.length - 1]).toBeCloseTo(plain[plain.length - 1] / 8, 12); // long: slowed by factor
    expect(() => parseLlmConfig(JSON.stringify({ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }))).toThrow(/yarn/);
  });
  it('refuses quantized checkpoints and broken head counts', () => {
    expect(() => parseLlmConfig(JSON.stringify({ ...base, quantization_config: { quant_method: 'gptq' } }))).toThrow(/already quantized/);
    expect(() => parseLlmConfig(JSON.stringify({ ...base, num_key_value_heads: 3 }))).toThrow(/multiple/);
  });
});

describe.each([
  ['tiny-qwen2', 'q/k/v biases, tied embeddings, 1 kv head, bf16'],
  ['tiny-mistral', 'sliding window 16 < 40 tokens, fp32'],
])('%s (%s)', (name) => {
  it('twinforge infer matches the PyTorch reference logits', async () => {
    const dir = path.join(FIX, name);
    const out = path.join(tmp, `${name}.npy`);
    const r = await run(['infer', dir, '--input', `input_ids=${path.join(dir, 'input.npy')}`, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const ref = toFloat32(npy(path.join(dir, 'logits.npy')));
    expect(maxAbsDiff(toFloat32(npy(out)), ref)).toBeLessThanOrEqual(1e-3 * std(ref));
  });
});

describe('tiny Llama fixture (GQA, untied head, fp16, llama3 rope)', () => {
  it('inspect shows the decoder structure', async () => {
    const r = await run(['inspect', MODEL, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ architecture: 'LlamaForCausalLM', layers: 2, heads: 4, kvHeads: 2, hidden: 128, intermediate: 256, vocab: 128, tiedEmbeddings: false, dtype: 'float16', tokenizer: true });
    expect(j.parameters.perBlock).toBe(128 * 128 * 2 + 2 * 128 * 64 + 3 * 128 * 256 + 2 * 128);
    const t = await run(['inspect', MODEL]);
    expect(t.out).toMatch(/grouped-query attention/);
  });

  it('twinforge infer matches the PyTorch reference logits (max abs error <= 1e-3 x logit std)', async () => {
    const out = path.join(tmp, 'logits.npy');
    const r = await run(['infer', MODEL, '--input', `input_ids=${path.join(FIX, 'reference-input.npy')}`, '--out', out]);
    expect(r.code, r.err).toBe(0);
    const got = npy(out);
    expect(got.shape).toEqual([...refIds.shape, 128]);
    const err = maxAbsDiff(toFloat32(got), reference);
    expect(err).toBeLessThanOrEqual(1e-3 * std(reference));
  });

  it('reads the same model sharded with an index, and in fp32 and bf16', () => {
    const f = HfFolder.open(MODEL);
    const names = f.names();
    const ids = Int32Array.from(refIds.data as BigInt64Array, Number);
    const shape = { batch: refIds.shape[0], seq: refIds.shape[1] };
    for (const [dtype, tol] of [['float32', 1e-3], ['bfloat16', 0.5]] as const) {
      const dir = path.join(tmp, `sharded-${dtype}`);
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(path.join(MODEL, 'config.json'), path.join(dir, 'config.json'));
      const half = Math.ceil(names.length / 2);
      const map: Record<string, string> = {};
      [names.slice(0, half), names.slice(half)].forEach((group, k) => {
        const file = `model-0000${k + 1}-of-00002.safetensors`;
        saveSafetensors(path.join(dir, file), group.map((n) => ({ name: n, dtype, dims: f.weight(n).dims, bytes: encodeFromNumbers(dtype, f.tensor(n)) })));
        for (const n of group) map[n] = file;
      });
      fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: map }));
      const s = HfFolder.open(dir);
      expect(s.shards.length).toBe(2);
      const logits = forwardLogits(s, ids, shape);
      s.close();
      // fp16 -> fp32 is exact, so fp32 shards give the reference; bf16 rounds the weights.
      expect(maxAbsDiff(logits, reference)).toBeLessThanOrEqual(tol * (dtype === 'float32' ? std(reference) : 1));
    }
    f.close();
  });

  it('refuses a folder with a missing shard or tensor, naming it', () => {
    const dir = path.join(tmp, 'broken');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(MODEL, 'config.json'), path.join(dir, 'config.json'));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00001-of-00002.safetensors' } }));
    expect(() => HfFolder.open(dir)).toThrow(/model-00001-of-00002.safetensors, which is missing/);
    fs.rmSync(path.join(dir, 'model.safetensors.index.json'));
    const f = HfFolder.open(MODEL);
    saveSafetensors(path.join(dir, 'model.safetensors'), [{ name: 'model.norm.weight', weight: f.weight('model.norm.weight') }]);
    f.close();
    expect(() => HfFolder.open(dir)).toThrow(/model.embed_tokens.weight is missing/);
  });

  it('infer refuses token ids outside the vocabulary', async () => {
    const bad = path.join(tmp, 'bad-ids.npy');
    const { writeNpy } = await import('../../main/core/data/npy');
    fs.writeFileSync(bad, writeNpy({ dtype: 'int64', shape: [1, 3], data: BigInt64Array.from([1n, 500n, 2n]) }));
    const r = await run(['infer', MODEL, '--input', `input_ids=${bad}`]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/500 is not a token id/);
  });
});
