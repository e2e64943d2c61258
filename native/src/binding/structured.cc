// Binding of structured-pruning scores and masks (kernels/structured).
#include "binding/registry.h"
#include "kernels/structured/structured.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

tf::structured::Norm parse_norm(Napi::Value v) {
  std::string s = tf::bind::string(v, "norm");
  if (s == "l1") return tf::structured::Norm::L1;
  if (s == "l2") return tf::structured::Norm::L2;
  tf::bind::throw_range("norm", "norm must be 'l1' or 'l2', got '" + s + "'");
}

// (x, rows, cols, perRow, norm, out)
Napi::Value ChannelNorms(const Napi::CallbackInfo& info) {
  auto x = typed<const float>(info[0], "weights");
  size_t rows = size_value(info[1], "rows"), cols = size_value(info[2], "cols");
  tf::bind::require_length(x.size, tf::bind::checked_product(rows, cols, "weights"), "weights");
  bool per_row = tf::bind::boolean(info[3], "perRow");
  auto norm = parse_norm(info[4]);
  auto out = typed_len<float>(info[5], per_row ? rows : cols, "out");
  tf::structured::channel_norms(x.data, rows, cols, per_row, norm, out.data);
  return info.Env().Undefined();
}

tf::structured::BlockShape parse_blocks(const Napi::CallbackInfo& info, size_t len) {
  tf::structured::BlockShape s;
  s.rows = size_value(info[1], "rows");
  s.cols = size_value(info[2], "cols");
  s.br = size_value(info[3], "blockRows");
  s.bc = size_value(info[4], "blockCols");
  tf::bind::require_length(len, tf::bind::checked_product(s.rows, s.cols, "weights"), "weights");
  if (s.br < 1) tf::bind::throw_range("blockRows", "blockRows must be >= 1");
  if (s.bc < 1) tf::bind::throw_range("blockCols", "blockCols must be >= 1");
  return s;
}

// (x, rows, cols, br, bc, norm, scores)
Napi::Value BlockScores(const Napi::CallbackInfo& info) {
  auto x = typed<const float>(info[0], "weights");
  auto s = parse_blocks(info, x.size);
  auto norm = parse_norm(info[5]);
  auto scores = typed_len<float>(info[6], s.block_rows() * s.block_cols(), "scores");
  tf::structured::block_scores(x.data, s, norm, scores.data);
  return info.Env().Undefined();
}

// (x, rows, cols, br, bc, norm, sparsity, mask, scores|null) -> prunedBlocks
Napi::Value BlockMask(const Napi::CallbackInfo& info) {
  auto x = typed<const float>(info[0], "weights");
  auto s = parse_blocks(info, x.size);
  auto norm = parse_norm(info[5]);
  double sparsity = tf::bind::number(info[6], "sparsity");
  auto mask = typed_len<uint8_t>(info[7], x.size, "mask");
  float* scores = nullptr;
  if (!info[8].IsNull() && !info[8].IsUndefined())
    scores = typed_len<float>(info[8], s.block_rows() * s.block_cols(), "scores").data;
  size_t pruned = tf::structured::block_mask(x.data, s, norm, sparsity, mask.data, scores);
  return Napi::Number::New(info.Env(), double(pruned));
}

// (w, xnorm, rows, cols, axis, out)
Napi::Value WandaScores(const Napi::CallbackInfo& info) {
  auto w = typed<const float>(info[0], "weights");
  size_t rows = size_value(info[2], "rows"), cols = size_value(info[3], "cols");
  tf::bind::require_length(w.size, tf::bind::checked_product(rows, cols, "weights"), "weights");
  int axis = int(tf::bind::int_value(info[4], "axis"));
  if (axis != 0 && axis != 1) tf::bind::throw_range("axis", "axis must be 0 or 1");
  auto xn = typed_len<const float>(info[1], axis == 1 ? cols : rows, "inputNorms");
  auto out = typed_len<float>(info[5], w.size, "out");
  tf::structured::wanda_scores(w.data, xn.data, rows, cols, axis, out.data);
  return info.Env().Undefined();
}

}  // namespace

TF_BINDING(structured) {
  using tf::bind::function;
  exports.Set("channelNorms", function(env, "channelNorms", ChannelNorms));
  exports.Set("blockScores", function(env, "blockScores", BlockScores));
  exports.Set("blockMask", function(env, "blockMask", BlockMask));
  exports.Set("wandaScores", function(env, "wandaScores", WandaScores));
}
