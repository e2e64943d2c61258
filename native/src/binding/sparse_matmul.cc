// Binding of the sparse products (kernels/spmm) on a caller's real weights, for the twin
// runtime (main/core/runtime/twin): Y[batch, rows] = X[batch, cols] · Wᵀ (+ bias), W packed
// as CSR, N:M or BSR the way the .twsp writer stores it. The JS facade validates the index
// arrays once when a twin loads (monotone row pointers, columns in range), so a call only
// checks lengths: a per-call index scan would cost as much as the product itself.
// Typed arrays are viewed, never copied; the call is synchronous on the caller's thread and
// splits rows over the addon's threads (setThreads).
#include "binding/registry.h"
#include "kernels/dispatch/cpu.h"
#include "kernels/spmm/spmm.h"

namespace {

using tf::bind::size_value;
using tf::bind::typed;
using tf::bind::typed_len;

struct Io {
  const float* x;
  float* y;
  size_t batch;
};

// (x, batch, y) at argument i..i+2 for a rows x cols product.
Io io(const Napi::CallbackInfo& info, size_t i, size_t rows, size_t cols) {
  const size_t batch = size_value(info[i + 1], "batch");
  auto x = typed_len<const float>(info[i], tf::bind::checked_product(batch, cols, "x"), "x");
  auto y = typed_len<float>(info[i + 2], tf::bind::checked_product(batch, rows, "y"), "y");
  return {x.data, y.data, batch};
}

// Optional bias [rows] at argument i, added to every output row.
void add_bias(const Napi::CallbackInfo& info, size_t i, size_t rows, const Io& o) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return;
  auto b = typed_len<const float>(info[i], rows, "bias");
  for (size_t r = 0; r < o.batch; ++r) {
    float* yr = o.y + r * rows;
    for (size_t c = 0; c < rows; ++c) yr[c] += b.data[c];
  }
}

// (rowPtr i32[rows+1], colIdx i32[nnz], values f32[nnz], rows, cols, x, batch, y, bias?)
Napi::Value SpmmCsr(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 8, "spmmCsr");
  const size_t rows = size_value(info[3], "rows"), cols = size_value(info[4], "cols");
  auto row_ptr = typed_len<const int32_t>(info[0], rows + 1, "rowPtr");
  auto values = typed<const float>(info[2], "values");
  auto col_idx = typed_len<const int32_t>(info[1], values.size, "colIdx");
  if (size_t(row_ptr.data[rows]) != values.size) tf::bind::throw_range("rowPtr", "rowPtr[rows] must equal the number of values");
  Io o = io(info, 5, rows, cols);
  tf::spmm::Csr w;
  w.rows = rows;
  w.cols = cols;
  w.row_ptr = reinterpret_cast<const uint32_t*>(row_ptr.data);
  w.col_idx = reinterpret_cast<const uint32_t*>(col_idx.data);
  w.values = values.data;
  tf::spmm::csr_f32_gemm(w, o.x, o.batch, o.y, tf::active_isa());
  add_bias(info, 8, rows, o);
  return info.Env().Undefined();
}

// (values f32[rows*cols/m*n], idx u8[same], rows, cols, n, m, x, batch, y, bias?)
Napi::Value SpmmNm(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 9, "spmmNm");
  const size_t rows = size_value(info[2], "rows"), cols = size_value(info[3], "cols");
  const size_t n = size_value(info[4], "n"), m = size_value(info[5], "m");
  if (m == 0 || n == 0 || n > m || m > 255 || cols % m) tf::bind::throw_range("m", "N:M needs 0 < n <= m <= 255 and cols % m == 0");
  const size_t kept = tf::bind::checked_product(rows, cols / m * n, "values");
  auto values = typed_len<const float>(info[0], kept, "values");
  auto idx = typed_len<const uint8_t>(info[1], kept, "idx");
  Io o = io(info, 6, rows, cols);
  tf::spmm::NmPacked w;
  w.rows = rows;
  w.cols = cols;
  w.n = uint32_t(n);
  w.m = uint32_t(m);
  w.values = values.data;
  w.idx = idx.data;
  tf::spmm::nm_f32_gemm(w, o.x, o.batch, o.y, tf::active_isa());
  add_bias(info, 9, rows, o);
  return info.Env().Undefined();
}

// (rowPtr i32[rows/br+1], colIdx i32[nnzb], values f32[nnzb*br*bc], rows, cols, br, bc, x, batch, y, bias?)
Napi::Value SpmmBsr(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 10, "spmmBsr");
  const size_t rows = size_value(info[3], "rows"), cols = size_value(info[4], "cols");
  const size_t br = size_value(info[5], "blockRows"), bc = size_value(info[6], "blockCols");
  if (br == 0 || bc == 0 || rows % br || cols % bc) tf::bind::throw_range("blockRows", "BSR needs blocks >= 1 that divide rows and cols");
  auto row_ptr = typed_len<const int32_t>(info[0], rows / br + 1, "rowPtr");
  auto col_idx = typed<const int32_t>(info[1], "colIdx");
  auto values = typed_len<const float>(info[2], col_idx.size * br * bc, "values");
  if (size_t(row_ptr.data[rows / br]) != col_idx.size) tf::bind::throw_range("rowPtr", "rowPtr[rows/br] must equal the number of blocks");
  Io o = io(info, 7, rows, cols);
  tf::spmm::Bsr w;
  w.rows = rows;
  w.cols = cols;
  w.br = br;
  w.bc = bc;
  w.block_row_ptr = reinterpret_cast<const uint32_t*>(row_ptr.data);
  w.block_col = reinterpret_cast<const uint32_t*>(col_idx.data);
  w.values = values.data;
  tf::spmm::bsr_f32_gemm(w, o.x, o.batch, o.y, tf::active_isa());
  add_bias(info, 10, rows, o);
  return info.Env().Undefined();
}

}  // namespace

TF_BINDING(sparse_matmul) {
  using tf::bind::function;
  exports.Set("spmmCsr", function(env, "spmmCsr", SpmmCsr));
  exports.Set("spmmNm", function(env, "spmmNm", SpmmNm));
  exports.Set("spmmBsr", function(env, "spmmBsr", SpmmBsr));
}
