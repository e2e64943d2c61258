// int8 GEMM slice with AVX-512 VNNI. vpdpbusd multiplies unsigned by signed bytes, so A is
// offset to a + 128 (xor 0x80) and the offset removed afterwards: sum (a+128)·b − 128·sum b.
// The weight-row sums (times 128) come from a vpdpbusd of a constant 0x80 vector, once per
// weight row of a slice (not once per activation tile). Tiles of up to 4 x 4 dot products,
// 64 bytes of k per step, masked loads for the k tail.
#include <immintrin.h>

#include "kernels/int8gemm/variants.h"

namespace tf::int8gemm {
namespace {

// 128 * sum of weight row j's bytes.
int32_t row_comp(const int8_t* bj, size_t k) {
  const __m512i flip = _mm512_set1_epi8(char(0x80));
  __m512i comp = _mm512_setzero_si512();
  for (size_t t = 0; t < k; t += 64) {
    const size_t left = k - t;
    const __mmask64 mk = left >= 64 ? ~__mmask64(0) : ((__mmask64(1) << left) - 1);
    comp = _mm512_dpbusd_epi32(comp, flip, _mm512_maskz_loadu_epi8(mk, bj + t));
  }
  return _mm512_reduce_add_epi32(comp);
}

template <int MT, int NT>
void tile(const int8_t* a, const int8_t* b, int32_t* c, size_t n, size_t k, size_t i0, size_t j0, const int32_t* comp,
          size_t jbase) {
  __m512i acc[MT][NT];
  for (int j = 0; j < NT; ++j)
    for (int i = 0; i < MT; ++i) acc[i][j] = _mm512_setzero_si512();
  const __m512i flip = _mm512_set1_epi8(char(0x80));
  for (size_t t = 0; t < k; t += 64) {
    const size_t left = k - t;
    const __mmask64 mk = left >= 64 ? ~__mmask64(0) : ((__mmask64(1) << left) - 1);
    __m512i av[MT], bv[NT];
    // Masked-off bytes load as 0: (0 xor 0x80) · 0 adds nothing, and 0x80 · 0 neither.
    for (int i = 0; i < MT; ++i) av[i] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mk, a + (i0 + i) * k + t), flip);
    for (int j = 0; j < NT; ++j) bv[j] = _mm512_maskz_loadu_epi8(mk, b + (j0 + j) * k + t);
    for (int j = 0; j < NT; ++j)
      for (int i = 0; i < MT; ++i) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av[i], bv[j]);
  }
  for (int j = 0; j < NT; ++j)
    for (int i = 0; i < MT; ++i) c[(i0 + i) * n + j0 + j] = _mm512_reduce_add_epi32(acc[i][j]) - comp[j0 + j - jbase];
}

// comp[j - n0]: the sums of weight rows [n0, n1).
template <int MT>
void row_tiles(const int8_t* a, const int8_t* b, int32_t* c, size_t n, size_t k, size_t i0, size_t n0, size_t n1,
               const int32_t* comp) {
  size_t j = n0;
  const size_t base = n0;
  for (; j + 4 <= n1; j += 4) tile<MT, 4>(a, b, c, n, k, i0, j, comp, base);
  switch (n1 - j) {
    case 3: tile<MT, 3>(a, b, c, n, k, i0, j, comp, base); break;
    case 2: tile<MT, 2>(a, b, c, n, k, i0, j, comp, base); break;
    case 1: tile<MT, 1>(a, b, c, n, k, i0, j, comp, base); break;
    default: break;
  }
}

}  // namespace

void s8_gemm_slice_avx512vnni(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                              size_t n1) {
  // Weight rows outer in slices of 16 (64 KB at k = 4096 stays in L2 while every activation
  // row passes over it); activation rows in tiles of 4.
  constexpr size_t kSlice = 16;
  for (size_t jb = n0; jb < n1; jb += kSlice) {
    const size_t je = jb + kSlice < n1 ? jb + kSlice : n1;
    int32_t comp_slice[kSlice];
    for (size_t j = jb; j < je; ++j) comp_slice[j - jb] = row_comp(b + j * k, k);
    const int32_t* comp = comp_slice;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) row_tiles<4>(a, b, c, n, k, i, jb, je, comp);
    switch (m - i) {
      case 3: row_tiles<3>(a, b, c, n, k, i, jb, je, comp); break;
      case 2: row_tiles<2>(a, b, c, n, k, i, jb, je, comp); break;
      case 1: row_tiles<1>(a, b, c, n, k, i, jb, je, comp); break;
      default: break;
    }
  }
}

}  // namespace tf::int8gemm
