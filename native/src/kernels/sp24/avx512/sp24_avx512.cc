// AVX-512 2:4 products. GEMV: 8 groups (32 inputs, 16 kept values) per step; the 2-bit
// positions become vpermt2ps indices into the 32 inputs (no gathers), fp16 values are upcast
// with vcvtph2ps. GEMM tile: X transposed to [cols][16] so a kept value times one zmm of the
// batch is a single FMA; 8 rows at once keep 8 independent chains in flight.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/sp24/variants.h"

namespace tf::sp24 {
namespace {

template <bool F16>
inline __m512 values16(const void* base, size_t j) {
  if constexpr (F16)
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + j)));
  else
    return _mm512_loadu_ps(static_cast<const float*>(base) + j);
}

template <bool F16>
inline float value1(const void* base, size_t j) {
  if constexpr (F16)
    return half_to_float(static_cast<const uint16_t*>(base)[j]);  // tails only: the exact software upcast
  else
    return static_cast<const float*>(base)[j];
}

template <bool F16>
void gemv_avx512(const Packed& w, const float* x, size_t r0, size_t r1, float* y) {
  const size_t kr = w.kept_per_row(), blocks = w.cols / 32;
  // Lane l holds kept value l of 8 groups: group l/2, its (l&1)-th position.
  const __m512i shifts = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i base = _mm512_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20, 20, 24, 24, 28, 28);
  const __m512i three = _mm512_set1_epi32(3);
  for (size_t r = r0; r < r1; ++r) {
    const uint8_t* ix = w.idx + r * w.idx_per_row();
    const size_t vj = r * kr;
    __m512 acc = _mm512_setzero_ps();
    for (size_t b = 0; b < blocks; ++b) {
      uint32_t bits;
      std::memcpy(&bits, ix + 4 * b, 4);
      const __m512i sel = _mm512_add_epi32(base, _mm512_and_si512(_mm512_srlv_epi32(_mm512_set1_epi32(int(bits)), shifts), three));
      const __m512 xs = _mm512_permutex2var_ps(_mm512_loadu_ps(x + 32 * b), sel, _mm512_loadu_ps(x + 32 * b + 16));
      acc = _mm512_fmadd_ps(values16<F16>(w.values, vj + 16 * b), xs, acc);
    }
    alignas(64) float s[kLanes];
    _mm512_store_ps(s, acc);
    for (size_t g = 8 * blocks, l = 0; g < w.cols / 4; ++g, l += 2) {
      size_t c0, c1;
      group_cols(ix, g, &c0, &c1);
      s[l] = std::fma(value1<F16>(w.values, vj + 2 * g), x[c0], s[l]);
      s[l + 1] = std::fma(value1<F16>(w.values, vj + 2 * g + 1), x[c1], s[l + 1]);
    }
    y[r] = lane_tree_sum(s);
  }
}

template <int R, bool F16>
inline void tile_rows(const Packed& w, const float* xt, size_t r, float* yt) {
  const size_t kr = w.kept_per_row(), groups = w.cols / 4;
  __m512 acc[R];
  for (int i = 0; i < R; ++i) acc[i] = _mm512_setzero_ps();
  alignas(64) float v[R][16];
  uint32_t bits[R];
  for (size_t g0 = 0; g0 < groups; g0 += 8) {
    const size_t gn = groups - g0 < 8 ? groups - g0 : 8;
    for (int i = 0; i < R; ++i) {
      const size_t j = (r + size_t(i)) * kr + 2 * g0;
      if (gn == 8) {
        _mm512_store_ps(v[i], values16<F16>(w.values, j));
      } else {
        for (size_t t = 0; t < 2 * gn; ++t) v[i][t] = value1<F16>(w.values, j + t);
      }
      bits[i] = 0;
      std::memcpy(&bits[i], w.idx + (r + size_t(i)) * w.idx_per_row() + g0 / 2, (gn + 1) / 2);
    }
    for (size_t q = 0; q < gn; ++q) {
      const float* xg = xt + 4 * (g0 + q) * kTile;
      for (int i = 0; i < R; ++i) {
        const unsigned nib = (bits[i] >> (4 * q)) & 0xF;
        acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(v[i][2 * q]), _mm512_loadu_ps(xg + (nib & 3) * kTile), acc[i]);
        acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(v[i][2 * q + 1]), _mm512_loadu_ps(xg + (nib >> 2) * kTile), acc[i]);
      }
    }
  }
  for (int i = 0; i < R; ++i) _mm512_storeu_ps(yt + (r + size_t(i)) * kTile, acc[i]);
}

}  // namespace

const Kernels kAvx512 = Entry<8, tile_rows<8, false>, tile_rows<1, false>, tile_rows<8, true>, tile_rows<1, true>,
                              gemv_avx512<false>, gemv_avx512<true>>::kernels;

}  // namespace tf::sp24
