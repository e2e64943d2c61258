// Binding of the 2:4 packed products (kernels/sp24) on a caller's weights: the values + meta
// that pack24 (and the .twsp 2:4 section) store, with fp32 values or the same slots in fp16.
//   sp24Matmul(values Float32Array|Uint16Array [rows*cols/2], meta Uint8Array
//              [rows*ceil(cols/8)], rows, cols, x, batch, y, bias?)   Y = X · Wᵀ (+ bias)
//   sp24Validate(meta, rows, cols)       positions well-formed (once, when weights load)
//   sp24HalfValues(values Float32Array) -> Uint16Array (fp16, round to nearest even)
// Like the other sparse products, a call checks lengths only; the facade validates meta once.
#include <cmath>
#include <string>

#include "binding/registry.h"
#include "kernels/dispatch/cpu.h"
#include "kernels/sp24/sp24.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

tf::sp24::Packed packed(const Napi::CallbackInfo& info, size_t rows, size_t cols) {
  tf::sp24::validate_shape(rows, cols);
  tf::sp24::Packed p;
  p.rows = rows, p.cols = cols;
  const size_t kept = tf::bind::checked_product(rows, cols / 2, "values");
  if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array) {
    p.type = tf::sp24::Values::F16;
    p.values = typed_len<const uint16_t>(info[0], kept, "values").data;
  } else {
    p.values = typed_len<const float>(info[0], kept, "values").data;
  }
  p.idx = typed_len<const uint8_t>(info[1], tf::bind::checked_product(rows, p.idx_per_row(), "meta"), "meta").data;
  return p;
}

Napi::Value Sp24Matmul(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 7, "sp24Matmul");
  const size_t rows = size_value(info[2], "rows"), cols = size_value(info[3], "cols");
  const tf::sp24::Packed w = packed(info, rows, cols);
  const size_t batch = size_value(info[5], "batch");
  auto x = typed_len<const float>(info[4], tf::bind::checked_product(batch, cols, "x"), "x");
  auto y = typed_len<float>(info[6], tf::bind::checked_product(batch, rows, "y"), "y");
  tf::sp24::gemm(w, x.data, batch, y.data, tf::active_isa());
  if (info.Length() > 7 && !info[7].IsUndefined() && !info[7].IsNull()) {
    auto b = typed_len<const float>(info[7], rows, "bias");
    for (size_t r = 0; r < batch; ++r)
      for (size_t c = 0; c < rows; ++c) y.data[r * rows + c] += b.data[c];
  }
  return info.Env().Undefined();
}

Napi::Value Sp24Validate(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 3, "sp24Validate");
  const size_t rows = size_value(info[1], "rows"), cols = size_value(info[2], "cols");
  tf::sp24::validate_shape(rows, cols);
  tf::sp24::Packed p;
  p.rows = rows, p.cols = cols;
  p.idx = typed_len<const uint8_t>(info[0], tf::bind::checked_product(rows, p.idx_per_row(), "meta"), "meta").data;
  tf::sp24::validate_idx(p);
  return info.Env().Undefined();
}

Napi::Value Sp24HalfValues(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 1, "sp24HalfValues");
  auto v = typed<const float>(info[0], "values");
  auto out = Napi::Uint16Array::New(info.Env(), v.size);
  for (size_t i = 0; i < v.size; ++i) {
    if (!(std::fabs(v.data[i]) < 65520.f) && !std::isnan(v.data[i]))
      throw tf::bad_input("values[" + std::to_string(i) + "] = " + std::to_string(v.data[i]) +
                              " overflows fp16 (max 65504): keep fp32 values for this layer",
                          "values");
    out[i] = tf::sp24::float_to_half(v.data[i]);
  }
  return out;
}

}  // namespace

TF_BINDING(sp24) {
  using tf::bind::function;
  exports.Set("sp24Matmul", function(env, "sp24Matmul", Sp24Matmul));
  exports.Set("sp24Validate", function(env, "sp24Validate", Sp24Validate));
  exports.Set("sp24HalfValues", function(env, "sp24HalfValues", Sp24HalfValues));
}
