// Binding of the sparse formats (kernels/sparse_formats). Packers whose output size depends
// on the data count first, then allocate the JS arrays and fill them.
#include "binding/registry.h"
#include "kernels/sparse_formats/sparse_formats.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

struct Matrix {
  tf::Span<const float> w;
  size_t rows, cols;
};

Matrix matrix(const Napi::CallbackInfo& info) {
  Matrix m{typed<const float>(info[0], "weights"), size_value(info[1], "rows"), size_value(info[2], "cols")};
  tf::bind::require_length(m.w.size, tf::bind::checked_product(m.rows, m.cols, "weights"), "weights");
  return m;
}

// (w, rows, cols) -> {values, meta}
Napi::Value Pack24(const Napi::CallbackInfo& info) {
  Matrix m = matrix(info);
  if (m.cols % 4) tf::bind::throw_range("cols", "2:4 packing needs cols % 4 == 0");
  Napi::Env env = info.Env();
  auto values = Napi::Float32Array::New(env, m.w.size / 2);
  auto meta = Napi::Uint8Array::New(env, m.rows * tf::sparse::meta24_row_bytes(m.cols));
  tf::sparse::pack24(m.w.data, m.rows, m.cols, values.Data(), meta.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("values", values);
  o.Set("meta", meta);
  return o;
}

// (values, meta, rows, cols, out)
Napi::Value Unpack24(const Napi::CallbackInfo& info) {
  size_t rows = size_value(info[2], "rows"), cols = size_value(info[3], "cols");
  if (cols % 4) tf::bind::throw_range("cols", "2:4 unpacking needs cols % 4 == 0");
  size_t n = tf::bind::checked_product(rows, cols, "out");
  auto values = typed_len<const float>(info[0], n / 2, "values");
  auto meta = typed_len<const uint8_t>(info[1], rows * tf::sparse::meta24_row_bytes(cols), "meta");
  auto out = typed_len<float>(info[4], n, "out");
  tf::sparse::unpack24(values.data, meta.data, rows, cols, out.data);
  return info.Env().Undefined();
}

// (w) -> {bitmap, values}
Napi::Value PackBitmap(const Napi::CallbackInfo& info) {
  auto w = typed<const float>(info[0], "weights");
  Napi::Env env = info.Env();
  size_t nnz = size_t(tf::sparse::nonzeros(w.data, w.size));
  auto bitmap = Napi::Uint8Array::New(env, (w.size + 7) / 8);
  auto values = Napi::Float32Array::New(env, nnz);
  tf::sparse::pack_bitmap(w.data, w.size, bitmap.Data(), values.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("bitmap", bitmap);
  o.Set("values", values);
  return o;
}

// (bitmap, values, out)
Napi::Value UnpackBitmap(const Napi::CallbackInfo& info) {
  auto out = typed<float>(info[2], "out");
  auto bitmap = typed_len<const uint8_t>(info[0], (out.size + 7) / 8, "bitmap");
  auto values = typed<const float>(info[1], "values");
  tf::sparse::unpack_bitmap(bitmap.data, values.data, values.size, out.size, out.data);
  return info.Env().Undefined();
}

// (w, rows, cols) -> {rowPtr, colIdx, values}
Napi::Value PackCsr(const Napi::CallbackInfo& info) {
  Matrix m = matrix(info);
  Napi::Env env = info.Env();
  auto row_ptr = Napi::Int32Array::New(env, m.rows + 1);
  size_t nnz = size_t(tf::sparse::csr_row_ptr(m.w.data, m.rows, m.cols, row_ptr.Data()));
  auto col_idx = Napi::Int32Array::New(env, nnz);
  auto values = Napi::Float32Array::New(env, nnz);
  tf::sparse::pack_csr(m.w.data, m.rows, m.cols, row_ptr.Data(), col_idx.Data(), values.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("rowPtr", row_ptr);
  o.Set("colIdx", col_idx);
  o.Set("values", values);
  return o;
}

// (rowPtr, colIdx, values, rows, cols, out)
Napi::Value UnpackCsr(const Napi::CallbackInfo& info) {
  size_t rows = size_value(info[3], "rows"), cols = size_value(info[4], "cols");
  auto row_ptr = typed_len<const int32_t>(info[0], rows + 1, "rowPtr");
  auto values = typed<const float>(info[2], "values");
  auto col_idx = typed_len<const int32_t>(info[1], values.size, "colIdx");
  auto out = typed_len<float>(info[5], tf::bind::checked_product(rows, cols, "out"), "out");
  tf::sparse::unpack_csr(row_ptr.data, col_idx.data, values.data, values.size, rows, cols, out.data);
  return info.Env().Undefined();
}

// (w, rows, cols, br, bc) -> {rowPtr, colIdx, values}
Napi::Value PackBsr(const Napi::CallbackInfo& info) {
  Matrix m = matrix(info);
  size_t br = size_value(info[3], "blockRows"), bc = size_value(info[4], "blockCols");
  if (br == 0 || bc == 0 || m.rows % br || m.cols % bc)
    tf::bind::throw_range("blockRows", "BSR needs blocks >= 1 that divide rows and cols");
  Napi::Env env = info.Env();
  auto row_ptr = Napi::Int32Array::New(env, m.rows / br + 1);
  size_t nnzb = size_t(tf::sparse::bsr_row_ptr(m.w.data, m.rows, m.cols, br, bc, row_ptr.Data()));
  auto col_idx = Napi::Int32Array::New(env, nnzb);
  auto values = Napi::Float32Array::New(env, nnzb * br * bc);
  tf::sparse::pack_bsr(m.w.data, m.rows, m.cols, br, bc, row_ptr.Data(), col_idx.Data(), values.Data());
  Napi::Object o = Napi::Object::New(env);
  o.Set("rowPtr", row_ptr);
  o.Set("colIdx", col_idx);
  o.Set("values", values);
  return o;
}

// (rowPtr, colIdx, values, rows, cols, br, bc, out)
Napi::Value UnpackBsr(const Napi::CallbackInfo& info) {
  size_t rows = size_value(info[3], "rows"), cols = size_value(info[4], "cols");
  size_t br = size_value(info[5], "blockRows"), bc = size_value(info[6], "blockCols");
  if (br == 0 || bc == 0 || rows % br || cols % bc)
    tf::bind::throw_range("blockRows", "BSR needs blocks >= 1 that divide rows and cols");
  auto row_ptr = typed_len<const int32_t>(info[0], rows / br + 1, "rowPtr");
  auto col_idx = typed<const int32_t>(info[1], "colIdx");
  auto values = typed_len<const float>(info[2], col_idx.size * br * bc, "values");
  auto out = typed_len<float>(info[7], tf::bind::checked_product(rows, cols, "out"), "out");
  tf::sparse::unpack_bsr(row_ptr.data, col_idx.data, values.data, col_idx.size, rows, cols, br, bc, out.data);
  return info.Env().Undefined();
}

}  // namespace

TF_BINDING(sparse_formats) {
  using tf::bind::function;
  exports.Set("pack24", function(env, "pack24", Pack24));
  exports.Set("unpack24", function(env, "unpack24", Unpack24));
  exports.Set("packBitmap", function(env, "packBitmap", PackBitmap));
  exports.Set("unpackBitmap", function(env, "unpackBitmap", UnpackBitmap));
  exports.Set("packCsr", function(env, "packCsr", PackCsr));
  exports.Set("unpackCsr", function(env, "unpackCsr", UnpackCsr));
  exports.Set("packBsr", function(env, "packBsr", PackBsr));
  exports.Set("unpackBsr", function(env, "unpackBsr", UnpackBsr));
}
