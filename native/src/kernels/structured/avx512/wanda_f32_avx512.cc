// AVX-512 |w| * norm, 16 per step with masked tails.
#include <immintrin.h>

#include "common/float_bits.h"
#include "kernels/structured/variants.h"

namespace tf {
namespace structured {
namespace {

inline __mmask16 tail(size_t left) { return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1); }

uint32_t abs_mul_scalar_avx512(const float* w, size_t n, float s, float* out) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask));
  const __m512 vs = _mm512_set1_ps(s);
  __m512i mx = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i a = _mm512_and_si512(_mm512_loadu_si512(w + i), abs_mask);
    mx = _mm512_max_epu32(mx, a);
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_castsi512_ps(a), vs));
  }
  for (; i < n; i += 16) {
    __mmask16 m = tail(n - i);
    __m512i a = _mm512_and_si512(_mm512_maskz_loadu_epi32(m, w + i), abs_mask);
    mx = _mm512_max_epu32(mx, a);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_castsi512_ps(a), vs));
  }
  return uint32_t(_mm512_reduce_max_epu32(mx));
}

uint32_t abs_mul_vector_avx512(const float* w, size_t n, const float* s, float* out) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask));
  __m512i mx = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i a = _mm512_and_si512(_mm512_loadu_si512(w + i), abs_mask);
    mx = _mm512_max_epu32(mx, a);
    _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_castsi512_ps(a), _mm512_loadu_ps(s + i)));
  }
  for (; i < n; i += 16) {
    __mmask16 m = tail(n - i);
    __m512i a = _mm512_and_si512(_mm512_maskz_loadu_epi32(m, w + i), abs_mask);
    mx = _mm512_max_epu32(mx, a);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_castsi512_ps(a), _mm512_maskz_loadu_ps(m, s + i)));
  }
  return uint32_t(_mm512_reduce_max_epu32(mx));
}

}  // namespace

const Kernels kAvx512 = {abs_mul_scalar_avx512, abs_mul_vector_avx512};

}  // namespace structured
}  // namespace tf
