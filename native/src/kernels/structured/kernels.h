// Per-ISA loops of the structured group (Wanda's elementwise product: one multiply per
// element, so every variant is bit-identical to the reference).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/cpu.h"

namespace tf {
namespace structured {

struct Kernels {
  // out[i] = |w[i]| * s; returns the largest |w| key (NaN check).
  uint32_t (*abs_mul_scalar)(const float* w, size_t n, float s, float* out);
  // out[i] = |w[i]| * s[i]; returns the largest |w| key.
  uint32_t (*abs_mul_vector)(const float* w, size_t n, const float* s, float* out);
};

}  // namespace structured
}  // namespace tf
