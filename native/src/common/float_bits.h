// Float <-> ordered integer keys. |x| compares like its bit pattern with the sign cleared, so
// selection and thresholds work on uint32 keys: exact, branch-free, the same on every ISA.
#pragma once
#include <cstdint>
#include <cstring>

namespace tf {

constexpr uint32_t kAbsMask = 0x7FFFFFFFu;
constexpr uint32_t kInfKey = 0x7F800000u;  // keys above this are NaN

inline uint32_t float_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline float bits_float(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
// Key of |x|: monotonic in |x| for non-NaN x; -0 and +0 share key 0.
inline uint32_t abs_key(float x) { return float_bits(x) & kAbsMask; }
// Key of a signed x, monotonic over all non-NaN floats (-0 < +0).
inline uint32_t signed_key(float x) {
  uint32_t u = float_bits(x);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
inline bool key_is_nan(uint32_t abs) { return abs > kInfKey; }

// An int32 whose signed order is the order of |x| (magnitude) or of x (otherwise, -0 < +0):
// one key type for score comparisons on every ISA (AVX2 has only signed 32-bit compares).
inline int32_t order_key(float x, bool magnitude) {
  uint32_t u = float_bits(x);
  if (magnitude) return int32_t(u & kAbsMask);
  uint32_t flip = uint32_t(int32_t(u) >> 31) & kAbsMask;
  return int32_t(u ^ flip);
}

}  // namespace tf
