// fp32 8x32 register tile for AVX-512: 16 zmm accumulators, two B vectors and one A
// broadcast per k step: 16 FMAs against 10 loads keeps both FMA ports busy.
#include <immintrin.h>

#include "kernels/gemm/variants.h"

namespace tf::gemm {

void sgemm_ukernel_8x32_avx512(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc, size_t mr,
                               size_t nr, float alpha, float beta) {
  constexpr size_t MR = 8, NR = 32;
  __m512 acc[MR][2];
  for (size_t i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (size_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b + k * bstride);
    const __m512 b1 = _mm512_loadu_ps(b + k * bstride + 16);
    const float* ak = a + k * MR;
#pragma GCC unroll 8
    for (size_t i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(ak[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  if (nr == NR) {
    for (size_t i = 0; i < mr; ++i) {
      float* ci = c + i * ldc;
      __m512 r0 = _mm512_mul_ps(acc[i][0], va), r1 = _mm512_mul_ps(acc[i][1], va);
      if (beta != 0.0f) {
        r0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci), r0);
        r1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(ci + 16), r1);
      }
      _mm512_storeu_ps(ci, r0);
      _mm512_storeu_ps(ci + 16, r1);
    }
    return;
  }
  // Right edge: masked loads/stores so no byte past the tile is touched.
  const __mmask16 m0 = nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nr) - 1);
  const __mmask16 m1 = nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1);
  for (size_t i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(acc[i][0], va), r1 = _mm512_mul_ps(acc[i][1], va);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), r1);
    }
    _mm512_mask_storeu_ps(ci, m0, r0);
    _mm512_mask_storeu_ps(ci + 16, m1, r1);
  }
}

}  // namespace tf::gemm
