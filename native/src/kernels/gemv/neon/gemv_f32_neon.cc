// Dense GEMV slice, NEON: four rows of B per pass over the y slice held in L1.
#include <arm_neon.h>

#include <algorithm>

#include "kernels/gemv/variants.h"

namespace tf::gemv {

void gemv_f32_slice_neon(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y) {
  std::fill(y + j0, y + j1, 0.0f);
  const size_t n = j1 - j0, nv = n / 4 * 4;
  size_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const float32x4_t xv = vld1q_f32(x + i);
    const float* r0 = b + i * ldb + j0;
    const float* r1 = r0 + ldb;
    const float* r2 = r1 + ldb;
    const float* r3 = r2 + ldb;
    float* yy = y + j0;
    for (size_t j = 0; j < nv; j += 4) {
      float32x4_t acc = vld1q_f32(yy + j);
      acc = vfmaq_laneq_f32(acc, vld1q_f32(r0 + j), xv, 0);
      acc = vfmaq_laneq_f32(acc, vld1q_f32(r1 + j), xv, 1);
      acc = vfmaq_laneq_f32(acc, vld1q_f32(r2 + j), xv, 2);
      acc = vfmaq_laneq_f32(acc, vld1q_f32(r3 + j), xv, 3);
      vst1q_f32(yy + j, acc);
    }
    for (size_t j = nv; j < n; ++j) yy[j] += x[i] * r0[j] + x[i + 1] * r1[j] + x[i + 2] * r2[j] + x[i + 3] * r3[j];
  }
  for (; i < k; ++i)
    for (size_t j = j0; j < j1; ++j) y[j] += x[i] * b[i * ldb + j];
}

}  // namespace tf::gemv
