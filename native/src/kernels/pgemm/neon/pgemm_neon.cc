// NEON panel: up to 6 rows x 16 columns of C in 24 q accumulators (fused vfmaq by lane value).
#include <arm_neon.h>

#include "kernels/pgemm/variants.h"

namespace tf::pgemm {
namespace {

template <int R>
void panel_rows(const float* ap, size_t mr_max, const float* bp, size_t k, float* c, size_t ldc, size_t cols) {
  float32x4_t acc[R][4];
  for (int i = 0; i < R; ++i)
    for (int q = 0; q < 4; ++q) acc[i][q] = vdupq_n_f32(0.f);
  for (size_t kk = 0; kk < k; ++kk) {
    float32x4_t b[4];
    for (int q = 0; q < 4; ++q) b[q] = vld1q_f32(bp + kk * kPanel + 4 * q);
    const float* a = ap + kk * mr_max;
    for (int i = 0; i < R; ++i)
      for (int q = 0; q < 4; ++q) acc[i][q] = vfmaq_n_f32(acc[i][q], b[q], a[i]);
  }
  for (int i = 0; i < R; ++i) {
    float t[16];
    for (int q = 0; q < 4; ++q) vst1q_f32(t + 4 * q, acc[i][q]);
    float* out = c + size_t(i) * ldc;
    for (size_t j = 0; j < cols; ++j) out[j] = t[j];
  }
}

void panel_neon(const float* ap, size_t mr_max, size_t rows, const float* bp, size_t k, float* c, size_t ldc,
                size_t cols) {
  with_rows<6>(rows, [&](auto r) { panel_rows<decltype(r)::value>(ap, mr_max, bp, k, c, ldc, cols); });
}

}  // namespace

const Kernels kNeon = {panel_neon, 6};

}  // namespace tf::pgemm
