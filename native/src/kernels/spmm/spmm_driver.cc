// Sparse product drivers: pick the ISA's variant (spmm.h kVariants), split output rows over threads (CSR by
// nonzeros, so skewed rows still balance), and for batch > 1 transpose X into tiles of
// kBatchTile columns so every nonzero multiplies a contiguous vector.
#include <algorithm>
#include <vector>

#include "common/parallel.h"
#include "kernels/spmm/spmm.h"
#include "kernels/spmm/variants.h"

namespace tf::spmm {
namespace {

// Splits rows [0, rows) into `parts` ranges of about equal work (cost(r) cumulative).
template <typename Cum>
void split_rows(size_t rows, size_t parts, Cum cum, std::vector<size_t>& bounds) {
  bounds.assign(parts + 1, rows);
  bounds[0] = 0;
  const double total = double(cum(rows));
  size_t r = 0;
  for (size_t p = 1; p < parts; ++p) {
    const double target = total * double(p) / double(parts);
    while (r < rows && double(cum(r)) < target) ++r;
    bounds[p] = r;
  }
}

// Runs fn(r0, r1) over row ranges of about equal cost on the available threads.
template <typename Cum, typename Fn>
void run_rows(size_t rows, size_t work, Cum cum, Fn fn) {
  // ~64K multiply-adds per thread at least, or threads cost more than they save.
  const size_t parts = std::max<size_t>(1, std::min(num_threads(), work / (size_t(1) << 16)));
  std::vector<size_t> bounds;
  split_rows(rows, parts, cum, bounds);
  parallel_parts(parts, parts, [&](size_t p, size_t, size_t) {
    if (bounds[p] < bounds[p + 1]) fn(bounds[p], bounds[p + 1]);
  });
}

// Batched driver shared by the three formats: rows_out outputs, cols inputs, `unit` outputs
// per kernel row index (BSR block rows cover br outputs).
template <typename Fn, typename Cum>
void batched(size_t rows_out, size_t cols, size_t batch, const float* x, float* y, size_t kernel_rows, size_t work,
             Cum cum, Fn kernel) {
  // The batch tile is padded to a multiple of kBatchAlign with zero columns, so every kernel
  // works on whole vectors (the padding lanes compute zeros nobody reads).
  std::vector<float> xt(cols * kBatchTile), yt(rows_out * kBatchTile);
  for (size_t b0 = 0; b0 < batch; b0 += kBatchTile) {
    const size_t bt = std::min(kBatchTile, batch - b0);
    const size_t bp = (bt + kBatchAlign - 1) / kBatchAlign * kBatchAlign;
    for (size_t c = 0; c < cols; ++c) {
      float* dst = xt.data() + c * bp;
      for (size_t b = 0; b < bt; ++b) dst[b] = x[(b0 + b) * cols + c];
      for (size_t b = bt; b < bp; ++b) dst[b] = 0.0f;
    }
    run_rows(kernel_rows, work * bt, cum, [&](size_t r0, size_t r1) { kernel(xt.data(), bp, r0, r1, yt.data()); });
    for (size_t b = 0; b < bt; ++b)
      for (size_t r = 0; r < rows_out; ++r) y[(b0 + b) * rows_out + r] = yt[r * bp + b];
  }
}

}  // namespace

void csr_f32_gemm(const Csr& w, const float* x, size_t batch, float* y, Isa isa) {
  if (w.rows == 0 || batch == 0) return;
  const Kernels& k = *select(kVariants, isa);
  auto cum = [&](size_t r) { return size_t(w.row_ptr[r]); };
  const size_t nnz = w.row_ptr[w.rows];
  if (batch == 1) {
    run_rows(w.rows, nnz, cum, [&](size_t r0, size_t r1) { k.csr_gemv(w, x, r0, r1, y); });
    return;
  }
  batched(w.rows, w.cols, batch, x, y, w.rows, nnz, cum,
          [&](const float* xt, size_t bt, size_t r0, size_t r1, float* yt) { k.csr_batch(w, xt, bt, r0, r1, yt); });
}

void nm_f32_gemm(const NmPacked& w, const float* x, size_t batch, float* y, Isa isa) {
  if (w.rows == 0 || batch == 0) return;
  const Kernels& k = *select(kVariants, isa);
  const size_t per = w.per_row();
  auto cum = [&](size_t r) { return r * per; };
  if (batch == 1) {
    run_rows(w.rows, w.rows * per, cum, [&](size_t r0, size_t r1) { k.nm_gemv(w, x, r0, r1, y); });
    return;
  }
  batched(w.rows, w.cols, batch, x, y, w.rows, w.rows * per, cum,
          [&](const float* xt, size_t bt, size_t r0, size_t r1, float* yt) { k.nm_batch(w, xt, bt, r0, r1, yt); });
}

void bsr_f32_gemm(const Bsr& w, const float* x, size_t batch, float* y, Isa isa) {
  if (w.rows == 0 || batch == 0) return;
  const Kernels& k = *select(kVariants, isa);
  const size_t block_rows = w.rows / w.br, bsz = w.br * w.bc;
  auto cum = [&](size_t R) { return size_t(w.block_row_ptr[R]) * bsz; };
  const size_t work = size_t(w.block_row_ptr[block_rows]) * bsz;
  if (batch == 1) {
    run_rows(block_rows, work, cum, [&](size_t r0, size_t r1) { k.bsr_gemv(w, x, r0, r1, y); });
    return;
  }
  batched(w.rows, w.cols, batch, x, y, block_rows, work, cum,
          [&](const float* xt, size_t bt, size_t r0, size_t r1, float* yt) { k.bsr_batch(w, xt, bt, r0, r1, yt); });
}

}  // namespace tf::spmm
