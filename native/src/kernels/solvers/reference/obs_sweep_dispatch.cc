// Sweep variant per ISA, and the grid parameters shared by the sweep and the per-row setup.
#include <cmath>

#include "kernels/solvers/obs_sweep.h"

namespace tf::solvers::detail {

SweepFn obs_sweep_for(Isa isa) {
  IsaTable<SweepFn> t;
  t.scalar = obs_sweep_scalar;
#if defined(__x86_64__) || defined(_M_X64)
  t.avx2 = obs_sweep_avx2;
  t.avx512 = obs_sweep_avx512;
#endif
#if defined(__aarch64__)
  t.neon = obs_sweep_neon;
#endif
  return t.get(isa);
}

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
