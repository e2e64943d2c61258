// The grid parameters shared by every sweep variant and the per-row setup (one definition, so
// all variants snap to the same grid).
#include <cmath>

#include "kernels/solvers/obs_sweep.h"

namespace tf::solvers::detail {

void quant_params(const float* w, const uint8_t* keep, size_t n, size_t stride, uint32_t bits, bool symmetric,
                  float* scale, float* zero) {
  float lo = 0.0f, hi = 0.0f;
  for (size_t i = 0; i < n; ++i) {
    const float v = (!keep || keep[i * stride]) ? w[i * stride] : 0.0f;
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  if (symmetric) {
    const float qmax = float((1u << (bits - 1)) - 1);
    const float amax = -lo > hi ? -lo : hi;
    *scale = amax > 0.0f ? amax / qmax : 1.0f;
    *zero = 0.0f;
  } else {
    const float qmax = float((1u << bits) - 1);
    const float range = hi - lo;
    *scale = range > 0.0f ? range / qmax : 1.0f;
    *zero = std::nearbyint(-lo / *scale);
  }
}

}  // namespace tf::solvers::detail
