// Binding of the CUDA side (kernels/cuda): cudaInfo() never throws and says why there is no
// device; the kernels throw NO_DEVICE without one (a build without nvcc uses the stub).
#include "binding/registry.h"
#include "kernels/cuda/tf_cuda.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const tf::cuda::Info i = tf::cuda::info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", i.built);
  o.Set("devices", double(i.devices.size()));
  o.Set("runtimeVersion", i.runtime_version);
  o.Set("driverVersion", i.driver_version);
  if (!i.error.empty()) o.Set("error", i.error);
  Napi::Array list = Napi::Array::New(env, i.devices.size());
  for (size_t d = 0; d < i.devices.size(); ++d) {
    const auto& dv = i.devices[d];
    Napi::Object x = Napi::Object::New(env);
    x.Set("index", dv.index);
    x.Set("name", dv.name);
    x.Set("computeCapability", std::to_string(dv.cc_major) + "." + std::to_string(dv.cc_minor));
    x.Set("memoryBytes", double(dv.total_bytes));
    x.Set("multiprocessors", dv.multiprocessors);
    x.Set("l2Bytes", double(dv.l2_bytes));
    list.Set(uint32_t(d), x);
  }
  o.Set("deviceList", list);
  return o;
}

// (weights, sparsity) -> {threshold, pruneCount, tiesToPrune, total}
Napi::Value CudaGlobalThreshold(const Napi::CallbackInfo& info) {
  auto w = typed<const float>(info[0], "weights");
  const double sp = tf::bind::number(info[1], "sparsity");
  const auto t = tf::cuda::global_threshold(w.data, w.size, sp);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threshold", t.threshold);
  o.Set("pruneCount", double(t.prune_count));
  o.Set("tiesToPrune", double(t.ties_to_prune));
  o.Set("total", double(t.total));
  return o;
}

// (scores, rows, cols, n, m, axis, magnitude, mask)
Napi::Value CudaNmMask(const Napi::CallbackInfo& info) {
  tf::cuda::NmShape s;
  s.rows = size_value(info[1], "rows");
  s.cols = size_value(info[2], "cols");
  s.n = int(tf::bind::int_value(info[3], "n"));
  s.m = int(tf::bind::int_value(info[4], "m"));
  s.axis = int(tf::bind::int_value(info[5], "axis"));
  s.magnitude = tf::bind::boolean(info[6], "magnitude");
  const size_t cnt = tf::bind::checked_product(s.rows, s.cols, "scores");
  auto scores = typed_len<const float>(info[0], cnt, "scores");
  auto mask = typed_len<uint8_t>(info[7], cnt, "mask");
  tf::cuda::nm_mask(scores.data, s, mask.data);
  return info.Env().Undefined();
}

// (weights, rows, cols, axis, q, scales)
Napi::Value CudaQuantizeInt8(const Napi::CallbackInfo& info) {
  const size_t rows = size_value(info[1], "rows"), cols = size_value(info[2], "cols");
  const int axis = int(tf::bind::int_value(info[3], "axis"));
  if (axis != 0 && axis != 1) tf::bind::throw_range("axis", "axis must be 0 or 1");
  const size_t cnt = tf::bind::checked_product(rows, cols, "weights");
  auto w = typed_len<const float>(info[0], cnt, "weights");
  auto q = typed_len<int8_t>(info[4], cnt, "q");
  auto sc = typed_len<float>(info[5], axis == 0 ? rows : cols, "scales");
  tf::cuda::quantize_int8(w.data, rows, cols, axis, q.data, sc.data);
  return info.Env().Undefined();
}

// (weights, rows, cols, groupSize, symmetric, packed, scales, zeroPoints|null)
Napi::Value CudaQuantizeInt4(const Napi::CallbackInfo& info) {
  const size_t rows = size_value(info[1], "rows"), cols = size_value(info[2], "cols"), group = size_value(info[3], "groupSize");
  const bool sym = tf::bind::boolean(info[4], "symmetric");
  if (group != 32 && group != 64 && group != 128) tf::bind::throw_range("groupSize", "groupSize must be 32, 64 or 128");
  if (cols % group) tf::bind::throw_range("cols", "cols must be a multiple of groupSize");
  const size_t cnt = tf::bind::checked_product(rows, cols, "weights");
  auto w = typed_len<const float>(info[0], cnt, "weights");
  auto packed = typed_len<uint8_t>(info[5], cnt / 2, "packed");
  auto sc = typed_len<float>(info[6], cnt / group, "scales");
  tf::Span<uint8_t> zp;
  if (!sym) zp = typed_len<uint8_t>(info[7], cnt / group, "zeroPoints");
  tf::cuda::quantize_int4(w.data, rows, cols, group, sym, packed.data, sc.data, zp.data);
  return info.Env().Undefined();
}

// (weights, mask): weights[i] = 0 where mask[i] == 0, on the GPU.
Napi::Value CudaApplyMask(const Napi::CallbackInfo& info) {
  auto w = typed<float>(info[0], "weights");
  auto m = typed_len<const uint8_t>(info[1], w.size, "mask");
  if (w.size == 0) return info.Env().Undefined();
  tf::cuda::Buffer dw(w.size * 4), dm(w.size);
  dw.upload(w.data, w.size * 4);
  dm.upload(m.data, w.size);
  tf::cuda::apply_mask_dev(dw.as<float>(), dm.as<uint8_t>(), w.size);
  dw.download(w.data, w.size * 4);
  return info.Env().Undefined();
}

}  // namespace

TF_BINDING(cuda) {
  using tf::bind::function;
  exports.Set("cudaInfo", function(env, "cudaInfo", CudaInfo));
  exports.Set("cudaGlobalThreshold", function(env, "cudaGlobalThreshold", CudaGlobalThreshold));
  exports.Set("cudaApplyMask", function(env, "cudaApplyMask", CudaApplyMask));
  exports.Set("cudaNmMask", function(env, "cudaNmMask", CudaNmMask));
  exports.Set("cudaQuantizeInt8", function(env, "cudaQuantizeInt8", CudaQuantizeInt8));
  exports.Set("cudaQuantizeInt4", function(env, "cudaQuantizeInt4", CudaQuantizeInt4));
}
