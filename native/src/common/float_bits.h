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

}  // namespace tf
