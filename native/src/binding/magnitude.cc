// Binding of the magnitude group (kernels/magnitude): positional, pre-validated arguments
// from main/core/native/index.ts; the checks here only guard the C++ against misuse.
#include <vector>

#include "binding/async_job.h"
#include "binding/registry.h"
#include "kernels/magnitude/magnitude.h"

namespace {

using tf::bind::typed;

std::vector<tf::mag::Tensor> tensor_list(Napi::Value v) {
  Napi::Array arr = tf::bind::array(v, "tensors");
  std::vector<tf::mag::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    auto s = typed<const float>(arr.Get(i), "tensors[" + std::to_string(i) + "]");
    out.push_back({s.data, s.size});
  }
  return out;
}

Napi::Object threshold_object(Napi::Env env, const tf::mag::GlobalThreshold& g) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("threshold", double(g.threshold));
  o.Set("pruneCount", double(g.prune_count));
  o.Set("tiesToPrune", double(g.ties_to_prune));
  o.Set("total", double(g.total));
  o.Set("fallback", g.fallback);
  return o;
}

// kthLargestAbs(tensors, k) -> {value, below, equal}
Napi::Value KthLargestAbs(const Napi::CallbackInfo& info) {
  auto tensors = tensor_list(info[0]);
  auto r = tf::mag::kth_largest_abs(tensors, tf::bind::size_value(info[1], "k"));
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("value", double(r.value));
  o.Set("below", double(r.below));
  o.Set("equal", double(r.equal));
  return o;
}

// globalMagnitudeThreshold(tensors, sparsity) -> {threshold, pruneCount, tiesToPrune, total, fallback}
Napi::Value GlobalThreshold(const Napi::CallbackInfo& info) {
  auto tensors = tensor_list(info[0]);
  return threshold_object(info.Env(), tf::mag::global_threshold(tensors, tf::bind::number(info[1], "sparsity")));
}

// globalMagnitudeThresholdAsync(tensors, sparsity, onProgress?) -> {promise, cancel}
Napi::Value GlobalThresholdAsync(const Napi::CallbackInfo& info) {
  auto tensors = tensor_list(info[0]);
  double sparsity = tf::bind::number(info[1], "sparsity");
  auto result = std::make_shared<tf::mag::GlobalThreshold>();
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.globalMagnitudeThreshold";
  spec.keep_alive = {info[0]};
  spec.on_progress = info[2];
  spec.work = [tensors, sparsity, result](tf::JobControl& ctl) {
    *result = tf::mag::global_threshold(tensors, sparsity, &ctl);
  };
  spec.done = [result](Napi::Env env) -> Napi::Value { return threshold_object(env, *result); };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

// buildMaskByThreshold(weights, threshold, tiesToPrune, mask) -> tiesPruned
Napi::Value BuildMask(const Napi::CallbackInfo& info) {
  auto w = typed<const float>(info[0], "weights");
  double threshold = tf::bind::number(info[1], "threshold");
  size_t ties = tf::bind::size_value(info[2], "tiesToPrune");
  auto mask = tf::bind::typed_len<uint8_t>(info[3], w.size, "mask");
  return Napi::Number::New(info.Env(), double(tf::mag::build_mask(w.data, w.size, float(threshold), ties, mask.data)));
}

// pruneByThreshold(weights, threshold, tiesToPrune) -> tiesPruned (zeroes weights in place)
Napi::Value PruneByThreshold(const Napi::CallbackInfo& info) {
  auto w = typed<float>(info[0], "weights");
  double threshold = tf::bind::number(info[1], "threshold");
  size_t ties = tf::bind::size_value(info[2], "tiesToPrune");
  return Napi::Number::New(info.Env(), double(tf::mag::prune_by_threshold(w.data, w.size, float(threshold), ties)));
}

// applyMask(weights, mask): zeroes weights where mask == 0, in place.
Napi::Value ApplyMask(const Napi::CallbackInfo& info) {
  auto w = typed<float>(info[0], "weights");
  auto mask = tf::bind::typed_len<const uint8_t>(info[1], w.size, "mask");
  tf::mag::apply_mask(w.data, mask.data, w.size);
  return info.Env().Undefined();
}

Napi::Value CountNonzero(const Napi::CallbackInfo& info) {
  auto w = typed<const float>(info[0], "weights");
  return Napi::Number::New(info.Env(), double(tf::mag::count_nonzero(w.data, w.size)));
}

Napi::Value CountNonzeroMask(const Napi::CallbackInfo& info) {
  auto m = typed<const uint8_t>(info[0], "mask");
  return Napi::Number::New(info.Env(), double(tf::mag::count_nonzero_mask(m.data, m.size)));
}

}  // namespace

TF_BINDING(magnitude) {
  using tf::bind::function;
  exports.Set("kthLargestAbs", function(env, "kthLargestAbs", KthLargestAbs));
  exports.Set("globalMagnitudeThreshold", function(env, "globalMagnitudeThreshold", GlobalThreshold));
  exports.Set("globalMagnitudeThresholdAsync", function(env, "globalMagnitudeThresholdAsync", GlobalThresholdAsync));
  exports.Set("buildMaskByThreshold", function(env, "buildMaskByThreshold", BuildMask));
  exports.Set("pruneByThreshold", function(env, "pruneByThreshold", PruneByThreshold));
  exports.Set("applyMask", function(env, "applyMask", ApplyMask));
  exports.Set("countNonzero", function(env, "countNonzero", CountNonzero));
  exports.Set("countNonzeroMask", function(env, "countNonzeroMask", CountNonzeroMask));
}
