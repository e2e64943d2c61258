// Binding of the sparse products (kernels/spmm) on a caller's real weights, for the twin
// runtime (main/core/runtime/twin): Y[batch, rows] = X[batch, cols] · Wᵀ (+ bias), W packed
// as CSR, N:M or BSR the way the .twsp writer stores it. The JS facade validates the index
// arrays once when a twin loads (monotone row pointers, columns in range), so a call only
// checks lengths: a per-call index scan would cost as much as the product itself.
// Typed arrays are viewed, never copied; the call is synchronous on the caller's thread and
// splits rows over the addon's threads (setThreads).
#include <string>

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

// What every format shares after its own arguments: (x, batch, y, bias?) from argument `at`,
// the product on the active ISA, then the bias.
template <typename W>
Napi::Value run(const Napi::CallbackInfo& info, size_t at, const W& w,
                void (*product)(const W&, const float*, size_t, float*, tf::Isa)) {
  const Io o = io(info, at, w.rows, w.cols);
  product(w, o.x, o.batch, o.y, tf::active_isa());
  add_bias(info, at + 3, w.rows, o);
  return info.Env().Undefined();
}

// Compressed rows, shared by CSR (one value per entry) and BSR (a block per entry):
// rowPtr i32[groups+1] at 0, colIdx i32[entries] at 1, values f32[entries * per_entry] at 2;
// rowPtr[groups] must be the number of entries.
struct CompressedRows {
  const uint32_t* row_ptr;
  const uint32_t* col_idx;
  const float* values;
};
CompressedRows compressed_rows(const Napi::CallbackInfo& info, size_t groups, size_t per_entry, const char* what) {
  auto row_ptr = typed_len<const int32_t>(info[0], groups + 1, "rowPtr");
  auto col_idx = typed<const int32_t>(info[1], "colIdx");
  auto values = typed_len<const float>(info[2], tf::bind::checked_product(col_idx.size, per_entry, "values"), "values");
  if (size_t(row_ptr.data[groups]) != col_idx.size)
    tf::bind::throw_range("rowPtr", std::string("rowPtr's last entry must equal the number of ") + what + " (colIdx length " +
                                        std::to_string(col_idx.size) + "), got " + std::to_string(row_ptr.data[groups]));
  return {reinterpret_cast<const uint32_t*>(row_ptr.data), reinterpret_cast<const uint32_t*>(col_idx.data), values.data};
}

// (rowPtr i32[rows+1], colIdx i32[nnz], values f32[nnz], rows, cols, x, batch, y, bias?)
Napi::Value SpmmCsr(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 8, "spmmCsr");
  tf::spmm::Csr w;
  w.rows = size_value(info[3], "rows"), w.cols = size_value(info[4], "cols");
  const CompressedRows c = compressed_rows(info, w.rows, 1, "values");
  w.row_ptr = c.row_ptr, w.col_idx = c.col_idx, w.values = c.values;
  return run(info, 5, w, tf::spmm::csr_f32_gemm);
}

// (values f32[rows*cols/m*n], idx u8[same], rows, cols, n, m, x, batch, y, bias?)
Napi::Value SpmmNm(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 9, "spmmNm");
  tf::spmm::NmPacked w;
  w.rows = size_value(info[2], "rows"), w.cols = size_value(info[3], "cols");
  const size_t n = size_value(info[4], "n"), m = size_value(info[5], "m");
  if (m == 0 || n == 0 || n > m || m > 255 || w.cols % m) tf::bind::throw_range("m", "N:M needs 0 < n <= m <= 255 and cols % m == 0");
  w.n = uint32_t(n), w.m = uint32_t(m);
  const size_t kept = tf::bind::checked_product(w.rows, w.cols / m * n, "values");
  w.values = typed_len<const float>(info[0], kept, "values").data;
  w.idx = typed_len<const uint8_t>(info[1], kept, "idx").data;
  return run(info, 6, w, tf::spmm::nm_f32_gemm);
}

// (rowPtr i32[rows/br+1], colIdx i32[nnzb], values f32[nnzb*br*bc], rows, cols, br, bc, x, batch, y, bias?)
Napi::Value SpmmBsr(const Napi::CallbackInfo& info) {
  tf::bind::require_args(info, 10, "spmmBsr");
  tf::spmm::Bsr w;
  w.rows = size_value(info[3], "rows"), w.cols = size_value(info[4], "cols");
  w.br = size_value(info[5], "blockRows"), w.bc = size_value(info[6], "blockCols");
  if (w.br == 0 || w.bc == 0 || w.rows % w.br || w.cols % w.bc)
    tf::bind::throw_range("blockRows", "BSR needs blocks >= 1 that divide rows and cols");
  const CompressedRows c = compressed_rows(info, w.rows / w.br, w.br * w.bc, "blocks");
  w.block_row_ptr = c.row_ptr, w.block_col = c.col_idx, w.values = c.values;
  return run(info, 7, w, tf::spmm::bsr_f32_gemm);
}

}  // namespace

TF_BINDING(sparse_matmul) {
  using tf::bind::function;
  exports.Set("spmmCsr", function(env, "spmmCsr", SpmmCsr));
  exports.Set("spmmNm", function(env, "spmmNm", SpmmNm));
  exports.Set("spmmBsr", function(env, "spmmBsr", SpmmBsr));
}
