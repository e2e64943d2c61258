// Per-ISA inner loops of the magnitude group (magnitude_*_{scalar,avx2,avx512,neon}.cc).
// All work on abs keys (common/float_bits.h) and return the largest key seen so callers can
// detect NaN (key > kInfKey) without a separate pass.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/cpu.h"

namespace tf {
namespace mag {

struct BandCounts {
  uint64_t below = 0;    // keys < lo
  uint64_t eq_lo = 0;    // keys == lo
  uint64_t eq_hi = 0;    // keys == hi (only when hi > lo)
  uint32_t max_key = 0;  // largest key (NaN check)
};

// Where the keys equal to the threshold are (ties): mask build and pruning record them in the
// same pass, so settling "prune the first k ties" never rescans the weights. Positions are
// global (base + index in the call); past `cap` only `count` grows.
struct TieList {
  uint64_t* pos = nullptr;
  size_t cap = 0, len = 0;
  uint64_t count = 0;
  uint64_t base = 0;
  // bits: lanes of the vector at index i whose key equals the threshold.
  void note(size_t i, uint64_t bits) {
    while (bits) {
      if (len < cap) pos[len++] = base + i + size_t(__builtin_ctzll(bits));
      ++count;
      bits &= bits - 1;
    }
  }
};

struct Kernels {
  // Counts keys below lo / equal lo / equal hi; appends keys strictly inside (lo, hi) to
  // out (room for n + 16 entries) and returns how many. Requires lo <= hi.
  size_t (*band)(const float* w, size_t n, uint32_t lo, uint32_t hi, uint32_t* out, BandCounts* c);
  // mask[i] = key(w[i]) >= t; returns the max key. ties (may be null): keys == t noted.
  uint32_t (*mask_ge)(const float* w, size_t n, uint32_t t, uint8_t* mask, TieList* ties);
  // w[i] = key(w[i]) >= t ? w[i] : 0 (in place); returns the max key. ties as above.
  uint32_t (*prune_lt)(float* w, size_t n, uint32_t t, TieList* ties);
  // w[i] = mask[i] ? w[i] : 0 (in place).
  void (*apply_mask)(float* w, const uint8_t* mask, size_t n);
  // #{i : key(w[i]) != 0}
  uint64_t (*nonzero_f32)(const float* w, size_t n);
  // #{i : m[i] != 0}
  uint64_t (*nonzero_u8)(const uint8_t* m, size_t n);
};

}  // namespace mag
}  // namespace tf
