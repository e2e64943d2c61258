// The scalar register-tile microkernel: the definition the vector microkernels follow (same
// tile contract, sgemm.h); the blocked driver runs it when no vector variant applies.
#include "kernels/gemm/variants.h"

namespace tf::gemm {

void sgemm_ukernel_4x16_scalar(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc, size_t mr,
                               size_t nr, float alpha, float beta) {
  constexpr size_t MR = 4, NR = 16;
  float acc[MR][NR] = {};
  for (size_t k = 0; k < kc; ++k) {
    const float* ak = a + k * MR;
    const float* bk = b + k * bstride;
    for (size_t i = 0; i < MR; ++i)
      for (size_t j = 0; j < NR; ++j) acc[i][j] += ak[i] * bk[j];
  }
  for (size_t i = 0; i < mr; ++i) {
    float* ci = c + i * ldc;
    for (size_t j = 0; j < nr; ++j) ci[j] = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * ci[j];
  }
}

}  // namespace tf::gemm
