// NEON |w| * norm, 4 per step.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "common/float_bits.h"
#include "kernels/structured/variants.h"

namespace tf {
namespace structured {
namespace {

template <bool kVector>
uint32_t abs_mul(const float* w, size_t n, float s, const float* sv, float* out) {
  uint32x4_t mx = vdupq_n_u32(0);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32x4_t a = vandq_u32(vld1q_u32(reinterpret_cast<const uint32_t*>(w + i)), vdupq_n_u32(kAbsMask));
    mx = vmaxq_u32(mx, a);
    float32x4_t f = kVector ? vld1q_f32(sv + i) : vdupq_n_f32(s);
    vst1q_f32(out + i, vmulq_f32(vreinterpretq_f32_u32(a), f));
  }
  uint32_t m = vmaxvq_u32(mx);
  for (; i < n; ++i) {
    m = std::max(m, abs_key(w[i]));
    out[i] = std::fabs(w[i]) * (kVector ? sv[i] : s);
  }
  return m;
}

uint32_t abs_mul_scalar_neon(const float* w, size_t n, float s, float* out) { return abs_mul<false>(w, n, s, nullptr, out); }
uint32_t abs_mul_vector_neon(const float* w, size_t n, const float* s, float* out) { return abs_mul<true>(w, n, 0.f, s, out); }

}  // namespace

const Kernels kNeon = {abs_mul_scalar_neon, abs_mul_vector_neon};

}  // namespace structured
}  // namespace tf
