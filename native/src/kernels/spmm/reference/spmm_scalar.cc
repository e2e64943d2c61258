// Scalar kernels (the portable bodies in the baseline build) and the references.
#include "kernels/spmm/spmm_impl.h"
#include "kernels/spmm/variants.h"

namespace tf::spmm {

const Kernels kScalar = {csr_gemv_portable,  nm_gemv_portable,  bsr_gemv_portable,
                      csr_batch_portable, nm_batch_portable, bsr_batch_portable};

void csr_f32_gemm_ref(const Csr& w, const float* x, size_t batch, float* y) {
  for (size_t b = 0; b < batch; ++b)
    for (size_t r = 0; r < w.rows; ++r) {
      double acc = 0;
      for (size_t j = w.row_ptr[r]; j < w.row_ptr[r + 1]; ++j) acc += double(w.values[j]) * x[b * w.cols + w.col_idx[j]];
      y[b * w.rows + r] = float(acc);
    }
}

void nm_f32_gemm_ref(const NmPacked& w, const float* x, size_t batch, float* y) {
  const size_t per = w.per_row();
  for (size_t b = 0; b < batch; ++b)
    for (size_t r = 0; r < w.rows; ++r) {
      double acc = 0;
      for (size_t e = 0; e < per; ++e) {
        const size_t col = (e / w.n) * w.m + w.idx[r * per + e];
        acc += double(w.values[r * per + e]) * x[b * w.cols + col];
      }
      y[b * w.rows + r] = float(acc);
    }
}

void bsr_f32_gemm_ref(const Bsr& w, const float* x, size_t batch, float* y) {
  for (size_t b = 0; b < batch; ++b)
    for (size_t R = 0; R < w.rows / w.br; ++R)
      for (size_t i = 0; i < w.br; ++i) {
        double acc = 0;
        for (size_t blk = w.block_row_ptr[R]; blk < w.block_row_ptr[R + 1]; ++blk)
          for (size_t j = 0; j < w.bc; ++j)
            acc += double(w.values[blk * w.br * w.bc + i * w.bc + j]) * x[b * w.cols + w.block_col[blk] * w.bc + j];
        y[b * w.rows + R * w.br + i] = float(acc);
      }
}

}  // namespace tf::spmm
