// int8 GEMM slice with the ARMv8.2 dot-product instruction (SDOT: four int8 products summed
// into each int32 lane). Tiles of up to 4 x 4 dot products, 16 bytes of k per step.
#include <arm_neon.h>

#include "kernels/int8gemm/variants.h"

namespace tf::int8gemm {
namespace {

template <int MT, int NT>
void tile(const int8_t* a, const int8_t* b, int32_t* c, size_t n, size_t k, size_t i0, size_t j0) {
  int32x4_t acc[MT][NT];
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j) acc[i][j] = vdupq_n_s32(0);
  const size_t kv = k / 16 * 16;
  for (size_t t = 0; t < kv; t += 16) {
    int8x16_t av[MT], bv[NT];
    for (int i = 0; i < MT; ++i) av[i] = vld1q_s8(a + (i0 + i) * k + t);
    for (int j = 0; j < NT; ++j) bv[j] = vld1q_s8(b + (j0 + j) * k + t);
    for (int i = 0; i < MT; ++i)
      for (int j = 0; j < NT; ++j) acc[i][j] = vdotq_s32(acc[i][j], av[i], bv[j]);
  }
  for (int i = 0; i < MT; ++i)
    for (int j = 0; j < NT; ++j) {
      int32_t s = vaddvq_s32(acc[i][j]);
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

void s8_gemm_slice_neon_sdot(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                             size_t n1) {
  constexpr size_t kSlice = 16;
  for (size_t jb = n0; jb < n1; jb += kSlice) {
    const size_t je = jb + kSlice < n1 ? jb + kSlice : n1;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) row_tiles<4>(a, b, c, n, k, i, jb, je);
    switch (m - i) {
      case 3: row_tiles<3>(a, b, c, n, k, i, jb, je); break;
      case 2: row_tiles<2>(a, b, c, n, k, i, jb, je); break;
      case 1: row_tiles<1>(a, b, c, n, k, i, jb, je); break;
      default: break;
    }
  }
}

}  // namespace tf::int8gemm
