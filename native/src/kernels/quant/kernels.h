// Per-ISA inner loops of the quantization group. Every variant divides by the scale and
// rounds half to even exactly like the scalar reference, so results are bit-identical.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/cpu.h"

namespace tf {
namespace quant {

struct Kernels {
  // Largest |x| key (common/float_bits.h) of n floats: >= kInfKey means Inf/NaN present.
  uint32_t (*amax_key)(const float* x, size_t n);
  // acc[c] = max(acc[c], key(|x[c]|)) for c < n (column maxima, one row at a time).
  void (*colmax_key)(const float* x, size_t n, uint32_t* acc);
  // q[i] = clamp(rne(x[i] / scale), -127, 127)
  void (*q8_scalar_scale)(const float* x, size_t n, float scale, int8_t* q);
  // q[i] = clamp(rne(x[i] / scales[i]), -127, 127)
  void (*q8_vector_scale)(const float* x, size_t n, const float* scales, int8_t* q);
  // w[i] = q[i] * scale / w[i] = q[i] * scales[i]
  void (*dq8_scalar_scale)(const int8_t* q, size_t n, float scale, float* w);
  void (*dq8_vector_scale)(const int8_t* q, size_t n, const float* scales, float* w);
  // `groups` consecutive groups of `g` floats (g in 32/64/128): scales (+ zero points when
  // asymmetric), packed nibbles (g/2 bytes per group). Returns the largest |x| key seen.
  uint32_t (*q4_groups)(const float* x, size_t groups, size_t g, bool symmetric, uint8_t* packed, float* scales,
                        uint8_t* zps);
  // Inverse of q4_groups; zps null = symmetric.
  void (*dq4_groups)(const uint8_t* packed, size_t groups, size_t g, const float* scales, const uint8_t* zps, float* w);
};

// Shared by every variant so scales and zero points are computed identically.
inline float int8_scale(float amax) { return amax > 0.f ? amax / 127.f : 1.f; }
struct Int4Params {
  float scale;
  int zp;
};
Int4Params int4_params(float mn, float mx, bool symmetric);

}  // namespace quant
}  // namespace tf
