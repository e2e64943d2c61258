// Binding of the decoder-block pieces (kernels/transformer): synchronous calls on the caller's
// typed arrays; main/core/native/transformer.ts validates first and composes a block from them.
#include <string>

#include "binding/registry.h"
#include "kernels/transformer/transformer.h"

namespace {

using tf::bind::checked_product;
using tf::bind::size_value;
using tf::bind::typed_len;

// (x, rows, dim, weight, eps, out)
Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 6, "llmRmsNorm");
  size_t rows = size_value(info[1], "rows"), dim = size_value(info[2], "dim");
  size_t n = checked_product(rows, dim, "x");
  auto x = typed_len<const float>(info[0], n, "x");
  auto w = typed_len<const float>(info[3], dim, "weight");
  float eps = float(tf::bind::number(info[4], "eps"));
  auto out = typed_len<float>(info[5], n, "out");
  tf::transformer::rmsnorm_f32(x.data, rows, dim, w.data, eps, out.data);
  return info.Env().Undefined();
}

// (x, tokens, heads, headDim, positions Int32Array, invFreq)
Napi::Value Rope(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 6, "llmRope");
  size_t tokens = size_value(info[1], "tokens"), heads = size_value(info[2], "heads"), hd = size_value(info[3], "headDim");
  if (hd % 2) tf::bind::throw_range("headDim", "headDim must be even");
  auto x = typed_len<float>(info[0], checked_product(checked_product(tokens, heads, "x"), hd, "x"), "x");
  auto pos = typed_len<const int32_t>(info[4], tokens, "positions");
  auto inv = typed_len<const float>(info[5], hd / 2, "invFreq");
  tf::transformer::rope_f32(x.data, tokens, heads, hd, pos.data, inv.data);
  return info.Env().Undefined();
}

// (q, k, v, out, {batch, seq, heads, kvHeads, headDim, window})
Napi::Value Attention(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 5, "llmAttention");
  Napi::Object o = tf::bind::object(info[4], "shape");
  tf::transformer::AttentionShape s;
  s.batch = size_value(o.Get("batch"), "batch");
  s.seq = size_value(o.Get("seq"), "seq");
  s.heads = size_value(o.Get("heads"), "heads");
  s.kv_heads = size_value(o.Get("kvHeads"), "kvHeads");
  s.head_dim = size_value(o.Get("headDim"), "headDim");
  s.window = tf::bind::opt_size(o, "window", 0);
  if (s.kv_heads == 0 || s.heads % s.kv_heads) tf::bind::throw_range("kvHeads", "heads must be a positive multiple of kvHeads");
  size_t tokens = checked_product(s.batch, s.seq, "q");
  auto q = typed_len<const float>(info[0], checked_product(tokens, s.heads * s.head_dim, "q"), "q");
  auto k = typed_len<const float>(info[1], checked_product(tokens, s.kv_heads * s.head_dim, "k"), "k");
  auto v = typed_len<const float>(info[2], k.size, "v");
  auto out = typed_len<float>(info[3], q.size, "out");
  tf::transformer::attention_f32(q.data, k.data, v.data, out.data, s);
  return info.Env().Undefined();
}

// (gate, up): gate = silu(gate) * up
Napi::Value SiluMul(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 2, "llmSiluMul");
  auto g = tf::bind::typed<float>(info[0], "gate");
  auto u = typed_len<const float>(info[1], g.size, "up");
  tf::transformer::silu_mul_f32(g.data, u.data, g.size);
  return info.Env().Undefined();
}

// (x, rows, in, w, out, bias|null, y)
Napi::Value Linear(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 7, "llmLinear");
  size_t rows = size_value(info[1], "rows"), in = size_value(info[2], "in"), outf = size_value(info[4], "out");
  auto x = typed_len<const float>(info[0], checked_product(rows, in, "x"), "x");
  auto w = typed_len<const float>(info[3], checked_product(outf, in, "w"), "w");
  const float* bias = nullptr;
  if (!info[5].IsNull() && !info[5].IsUndefined()) bias = typed_len<const float>(info[5], outf, "bias").data;
  auto y = typed_len<float>(info[6], checked_product(rows, outf, "y"), "y");
  tf::transformer::linear_f32(x.data, rows, in, w.data, outf, bias, y.data);
  return info.Env().Undefined();
}

}  // namespace

TF_BINDING(transformer) {
  exports.Set("llmRmsNorm", tf::bind::function(env, "llmRmsNorm", RmsNorm));
  exports.Set("llmRope", tf::bind::function(env, "llmRope", Rope));
  exports.Set("llmAttention", tf::bind::function(env, "llmAttention", Attention));
  exports.Set("llmSiluMul", tf::bind::function(env, "llmSiluMul", SiluMul));
  exports.Set("llmLinear", tf::bind::function(env, "llmLinear", Linear));
}
