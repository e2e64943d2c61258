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
  switch (rows) {
#define TF_PGEMM_CASE(R) \
  case R:                \
    return panel_rows<R>(ap, mr_max, bp, k, c, ldc, cols);
    TF_PGEMM_CASE(1) TF_PGEMM_CASE(2) TF_PGEMM_CASE(3) TF_PGEMM_CASE(4) TF_PGEMM_CASE(5) TF_PGEMM_CASE(6)
    TF_PGEMM_CASE(7) TF_PGEMM_CASE(8) TF_PGEMM_CASE(9) TF_PGEMM_CASE(10) TF_PGEMM_CASE(11) TF_PGEMM_CASE(12)
    TF_PGEMM_CASE(13) TF_PGEMM_CASE(14) TF_PGEMM_CASE(15) TF_PGEMM_CASE(16)
#undef TF_PGEMM_CASE
    default:
      return;
  }
}

}  // namespace

const Kernels kAvx512 = {panel_avx512, 16};

}  // namespace tf::pgemm
