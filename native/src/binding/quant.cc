// Binding of int8 / int4 quantization (kernels/quant).
#include "binding/async_job.h"
#include "binding/registry.h"
#include "kernels/quant/quant.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

struct Q8Args {
  tf::Span<const float> w;
  size_t rows = 0, cols = 0;
  int axis = 0;
  tf::Span<int8_t> q;
  tf::Span<float> scales;
};

// (weights, rows, cols, axis, q, scales)
Q8Args parse_q8(const Napi::CallbackInfo& info) {
  Q8Args a;
  a.w = typed<const float>(info[0], "weights");
  a.rows = size_value(info[1], "rows");
  a.cols = size_value(info[2], "cols");
  a.axis = int(tf::bind::int_value(info[3], "axis"));
  if (a.axis != 0 && a.axis != 1) tf::bind::throw_range("axis", "axis must be 0 or 1");
  tf::bind::require_length(a.w.size, tf::bind::checked_product(a.rows, a.cols, "weights"), "weights");
  a.q = typed_len<int8_t>(info[4], a.w.size, "q");
  a.scales = typed_len<float>(info[5], a.axis == 0 ? a.rows : a.cols, "scales");
  return a;
}

Napi::Value QuantizeInt8(const Napi::CallbackInfo& info) {
  Q8Args a = parse_q8(info);
  tf::quant::quantize_int8(a.w.data, a.rows, a.cols, a.axis, a.q.data, a.scales.data);
  return info.Env().Undefined();
}

Napi::Value QuantizeInt8Async(const Napi::CallbackInfo& info) {
  Q8Args a = parse_q8(info);
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.quantizeInt8";
  spec.keep_alive = {info[0], info[4], info[5]};
  spec.on_progress = info[6];
  spec.work = [a](tf::JobControl& ctl) { tf::quant::quantize_int8(a.w.data, a.rows, a.cols, a.axis, a.q.data, a.scales.data, &ctl); };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

// (q, scales, rows, cols, axis, out)
Napi::Value DequantizeInt8(const Napi::CallbackInfo& info) {
  auto q = typed<const int8_t>(info[0], "q");
  size_t rows = size_value(info[2], "rows"), cols = size_value(info[3], "cols");
  int axis = int(tf::bind::int_value(info[4], "axis"));
  if (axis != 0 && axis != 1) tf::bind::throw_range("axis", "axis must be 0 or 1");
  tf::bind::require_length(q.size, tf::bind::checked_product(rows, cols, "q"), "q");
  auto scales = typed_len<const float>(info[1], axis == 0 ? rows : cols, "scales");
  auto out = typed_len<float>(info[5], q.size, "out");
  tf::quant::dequantize_int8(q.data, scales.data, rows, cols, axis, out.data);
  return info.Env().Undefined();
}

struct Q4Args {
  tf::Span<const float> w;
  size_t rows = 0, cols = 0, group = 0;
  bool symmetric = true;
  tf::Span<uint8_t> packed, zps;
  tf::Span<float> scales;
};

// (weights, rows, cols, groupSize, symmetric, packed, scales, zeroPoints|null)
Q4Args parse_q4(const Napi::CallbackInfo& info) {
  Q4Args a;
  a.w = typed<const float>(info[0], "weights");
  a.rows = size_value(info[1], "rows");
  a.cols = size_value(info[2], "cols");
  a.group = size_value(info[3], "groupSize");
  a.symmetric = tf::bind::boolean(info[4], "symmetric");
  tf::bind::require_length(a.w.size, tf::bind::checked_product(a.rows, a.cols, "weights"), "weights");
  if (a.group != 32 && a.group != 64 && a.group != 128) tf::bind::throw_range("groupSize", "groupSize must be 32, 64 or 128");
  if (a.cols % a.group) tf::bind::throw_range("cols", "cols must be a multiple of groupSize");
  size_t groups = a.w.size / a.group;
  a.packed = typed_len<uint8_t>(info[5], a.w.size / 2, "packed");
  a.scales = typed_len<float>(info[6], groups, "scales");
  if (!a.symmetric) a.zps = typed_len<uint8_t>(info[7], groups, "zeroPoints");
  return a;
}

Napi::Value QuantizeInt4(const Napi::CallbackInfo& info) {
  Q4Args a = parse_q4(info);
  tf::quant::quantize_int4(a.w.data, a.rows, a.cols, a.group, a.symmetric, a.packed.data, a.scales.data, a.zps.data);
  return info.Env().Undefined();
}

Napi::Value QuantizeInt4Async(const Napi::CallbackInfo& info) {
  Q4Args a = parse_q4(info);
  tf::bind::AsyncSpec spec;
  spec.name = "twinforge.quantizeInt4";
  spec.keep_alive = {info[0], info[5], info[6], info[7]};
  spec.on_progress = info[8];
  spec.work = [a](tf::JobControl& ctl) {
    tf::quant::quantize_int4(a.w.data, a.rows, a.cols, a.group, a.symmetric, a.packed.data, a.scales.data, a.zps.data, &ctl);
  };
  return tf::bind::run_async(info.Env(), std::move(spec));
}

// (packed, scales, zeroPoints|null, rows, cols, groupSize, out)
Napi::Value DequantizeInt4(const Napi::CallbackInfo& info) {
  size_t rows = size_value(info[3], "rows"), cols = size_value(info[4], "cols"), group = size_value(info[5], "groupSize");
  size_t n = tf::bind::checked_product(rows, cols, "out");
  if (group != 32 && group != 64 && group != 128) tf::bind::throw_range("groupSize", "groupSize must be 32, 64 or 128");
  if (cols % group) tf::bind::throw_range("cols", "cols must be a multiple of groupSize");
  auto packed = typed_len<const uint8_t>(info[0], n / 2, "packed");
  auto scales = typed_len<const float>(info[1], n / group, "scales");
  tf::Span<const uint8_t> zps;
  if (!info[2].IsNull() && !info[2].IsUndefined()) zps = typed_len<const uint8_t>(info[2], n / group, "zeroPoints");
  auto out = typed_len<float>(info[6], n, "out");
  tf::quant::dequantize_int4(packed.data, scales.data, zps.size ? zps.data : nullptr, rows, cols, group, out.data);
  return info.Env().Undefined();
}

// (zeroPoints one per byte, rows, groupsPerRow, out [rows * ceil(groupsPerRow/2)])
Napi::Value PackInt4ZeroPoints(const Napi::CallbackInfo& info) {
  size_t rows = size_value(info[1], "rows"), gpr = size_value(info[2], "groupsPerRow");
  auto zps = typed_len<const uint8_t>(info[0], tf::bind::checked_product(rows, gpr, "zeroPoints"), "zeroPoints");
  auto out = typed_len<uint8_t>(info[3], rows * ((gpr + 1) / 2), "out");
  tf::quant::pack_zero_points_int4(zps.data, rows, gpr, out.data);
  return info.Env().Undefined();
}

}  // namespace

TF_BINDING(quant) {
  using tf::bind::function;
  exports.Set("quantizeInt8", function(env, "quantizeInt8", QuantizeInt8));
  exports.Set("quantizeInt8Async", function(env, "quantizeInt8Async", QuantizeInt8Async));
  exports.Set("dequantizeInt8", function(env, "dequantizeInt8", DequantizeInt8));
  exports.Set("quantizeInt4", function(env, "quantizeInt4", QuantizeInt4));
  exports.Set("quantizeInt4Async", function(env, "quantizeInt4Async", QuantizeInt4Async));
  exports.Set("dequantizeInt4", function(env, "dequantizeInt4", DequantizeInt4));
  exports.Set("packInt4ZeroPoints", function(env, "packInt4ZeroPoints", PackInt4ZeroPoints));
}
