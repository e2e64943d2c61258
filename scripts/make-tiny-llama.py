#!/usr/bin/python3
"""Writes the tiny Llama-family fixture of the LLM tests and its reference logits.

tests/fixtures/llm/tiny-llama/: a 2-block Llama 3-style decoder (grouped-query attention with
4 query / 2 key-value heads, untied lm head, rope_scaling 'llama3', fp16 weights) trained for a
few hundred steps on a synthetic language (a sparse bigram chain plus copied spans), so pruning
and quantization change its perplexity measurably. Also written: tokenizer.json (WordPiece over
whitespace words w0..w127), calib.npy / heldout.npy token ids and reference-logits.npy: the
logits of heldout.npy's first rows computed here by an independent PyTorch implementation of the
Llama forward (fp32 compute from the fp16 weights), which `twinforge infer` must reproduce.

Needs only Debian's python3-torch and numpy (no transformers, no safetensors package):
    /usr/bin/python3 scripts/make-tiny-llama.py
"""
import json
import math
import os
import struct

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'llm', 'tiny-llama')
CFG = dict(
    architectures=['LlamaForCausalLM'], model_type='llama', hidden_size=128, intermediate_size=256,
    num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=128,
    rms_norm_eps=1e-5, rope_theta=500000.0, max_position_embeddings=256, hidden_act='silu',
    tie_word_embeddings=False, torch_dtype='float16', bos_token_id=1, eos_token_id=2,
    rope_scaling=dict(rope_type='llama3', factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                      original_max_position_embeddings=64),
)
SEQ = 64


def inv_freq(cfg):
    hd = cfg['hidden_size'] // cfg['num_attention_heads']
    f = 1.0 / (cfg['rope_theta'] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    s = cfg.get('rope_scaling')
    if not s:
        return f.float()
    low_wave = s['original_max_position_embeddings'] / s['low_freq_factor']
    high_wave = s['original_max_position_embeddings'] / s['high_freq_factor']
    wave = 2 * math.pi / f
    smooth = (s['original_max_position_embeddings'] / wave - s['low_freq_factor']) / (s['high_freq_factor'] - s['low_freq_factor'])
    blended = (1 - smooth) * f / s['factor'] + smooth * f
    out = torch.where(wave > low_wave, f / s['factor'], torch.where(wave < high_wave, f, blended))
    return out.float()


class Tiny(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        h, i = c['hidden_size'], c['intermediate_size']
        self.c = c
        self.hd = h // c['num_attention_heads']
        kv = c['num_key_value_heads'] * self.hd
        L = torch.nn.Linear
        self.embed = torch.nn.Embedding(c['vocab_size'], h)
        self.layers = torch.nn.ModuleList()
        qkv_bias = c.get('model_type') == 'qwen2'
        for _ in range(c['num_hidden_layers']):
            m = torch.nn.Module()
            m.ln1 = torch.nn.Parameter(torch.ones(h))
            m.ln2 = torch.nn.Parameter(torch.ones(h))
            m.q, m.k, m.v, m.o = L(h, h, bias=qkv_bias), L(h, kv, bias=qkv_bias), L(h, kv, bias=qkv_bias), L(h, h, bias=False)
            m.gate, m.up, m.down = L(h, i, bias=False), L(h, i, bias=False), L(i, h, bias=False)
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(h))
        self.head = L(h, c['vocab_size'], bias=False)
        if c['tie_word_embeddings']:
            self.head.weight = self.embed.weight
        self.register_buffer('inv_freq', inv_freq(c))

    def rms(self, x, w):
        var = x.pow(2).mean(-1, keepdim=True)
        return w * (x * torch.rsqrt(var + self.c['rms_norm_eps']))

    def rope(self, x, cos, sin):
        half = x.shape[-1] // 2
        rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * cos + rot * sin

    def forward(self, ids):
        B, T = ids.shape
        H, KV, D = self.c['num_attention_heads'], self.c['num_key_value_heads'], self.hd
        pos = torch.arange(T, dtype=torch.float32)
        ang = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat([ang, ang], dim=-1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((T, T), float('-inf')).triu(1)
        win = self.c.get('sliding_window') if self.c['model_type'] == 'mistral' else None
        if win:  # Mistral: key j is visible to query i only when i - j < window
            mask = mask + torch.full((T, T), float('-inf')).tril(-win)
        x = self.embed(ids)
        for m in self.layers:
            a = self.rms(x, m.ln1)
            q = m.q(a).view(B, T, H, D).transpose(1, 2)
            k = m.k(a).view(B, T, KV, D).transpose(1, 2)
            v = m.v(a).view(B, T, KV, D).transpose(1, 2)
            q, k = self.rope(q, cos, sin), self.rope(k, cos, sin)
            k = k.repeat_interleave(H // KV, dim=1)
            v = v.repeat_interleave(H // KV, dim=1)
            att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, dim=-1)
            o = (att @ v).transpose(1, 2).reshape(B, T, H * D)
            x = x + m.o(o)
            b = self.rms(x, m.ln2)
            x = x + m.down(torch.nn.functional.silu(m.gate(b)) * m.up(b))
        return self.head(self.rms(x, self.norm))

    def hf_state(self):
        out = {'model.embed_tokens.weight': self.embed.weight, 'model.norm.weight': self.norm}
        if not self.c['tie_word_embeddings']:
            out['lm_head.weight'] = self.head.weight
        for i, m in enumerate(self.layers):
            p = f'model.layers.{i}'
            out[f'{p}.input_layernorm.weight'] = m.ln1
            out[f'{p}.post_attention_layernorm.weight'] = m.ln2
            for n, lin in (('q', m.q), ('k', m.k), ('v', m.v), ('o', m.o)):
                out[f'{p}.self_attn.{n}_proj.weight'] = lin.weight
                if lin.bias is not None:
                    out[f'{p}.self_attn.{n}_proj.bias'] = lin.bias
            for n, lin in (('gate', m.gate), ('up', m.up), ('down', m.down)):
                out[f'{p}.mlp.{n}_proj.weight'] = lin.weight
        return out


def corpus(rng, n, vocab):
    """Sparse bigram chain (4 likely successors per word) with copied spans for attention."""
    succ = rng.integers(3, vocab, size=(vocab, 4))
    probs = np.array([0.55, 0.25, 0.12, 0.08])
    seqs = np.zeros((n, SEQ), dtype=np.int64)
    for r in range(n):
        t = int(rng.integers(3, vocab))
        for j in range(SEQ):
            seqs[r, j] = t
            t = int(succ[t, rng.choice(4, p=probs)])
        if r % 2 == 0:  # repeat the first 16 words later in the row
            at = int(rng.integers(24, SEQ - 16))
            seqs[r, at:at + 16] = seqs[r, :16]
    return seqs


def save_safetensors(path, tensors, dtype='F16'):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach()
        if dtype == 'F16':
            b = t.to(torch.float16).numpy().astype('<f2').tobytes()
        elif dtype == 'BF16':  # bf16 = the high half of the fp32 bits (t is already bf16-exact)
            b = (t.to(torch.bfloat16).to(torch.float32).numpy().astype('<f4').view('<u4') >> 16).astype('<u2').tobytes()
        else:
            b = t.to(torch.float32).numpy().astype('<f4').tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def tokenizer_json(vocab):
    words = {'[UNK]': 0, '<s>': 1, '</s>': 2}
    for i in range(3, vocab):
        words[f'w{i}'] = i
    return {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': [], 'normalizer': None,
        'pre_tokenizer': {'type': 'WhitespaceSplit'}, 'post_processor': None, 'decoder': None,
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##',
                  'max_input_chars_per_word': 100, 'vocab': words},
    }


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    os.makedirs(OUT, exist_ok=True)
    data = corpus(rng, 2048 + 64, CFG['vocab_size'])
    train, calib, held = data[:2048], data[2048:2048 + 32], data[2048 + 32:]
    model = Tiny(CFG)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    tr = torch.from_numpy(train)
    for step in range(400):
        idx = torch.randint(0, tr.shape[0], (32,))
        batch = tr[idx]
        logits = model(batch[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, CFG['vocab_size']), batch[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            print(f'step {step} loss {loss.item():.3f}')
    # The stored model is the fp16 one: round the weights, then compute the reference in fp32.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.float16).to(torch.float32))
    save_safetensors(os.path.join(OUT, 'model.safetensors'), model.hf_state())
    with open(os.path.join(OUT, 'config.json'), 'w') as f:
        json.dump(CFG, f, indent=2)
    with open(os.path.join(OUT, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer_json(CFG['vocab_size']), f)
    fix = os.path.join(OUT, '..')
    np.save(os.path.join(fix, 'calib.npy'), calib.astype(np.int64))
    np.save(os.path.join(fix, 'heldout.npy'), held.astype(np.int64))
    ref_ids = torch.from_numpy(held[:2, :48])
    np.save(os.path.join(fix, 'reference-input.npy'), ref_ids.numpy().astype(np.int64))
    with torch.no_grad():
        ref = model(ref_ids).numpy().astype(np.float32)
        ppl = torch.nn.functional.cross_entropy(model(torch.from_numpy(held[:, :-1])).reshape(-1, CFG['vocab_size']), torch.from_numpy(held[:, 1:]).reshape(-1)).exp().item()
    np.save(os.path.join(fix, 'reference-logits.npy'), ref)
    print(f'reference logits {ref.shape}, std {ref.std():.3f}; held-out perplexity {ppl:.3f}')


# Untrained variants that cover what the Llama fixture does not: Qwen2 (q/k/v biases, tied
# embeddings, bf16 weights) and Mistral (sliding window shorter than the sequence, fp32).
VARIANTS = {
    'tiny-qwen2': (dict(architectures=['Qwen2ForCausalLM'], model_type='qwen2', hidden_size=64, intermediate_size=96,
                        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, vocab_size=64, rms_norm_eps=1e-6,
                        rope_theta=1000000.0, max_position_embeddings=128, hidden_act='silu', tie_word_embeddings=True,
                        torch_dtype='bfloat16', sliding_window=32, use_sliding_window=False), 'BF16', torch.bfloat16),
    'tiny-mistral': (dict(architectures=['MistralForCausalLM'], model_type='mistral', hidden_size=32, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, vocab_size=64, rms_norm_eps=1e-5,
                          rope_theta=10000.0, max_position_embeddings=128, hidden_act='silu', tie_word_embeddings=False,
                          torch_dtype='float32', sliding_window=16), 'F32', torch.float32),
}


def variants():
    for name, (cfg, st_dtype, t_dtype) in VARIANTS.items():
        torch.manual_seed(1)
        out = os.path.join(OUT, '..', name)
        os.makedirs(out, exist_ok=True)
        model = Tiny(cfg)
        with torch.no_grad():
            for name_, p in model.named_parameters():
                if p.dim() == 1 and 'bias' not in name_:  # norm weights: not all ones, so they matter
                    p.add_(0.2 * torch.randn_like(p))
                if 'bias' in name_:
                    p.normal_(0, 0.5)
                p.copy_(p.to(t_dtype).to(torch.float32))
        save_safetensors(os.path.join(out, 'model.safetensors'), model.hf_state(), st_dtype)
        with open(os.path.join(out, 'config.json'), 'w') as f:
            json.dump(cfg, f, indent=2)
        ids = torch.randint(0, cfg['vocab_size'], (2, 40))
        np.save(os.path.join(out, 'input.npy'), ids.numpy().astype(np.int64))
        with torch.no_grad():
            np.save(os.path.join(out, 'logits.npy'), model(ids).numpy().astype(np.float32))
        print(f'{name}: written')


if __name__ == '__main__':
    import sys
    if '--variants-only' not in sys.argv:
        main()
    variants()
