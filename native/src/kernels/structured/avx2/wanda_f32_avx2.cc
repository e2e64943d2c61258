// AVX2 |w| * norm, 8 per step.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "common/float_bits.h"
#include "kernels/structured/variants.h"

namespace tf {
namespace structured {
namespace {

inline uint32_t hmax_epu32(__m256i v) {
  __m128i m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0xB1));
  return uint32_t(_mm_cvtsi128_si32(m));
}

template <bool kVector>
uint32_t abs_mul(const float* w, size_t n, float s, const float* sv, float* out) {
  const __m256i abs_mask = _mm256_set1_epi32(int(kAbsMask));
  const __m256 vs = _mm256_set1_ps(s);
  __m256i mx = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i a = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i)), abs_mask);
    mx = _mm256_max_epu32(mx, a);
    __m256 f = kVector ? _mm256_loadu_ps(sv + i) : vs;
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_castsi256_ps(a), f));
  }
  uint32_t m = hmax_epu32(mx);
  for (; i < n; ++i) {
    m = std::max(m, abs_key(w[i]));
    out[i] = std::fabs(w[i]) * (kVector ? sv[i] : s);
  }
  return m;
}

uint32_t abs_mul_scalar_avx2(const float* w, size_t n, float s, float* out) { return abs_mul<false>(w, n, s, nullptr, out); }
uint32_t abs_mul_vector_avx2(const float* w, size_t n, const float* s, float* out) { return abs_mul<true>(w, n, 0.f, s, out); }

}  // namespace

const Kernels kAvx2 = {abs_mul_scalar_avx2, abs_mul_vector_avx2};

}  // namespace structured
}  // namespace tf
