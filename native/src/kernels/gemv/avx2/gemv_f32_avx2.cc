// Dense GEMV slice, AVX2+FMA: four rows of B per pass over the y slice held in L1.
#include <immintrin.h>

#include <algorithm>

#include "kernels/gemv/variants.h"

namespace tf::gemv {

void gemv_f32_slice_avx2(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y) {
  std::fill(y + j0, y + j1, 0.0f);
  const size_t n = j1 - j0, nv = n / 8 * 8;
  size_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const __m256 x0 = _mm256_set1_ps(x[i]), x1 = _mm256_set1_ps(x[i + 1]);
    const __m256 x2 = _mm256_set1_ps(x[i + 2]), x3 = _mm256_set1_ps(x[i + 3]);
    const float* r0 = b + i * ldb + j0;
    const float* r1 = r0 + ldb;
    const float* r2 = r1 + ldb;
    const float* r3 = r2 + ldb;
    float* yy = y + j0;
    for (size_t j = 0; j < nv; j += 8) {
      __m256 acc = _mm256_loadu_ps(yy + j);
      acc = _mm256_fmadd_ps(x0, _mm256_loadu_ps(r0 + j), acc);
      acc = _mm256_fmadd_ps(x1, _mm256_loadu_ps(r1 + j), acc);
      acc = _mm256_fmadd_ps(x2, _mm256_loadu_ps(r2 + j), acc);
      acc = _mm256_fmadd_ps(x3, _mm256_loadu_ps(r3 + j), acc);
      _mm256_storeu_ps(yy + j, acc);
    }
    for (size_t j = nv; j < n; ++j) yy[j] += x[i] * r0[j] + x[i + 1] * r1[j] + x[i + 2] * r2[j] + x[i + 3] * r3[j];
  }
  for (; i < k; ++i)
    for (size_t j = j0; j < j1; ++j) y[j] += x[i] * b[i * ldb + j];
}

}  // namespace tf::gemv
