// AVX2 2:4 products. GEMV: 4 groups (16 inputs, 8 kept values) per vector; the positions
// become vpermps indices into each 8-input half and a blend joins the halves. Two vectors
// (lanes 0-7, 8-15) follow the reference's 16-lane order. GEMM tile: X transposed to
// [cols][16] (two ymm per input), 4 rows at once (8 independent chains).
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/sp24/variants.h"

namespace tf::sp24 {
namespace {

template <bool F16>
inline __m256 values8(const void* base, size_t j) {
  if constexpr (F16)
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + j)));
  else
    return _mm256_loadu_ps(static_cast<const float*>(base) + j);
}

template <bool F16>
inline float value1(const void* base, size_t j) {
  if constexpr (F16)
    return _cvtsh_ss(static_cast<const uint16_t*>(base)[j]);
  else
    return static_cast<const float*>(base)[j];
}

// 8 kept values of 4 groups starting at input column c (16 bits of positions in `bits`).
inline __m256 gather8(const float* x, uint32_t bits) {
  const __m256i shifts = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i base = _mm256_setr_epi32(0, 0, 4, 4, 0, 0, 4, 4);
  const __m256i sel = _mm256_add_epi32(
      base, _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(int(bits)), shifts), _mm256_set1_epi32(3)));
  const __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x), sel);
  const __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x + 8), sel);
  return _mm256_blend_ps(lo, hi, 0xF0);
}

template <bool F16>
void gemv_avx2(const Packed& w, const float* x, size_t r0, size_t r1, float* y) {
  const size_t kr = w.kept_per_row(), blocks = w.cols / 32;
  for (size_t r = r0; r < r1; ++r) {
    const uint8_t* ix = w.idx + r * w.idx_per_row();
    const size_t vj = r * kr;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (size_t b = 0; b < blocks; ++b) {
      uint32_t bits;
      std::memcpy(&bits, ix + 4 * b, 4);
      a0 = _mm256_fmadd_ps(values8<F16>(w.values, vj + 16 * b), gather8(x + 32 * b, bits & 0xFFFF), a0);
      a1 = _mm256_fmadd_ps(values8<F16>(w.values, vj + 16 * b + 8), gather8(x + 32 * b + 16, bits >> 16), a1);
    }
    alignas(32) float s[kLanes];
    _mm256_store_ps(s, a0);
    _mm256_store_ps(s + 8, a1);
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
  __m256 lo[R], hi[R];
  for (int i = 0; i < R; ++i) lo[i] = hi[i] = _mm256_setzero_ps();
  alignas(32) float v[R][8];
  uint32_t bits[R];
  for (size_t g0 = 0; g0 < groups; g0 += 4) {
    const size_t gn = groups - g0 < 4 ? groups - g0 : 4;
    for (int i = 0; i < R; ++i) {
      const size_t j = (r + size_t(i)) * kr + 2 * g0;
      if (gn == 4) {
        _mm256_store_ps(v[i], values8<F16>(w.values, j));
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
        const float* p0 = xg + (nib & 3) * kTile;
        const float* p1 = xg + (nib >> 2) * kTile;
        const __m256 v0 = _mm256_set1_ps(v[i][2 * q]), v1 = _mm256_set1_ps(v[i][2 * q + 1]);
        lo[i] = _mm256_fmadd_ps(v0, _mm256_loadu_ps(p0), lo[i]);
        hi[i] = _mm256_fmadd_ps(v0, _mm256_loadu_ps(p0 + 8), hi[i]);
        lo[i] = _mm256_fmadd_ps(v1, _mm256_loadu_ps(p1), lo[i]);
        hi[i] = _mm256_fmadd_ps(v1, _mm256_loadu_ps(p1 + 8), hi[i]);
      }
    }
  }
  for (int i = 0; i < R; ++i) {
    _mm256_storeu_ps(yt + (r + size_t(i)) * kTile, lo[i]);
    _mm256_storeu_ps(yt + (r + size_t(i)) * kTile + 8, hi[i]);
  }
}

}  // namespace

const Kernels kAvx2 = Entry<4, tile_rows<4, false>, tile_rows<1, false>, tile_rows<4, true>, tile_rows<1, true>,
                            gemv_avx2<false>, gemv_avx2<true>>::kernels;

}  // namespace tf::sp24
