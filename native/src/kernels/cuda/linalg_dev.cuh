// Internal device linear algebra shared by gemm.cu, linalg.cu and obs.cu.
#pragma once
#include <cstddef>

namespace tf::cuda {

// sgemm_dev with a lower-triangle-only option (tiles strictly above the diagonal skipped).
void sgemm_dev_part(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
                    const float* b, size_t ldb, float beta, float* c, size_t ldc, bool lower);
// a[i][j] = a[j][i] for j > i.
void mirror_lower_dev(float* a, size_t n, size_t lda);
// h (n x n) := U with h⁻¹ = UᵀU (see tf::linalg::inverse_cholesky_upper_f32); false when h is
// not positive definite. Synchronizes once to read the pivot flag.
bool inverse_cholesky_upper_dev(float* h, size_t n);

}  // namespace tf::cuda
