// fp32 6x16 register tile for AVX2+FMA: 12 ymm accumulators + 2 B vectors + 1 broadcast
// fill 15 of the 16 registers, the classic shape for two FMA ports.
#include <immintrin.h>

#include "kernels/gemm/variants.h"

namespace tf::gemm {

void sgemm_ukernel_6x16_avx2(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc, size_t mr,
                             size_t nr, float alpha, float beta) {
  constexpr size_t MR = 6, NR = 16;
  __m256 acc[MR][2];
  for (size_t i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b + k * bstride);
    const __m256 b1 = _mm256_loadu_ps(b + k * bstride + 8);
    const float* ak = a + k * MR;
#pragma GCC unroll 6
    for (size_t i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(ak + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (nr == NR) {
    for (size_t i = 0; i < mr; ++i) {
      float* ci = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(acc[i][0], va), r1 = _mm256_mul_ps(acc[i][1], va);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
      }
      _mm256_storeu_ps(ci, r0);
      _mm256_storeu_ps(ci + 8, r1);
    }
    return;
  }
  alignas(32) float tile[MR][NR];
  for (size_t i = 0; i < mr; ++i) {
    _mm256_store_ps(tile[i], _mm256_mul_ps(acc[i][0], va));
    _mm256_store_ps(tile[i] + 8, _mm256_mul_ps(acc[i][1], va));
    float* ci = c + i * ldc;
    for (size_t j = 0; j < nr; ++j) ci[j] = beta == 0.0f ? tile[i][j] : tile[i][j] + beta * ci[j];
  }
}

}  // namespace tf::gemm
