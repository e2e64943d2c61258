// AVX-512 panel: up to 16 rows x 16 columns of C in 16 zmm accumulators; per k one panel
// load and one broadcast FMA per row.
#include <immintrin.h>

#include "kernels/pgemm/variants.h"

namespace tf::pgemm {
namespace {

template <int R>
void panel_rows(const float* ap, size_t mr_max, const float* bp, size_t k, float* c, size_t ldc, size_t cols) {
  __m512 acc[R];
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
  for (size_t kk = 0; kk < k; ++kk) {
    const __m512 b = _mm512_loadu_ps(bp + kk * kPanel);
    const float* a = ap + kk * mr_max;
    for (int i = 0; i < R; ++i) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), b, acc[i]);
  }
  const __mmask16 m = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  for (int i = 0; i < R; ++i) _mm512_mask_storeu_ps(c + size_t(i) * ldc, m, acc[i]);
}

void panel_avx512(const float* ap, size_t mr_max, size_t rows, const float* bp, size_t k, float* c, size_t ldc,
                  size_t cols) {
  with_rows<16>(rows, [&](auto r) { panel_rows<decltype(r)::value>(ap, mr_max, bp, k, c, ldc, cols); });
}

}  // namespace

const Kernels kAvx512 = {panel_avx512, 16};

}  // namespace tf::pgemm
