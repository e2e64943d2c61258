// int8 GEMM slice with AVX2: vpmaddubsw takes unsigned x signed bytes, so each product a·b is
// formed as |a| · (b·sign(a)) (vpsignb); with b in [-127, 127] the pair sums stay inside int16
// (2·128·127 < 32768), then vpmaddwd by ones widens to int32. Tiles of 2 x 4 dot products.
#include <immintrin.h>

#include "kernels/int8gemm/variants.h"

namespace tf::int8gemm {
namespace {

inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

template <int MT, int NT>
void tile(const int8_t* a, const int8_t* b, int32_t* c, size_t n, size_t k, size_t i0, size_t j0) {
  __m256i acc[MT][NT];
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j) acc[i][j] = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi16(1);
  const size_t kv = k / 32 * 32;
  for (size_t t = 0; t < kv; t += 32) {
    __m256i aa[MT], as[MT], bv[NT];
    for (int i = 0; i < MT; ++i) {
      as[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + (i0 + i) * k + t));
      aa[i] = _mm256_abs_epi8(as[i]);
    }
    for (int j = 0; j < NT; ++j) bv[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + (j0 + j) * k + t));
    for (int i = 0; i < MT; ++i)
      for (int j = 0; j < NT; ++j) {
        const __m256i p16 = _mm256_maddubs_epi16(aa[i], _mm256_sign_epi8(bv[j], as[i]));
        acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(p16, ones));
      }
  }
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j) {
      int32_t s = hsum_epi32(acc[i][j]);
      for (size_t t = kv; t < k; ++t) s += int32_t(a[(i0 + i) * k + t]) * b[(j0 + j) * k + t];
      c[(i0 + i) * n + j0 + j] = s;
    }
}

template <int MT>
void row_tiles(const int8_t* a, const int8_t* b, int32_t* c, size_t n, size_t k, size_t i0, size_t n0, size_t n1) {
  size_t j = n0;
  for (; j + 4 <= n1; j += 4) tile<MT, 4>(a, b, c, n, k, i0, j);
  switch (n1 - j) {
    case 3: tile<MT, 3>(a, b, c, n, k, i0, j); break;
    case 2: tile<MT, 2>(a, b, c, n, k, i0, j); break;
    case 1: tile<MT, 1>(a, b, c, n, k, i0, j); break;
    default: break;
  }
}

}  // namespace

void s8_gemm_slice_avx2(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                        size_t n1) {
  constexpr size_t kSlice = 16;
  for (size_t jb = n0; jb < n1; jb += kSlice) {
    const size_t je = jb + kSlice < n1 ? jb + kSlice : n1;
    size_t i = 0;
    for (; i + 2 <= m; i += 2) row_tiles<2>(a, b, c, n, k, i, jb, je);
    if (i < m) row_tiles<1>(a, b, c, n, k, i, jb, je);
  }
}

}  // namespace tf::int8gemm
