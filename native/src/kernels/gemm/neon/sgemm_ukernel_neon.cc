// fp32 8x12 register tile for NEON: 24 q-register accumulators, 3 B vectors, 2 A vectors
// used lane by lane (fmla by element), 29 of the 32 registers.
#include <arm_neon.h>

#include "kernels/gemm/variants.h"

namespace tf::gemm {

void sgemm_ukernel_8x12_neon(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc, size_t mr,
                             size_t nr, float alpha, float beta) {
  constexpr size_t MR = 8, NR = 12;
  float32x4_t acc[MR][3];
  for (size_t i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = acc[i][2] = vdupq_n_f32(0.0f);
  for (size_t k = 0; k < kc; ++k) {
    const float32x4_t b0 = vld1q_f32(b + k * bstride), b1 = vld1q_f32(b + k * bstride + 4), b2 = vld1q_f32(b + k * bstride + 8);
    const float32x4_t a0 = vld1q_f32(a + k * MR), a1 = vld1q_f32(a + k * MR + 4);
#define TF_ROW(i, av, lane)                                   \
  acc[i][0] = vfmaq_laneq_f32(acc[i][0], b0, av, lane);       \
  acc[i][1] = vfmaq_laneq_f32(acc[i][1], b1, av, lane);       \
  acc[i][2] = vfmaq_laneq_f32(acc[i][2], b2, av, lane);
    TF_ROW(0, a0, 0) TF_ROW(1, a0, 1) TF_ROW(2, a0, 2) TF_ROW(3, a0, 3)
    TF_ROW(4, a1, 0) TF_ROW(5, a1, 1) TF_ROW(6, a1, 2) TF_ROW(7, a1, 3)
#undef TF_ROW
  }
  const float32x4_t va = vdupq_n_f32(alpha);
  if (nr == NR) {
    for (size_t i = 0; i < mr; ++i) {
      float* ci = c + i * ldc;
      for (size_t v = 0; v < 3; ++v) {
        float32x4_t r = vmulq_f32(acc[i][v], va);
        if (beta != 0.0f) r = vfmaq_n_f32(r, vld1q_f32(ci + 4 * v), beta);
        vst1q_f32(ci + 4 * v, r);
      }
    }
    return;
  }
  float tile[MR][NR];
  for (size_t i = 0; i < mr; ++i) {
    for (size_t v = 0; v < 3; ++v) vst1q_f32(tile[i] + 4 * v, vmulq_f32(acc[i][v], va));
    float* ci = c + i * ldc;
    for (size_t j = 0; j < nr; ++j) ci[j] = beta == 0.0f ? tile[i][j] : tile[i][j] + beta * ci[j];
  }
}

}  // namespace tf::gemm
