// Sparse weight times dense activations, the products pruning is supposed to speed up:
//   Y[batch x rows] = X[batch x cols] · Wᵀ,  W = [rows = outputs, cols = inputs], sparse.
// Formats (the deployable ones the packers write):
//  - CSR: row_ptr[rows+1], col_idx[nnz] (uint32), values[nnz];
//  - N:M compressed: per row, cols/m groups of exactly n (value, in-group index uint8) pairs;
//  - BSR: block_row_ptr[rows/br + 1], block_col[nblocks] (block column index), values
//    [nblocks][br][bc] row-major; rows % br == 0 and cols % bc == 0.
// batch == 1 runs the GEMV kernels (gathers from x, which sits in L1); batch > 1 transposes X
// once so every nonzero multiplies a contiguous vector of the batch.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/cpu.h"

namespace tf::spmm {

struct Csr {
  size_t rows = 0, cols = 0;
  const uint32_t* row_ptr = nullptr;
  const uint32_t* col_idx = nullptr;
  const float* values = nullptr;
};

struct NmPacked {
  size_t rows = 0, cols = 0;
  uint32_t n = 0, m = 0;            // n kept of every m; cols % m == 0
  const float* values = nullptr;    // [rows][cols/m][n]
  const uint8_t* idx = nullptr;     // same shape, 0..m-1
  size_t per_row() const { return cols / m * n; }
};

struct Bsr {
  size_t rows = 0, cols = 0, br = 0, bc = 0;
  const uint32_t* block_row_ptr = nullptr;
  const uint32_t* block_col = nullptr;
  const float* values = nullptr;
};

void csr_f32_gemm(const Csr& w, const float* x, size_t batch, float* y, Isa isa);
void nm_f32_gemm(const NmPacked& w, const float* x, size_t batch, float* y, Isa isa);
void bsr_f32_gemm(const Bsr& w, const float* x, size_t batch, float* y, Isa isa);

// References (double accumulation, one output at a time).
void csr_f32_gemm_ref(const Csr& w, const float* x, size_t batch, float* y);
void nm_f32_gemm_ref(const NmPacked& w, const float* x, size_t batch, float* y);
void bsr_f32_gemm_ref(const Bsr& w, const float* x, size_t batch, float* y);

// ---- per-ISA pieces (internal) ------------------------------------------------------------
// GEMV over output rows [r0, r1).
using CsrGemvFn = void (*)(const Csr& w, const float* x, size_t r0, size_t r1, float* y);
using NmGemvFn = void (*)(const NmPacked& w, const float* x, size_t r0, size_t r1, float* y);
// BSR GEMV over block rows [br0, br1).
using BsrGemvFn = void (*)(const Bsr& w, const float* x, size_t br0, size_t br1, float* y);
// Batched: xt is X transposed [cols][bt] for a batch tile, bt a multiple of kBatchAlign and at
// most kBatchTile (zero-padded columns); yt receives [rows r0..r1)[bt].
constexpr size_t kBatchTile = 64;
constexpr size_t kBatchAlign = 16;
using CsrBatchFn = void (*)(const Csr& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt);
using NmBatchFn = void (*)(const NmPacked& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt);
using BsrBatchFn = void (*)(const Bsr& w, const float* xt, size_t bt, size_t br0, size_t br1, float* yt);

struct Kernels {
  CsrGemvFn csr_gemv;
  NmGemvFn nm_gemv;
  BsrGemvFn bsr_gemv;
  CsrBatchFn csr_batch;
  NmBatchFn nm_batch;
  BsrBatchFn bsr_batch;
};

}  // namespace tf::spmm
