// Scalar reference panel: every output one fma chain over k in order.
#include <cmath>

#include "kernels/pgemm/variants.h"

namespace tf::pgemm {
namespace {

void panel_scalar(const float* ap, size_t mr_max, size_t rows, const float* bp, size_t k, float* c, size_t ldc,
                  size_t cols) {
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < cols; ++j) {
      float s = 0.f;
      for (size_t kk = 0; kk < k; ++kk) s = std::fma(ap[kk * mr_max + r], bp[kk * kPanel + j], s);
      c[r * ldc + j] = s;
    }
}

}  // namespace

const Kernels kScalar = {panel_scalar, 16};

}  // namespace tf::pgemm
