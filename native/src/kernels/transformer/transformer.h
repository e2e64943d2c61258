// The pieces of a pre-norm decoder block (Llama, Mistral, Qwen2) in fp32: RMSNorm, rotary
// position embedding, causal grouped-query attention, the SiLU gate and linear layers (the
// shared sgemm). Activations are row-major [tokens, features]; a batch is `batch` sequences of
// `seq` tokens laid back to back. Each function is multi-threaded over rows or heads.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tf::transformer {

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, per row of `dim` (out may alias x).
void rmsnorm_f32(const float* x, size_t rows, size_t dim, const float* weight, float eps, float* out);

// Rotates every head of x [tokens, heads * head_dim] in place, the rotate-half convention of
// Hugging Face Llama: pairs (i, i + head_dim/2) by angle positions[t] * inv_freq[i].
void rope_f32(float* x, size_t tokens, size_t heads, size_t head_dim, const int32_t* positions, const float* inv_freq);

struct AttentionShape {
  size_t batch = 1, seq = 0;
  size_t heads = 0, kv_heads = 0, head_dim = 0;
  // Keys more than window-1 positions back are masked (0 = no window).
  size_t window = 0;
};

// Causal softmax attention: q [batch*seq, heads*head_dim], k and v [batch*seq, kv_heads*head_dim]
// (query head h reads kv head h / (heads / kv_heads)), out like q. Scale 1/sqrt(head_dim).
void attention_f32(const float* q, const float* k, const float* v, float* out, const AttentionShape& s);

// gate[i] = silu(gate[i]) * up[i].
void silu_mul_f32(float* gate, const float* up, size_t n);

// y [rows, out] = x [rows, in] · wᵀ (+ bias): w is a torch Linear weight [out, in].
void linear_f32(const float* x, size_t rows, size_t in, const float* w, size_t out, const float* bias, float* y);

}  // namespace tf::transformer
