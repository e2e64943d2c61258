// The latency model on a decoder's layer shapes: a decode step at batch 1 is bound by reading
// the weights (GEMV), the prefill of a long prompt by compute (GEMM); `inspect FOLDER --target`
// prints both. Shapes: the 1B benchmark's (16 blocks, hidden 2048, intermediate 8192, GQA 32/8).
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../main/cli/main';
import { parseLlmConfig } from '../../main/core/model/hf/config';
import { decoderCost, llmLatency } from '../../main/core/llm/latency';
import { resolveTarget } from '../../main/core/hardware/profile';

const cfg = parseLlmConfig(
  JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 32000, max_position_embeddings: 4096, rms_norm_eps: 1e-5, rope_theta: 10000 }),
  'config.json',
);

describe('LLM layer shapes on a hardware profile', () => {
  it('decode reads every block weight once per token; prefill does the same with prompt-length rows', () => {
    const d = decoderCost(cfg, 1, 513, 2);
    const linears = d.layers.filter((l) => l.weight);
    expect(linears).toHaveLength(16 * 7 + 1);
    expect(linears.every((l) => l.m === 1)).toBe(true);
    // fp16 block linears + the lm head: the bytes one token reads
    expect(d.weightBytes).toBe(2 * (16 * (2048 * 2048 * 2 + 512 * 2048 * 2 + 3 * 2048 * 8192) + 32000 * 2048));
    const p = decoderCost(cfg, 512, 512, 2);
    expect(p.layers.find((l) => l.name === 'model.layers.0.mlp.up_proj')).toMatchObject({ m: 512, n: 8192, k: 2048, flops: 2 * 512 * 8192 * 2048 });
  });

  for (const spec of ['x86-avx512-vnni:onnxruntime-cpu', 'nvidia-hopper:tensorrt']) {
    it(`decode is memory-bound and prefill compute-bound on ${spec}`, () => {
      const l = llmLatency(cfg, resolveTarget(spec), { prompt: 512, weightElementBytes: 2 });
      expect(l.decode.bound.memory).toBeGreaterThan(0.5);
      expect(l.prefill.bound.compute).toBeGreaterThan(0.5);
      // 512 tokens in one call cost far less than 512 decode steps (the weights are read once)
      expect(l.prefill.seconds).toBeLessThan(512 * l.decode.seconds);
      expect(l.prefill.seconds).toBeGreaterThan(l.decode.seconds);
    });
  }

  it('inspect FOLDER --target prints both predictions; a model file is refused the flag', async () => {
    const model = path.resolve(__dirname, '../fixtures/llm/tiny-llama');
    let out = '';
    let err = '';
    const ctx = { out: (s: string) => (out += s), err: (s: string) => (err += s), isTTY: false };
    expect(await main(['inspect', model, '--target', 'x86-avx2:onnxruntime-cpu', '--prompt', '128', '--data-dir', os.tmpdir()], ctx), err).toBe(0);
    expect(out).toMatch(/predicted on x86-avx2:onnxruntime-cpu/);
    expect(out).toMatch(/decode, b=1 +[0-9.]+ ms, (memory|compute)-bound/);
    expect(out).toMatch(/prefill 128 +[0-9.]+ m?s, /);
    out = '';
    expect(await main(['inspect', model, '--target', 'x86-avx2', '--json', '--data-dir', os.tmpdir()], ctx)).toBe(0);
    expect(JSON.parse(out).latency.prefill.tokens).toBe(512);
    err = '';
    expect(await main(['inspect', model, '--prompt', 'x', '--target', 'x86-avx2', '--data-dir', os.tmpdir()], ctx)).toBe(2);
    expect(err).toMatch(/--prompt must be a positive integer/);
  });
});
