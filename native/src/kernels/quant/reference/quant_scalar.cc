// Scalar reference of the quantization loops. Rounding is std::nearbyint in the default
// mode (half to even), as ONNX QuantizeLinear specifies.
#include <algorithm>
#include <cmath>

#include "common/float_bits.h"
#include "kernels/quant/variants.h"

namespace tf {
namespace quant {

Int4Params int4_params(float mn, float mx, bool symmetric) {
  Int4Params p;
  if (symmetric) {
    float amax = std::max(-mn, mx);
    p.scale = amax > 0.f ? amax / 7.f : 1.f;
    p.zp = 8;
  } else {
    float lo = std::min(mn, 0.f), hi = std::max(mx, 0.f);
    float range = hi - lo;
    p.scale = range > 0.f ? range / 15.f : 1.f;
    p.zp = int(std::min(15.f, std::max(0.f, std::nearbyint(-lo / p.scale))));
  }
  return p;
}

namespace {

uint32_t amax_key_scalar(const float* x, size_t n) {
  uint32_t m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, abs_key(x[i]));
  return m;
}

void colmax_key_scalar(const float* x, size_t n, uint32_t* acc) {
  for (size_t i = 0; i < n; ++i) acc[i] = std::max(acc[i], abs_key(x[i]));
}

inline int8_t q8(float x, float scale) {
  float r = std::nearbyint(x / scale);
  return int8_t(std::min(127.f, std::max(-127.f, r)));
}

void q8_scalar_scale_scalar(const float* x, size_t n, float scale, int8_t* q) {
  for (size_t i = 0; i < n; ++i) q[i] = q8(x[i], scale);
}

void q8_vector_scale_scalar(const float* x, size_t n, const float* scales, int8_t* q) {
  for (size_t i = 0; i < n; ++i) q[i] = q8(x[i], scales[i]);
}

void dq8_scalar_scale_scalar(const int8_t* q, size_t n, float scale, float* w) {
  for (size_t i = 0; i < n; ++i) w[i] = float(q[i]) * scale;
}

void dq8_vector_scale_scalar(const int8_t* q, size_t n, const float* scales, float* w) {
  for (size_t i = 0; i < n; ++i) w[i] = float(q[i]) * scales[i];
}

uint32_t q4_groups_scalar(const float* x, size_t groups, size_t g, bool symmetric, uint8_t* packed, float* scales,
                          uint8_t* zps) {
  uint32_t key = 0;
  for (size_t gi = 0; gi < groups; ++gi, x += g, packed += g / 2) {
    float mn = x[0], mx = x[0];
    for (size_t i = 0; i < g; ++i) {
      mn = std::min(mn, x[i]);
      mx = std::max(mx, x[i]);
      key = std::max(key, abs_key(x[i]));
    }
    Int4Params p = int4_params(mn, mx, symmetric);
    scales[gi] = p.scale;
    if (zps) zps[gi] = uint8_t(p.zp);
    const float zp = float(p.zp);
    for (size_t i = 0; i < g; i += 2) {
      float a = std::min(15.f, std::max(0.f, std::nearbyint(x[i] / p.scale) + zp));
      float b = std::min(15.f, std::max(0.f, std::nearbyint(x[i + 1] / p.scale) + zp));
      packed[i / 2] = uint8_t(int(a) | (int(b) << 4));
    }
  }
  return key;
}

void dq4_groups_scalar(const uint8_t* packed, size_t groups, size_t g, const float* scales, const uint8_t* zps,
                       float* w) {
  for (size_t gi = 0; gi < groups; ++gi, packed += g / 2, w += g) {
    const int zp = zps ? zps[gi] : 8;
    const float s = scales[gi];
    for (size_t i = 0; i < g / 2; ++i) {
      w[2 * i] = float(int(packed[i] & 15) - zp) * s;
      w[2 * i + 1] = float(int(packed[i] >> 4) - zp) * s;
    }
  }
}

}  // namespace

const Kernels kScalar = {amax_key_scalar,         colmax_key_scalar,       q8_scalar_scale_scalar,
                         q8_vector_scale_scalar,  dq8_scalar_scale_scalar, dq8_vector_scale_scalar,
                         q4_groups_scalar,        dq4_groups_scalar};

}  // namespace quant
}  // namespace tf
