// NEON 2:4 products. GEMV: the kept inputs of 2 groups are loaded lane by lane into one
// vector (NEON has no cheap float permute across 8 inputs); four vectors hold the
// reference's 16 lanes. fp16 values upcast with vcvt_f32_f16. GEMM tile: X transposed to
// [cols][16] (four q registers per input), 2 rows at once (8 independent chains).
#include <arm_neon.h>

#include <cmath>
#include <cstring>

#include "kernels/sp24/variants.h"

namespace tf::sp24 {
namespace {

template <bool F16>
inline float32x4_t values4(const void* base, size_t j) {
  if constexpr (F16)
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(static_cast<const uint16_t*>(base) + j)));
  else
    return vld1q_f32(static_cast<const float*>(base) + j);
}

template <bool F16>
inline float value1(const void* base, size_t j) {
  if constexpr (F16)
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(static_cast<const uint16_t*>(base)[j]))), 0);
  else
    return static_cast<const float*>(base)[j];
}

// Inputs of kept values 2g..2g+3 (groups g, g+1).
inline float32x4_t inputs4(const float* x, const uint8_t* ix, size_t g) {
  size_t c0, c1, c2, c3;
  group_cols(ix, g, &c0, &c1);
  group_cols(ix, g + 1, &c2, &c3);
  float32x4_t v = vdupq_n_f32(x[c0]);
  v = vld1q_lane_f32(x + c1, v, 1);
  v = vld1q_lane_f32(x + c2, v, 2);
  return vld1q_lane_f32(x + c3, v, 3);
}

template <bool F16>
void gemv_neon(const Packed& w, const float* x, size_t r0, size_t r1, float* y) {
  const size_t kr = w.kept_per_row(), blocks = w.cols / 32;
  for (size_t r = r0; r < r1; ++r) {
    const uint8_t* ix = w.idx + r * w.idx_per_row();
    const size_t vj = r * kr;
    float32x4_t a[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
    for (size_t b = 0; b < blocks; ++b)
      for (size_t q = 0; q < 4; ++q)
        a[q] = vfmaq_f32(a[q], values4<F16>(w.values, vj + 16 * b + 4 * q), inputs4(x, ix, 8 * b + 2 * q));
    float s[kLanes];
    for (size_t q = 0; q < 4; ++q) vst1q_f32(s + 4 * q, a[q]);
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
  float32x4_t acc[R][4];
  for (int i = 0; i < R; ++i)
    for (int q = 0; q < 4; ++q) acc[i][q] = vdupq_n_f32(0);
  for (size_t g = 0; g < groups; ++g) {
    const float* xg = xt + 4 * g * kTile;
    for (int i = 0; i < R; ++i) {
      size_t c[2];
      group_cols(w.idx + (r + size_t(i)) * w.idx_per_row(), g, &c[0], &c[1]);
      for (size_t t = 0; t < 2; ++t) {
        const float v = value1<F16>(w.values, (r + size_t(i)) * kr + 2 * g + t);
        const float* p = xg + (c[t] - 4 * g) * kTile;
        for (int q = 0; q < 4; ++q) acc[i][q] = vfmaq_n_f32(acc[i][q], vld1q_f32(p + 4 * q), v);
      }
    }
  }
  for (int i = 0; i < R; ++i)
    for (int q = 0; q < 4; ++q) vst1q_f32(yt + (r + size_t(i)) * kTile + 4 * q, acc[i][q]);
}

}  // namespace

const Kernels kNeon = Entry<2, tile_rows<2, false>, tile_rows<1, false>, tile_rows<2, true>, tile_rows<1, true>,
                            gemv_neon<false>, gemv_neon<true>>::kernels;

}  // namespace tf::sp24
