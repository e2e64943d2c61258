// Scalar reference of Wanda's |w| * norm.
#include <algorithm>
#include <cmath>

#include "common/float_bits.h"
#include "kernels/structured/variants.h"

namespace tf {
namespace structured {
namespace {

uint32_t abs_mul_scalar_ref(const float* w, size_t n, float s, float* out) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    m = std::max(m, abs_key(w[i]));
    out[i] = std::fabs(w[i]) * s;
  }
  return m;
}

uint32_t abs_mul_vector_ref(const float* w, size_t n, const float* s, float* out) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) {
    m = std::max(m, abs_key(w[i]));
    out[i] = std::fabs(w[i]) * s[i];
  }
  return m;
}

}  // namespace

const Kernels kScalar = {abs_mul_scalar_ref, abs_mul_vector_ref};

}  // namespace structured
}  // namespace tf
