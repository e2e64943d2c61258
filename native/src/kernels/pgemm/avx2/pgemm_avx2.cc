// AVX2 panel: up to 6 rows x 16 columns of C in 12 ymm accumulators.
#include <immintrin.h>

#include "kernels/pgemm/variants.h"

namespace tf::pgemm {
namespace {

template <int R>
void panel_rows(const float* ap, size_t mr_max, const float* bp, size_t k, float* c, size_t ldc, size_t cols) {
  __m256 lo[R], hi[R];
  for (int i = 0; i < R; ++i) lo[i] = hi[i] = _mm256_setzero_ps();
  for (size_t kk = 0; kk < k; ++kk) {
    const __m256 b0 = _mm256_loadu_ps(bp + kk * kPanel), b1 = _mm256_loadu_ps(bp + kk * kPanel + 8);
    const float* a = ap + kk * mr_max;
    for (int i = 0; i < R; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i);
      lo[i] = _mm256_fmadd_ps(av, b0, lo[i]);
      hi[i] = _mm256_fmadd_ps(av, b1, hi[i]);
    }
  }
  for (int i = 0; i < R; ++i) {
    alignas(32) float t[16];
    _mm256_store_ps(t, lo[i]);
    _mm256_store_ps(t + 8, hi[i]);
    float* out = c + size_t(i) * ldc;
    for (size_t j = 0; j < cols; ++j) out[j] = t[j];
  }
}

void panel_avx2(const float* ap, size_t mr_max, size_t rows, const float* bp, size_t k, float* c, size_t ldc,
                size_t cols) {
  with_rows<6>(rows, [&](auto r) { panel_rows<decltype(r)::value>(ap, mr_max, bp, k, c, ldc, cols); });
}

}  // namespace

const Kernels kAvx2 = {panel_avx2, 6};

}  // namespace tf::pgemm
