// Scalar reference of the magnitude inner loops: the definition the vector variants match
// bit for bit (they only reorder integer work).
#include <algorithm>

#include "common/float_bits.h"
#include "kernels/magnitude/variants.h"

namespace tf {
namespace mag {
namespace {

size_t band_scalar(const float* w, size_t n, uint32_t lo, uint32_t hi, uint32_t* out, BandCounts* c) {
  size_t pos = 0;
  uint64_t below = 0, eq_lo = 0, eq_hi = 0;
  uint32_t mx = c->max_key;
  for (size_t i = 0; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    below += k < lo;
    eq_lo += k == lo;
    eq_hi += (k == hi) & (hi != lo);
    if (k > lo && k < hi) out[pos++] = k;
  }
  c->below += below;
  c->eq_lo += eq_lo;
  c->eq_hi += eq_hi;
  c->max_key = mx;
  return pos;
}

uint32_t mask_ge_scalar(const float* w, size_t n, uint32_t t, uint8_t* mask, TieList* ties) {
  uint32_t mx = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    mask[i] = k >= t;
    if (ties && k == t) ties->note(i, 1);
  }
  return mx;
}

uint32_t prune_lt_scalar(float* w, size_t n, uint32_t t, TieList* ties) {
  uint32_t mx = 0;
  for (size_t i = 0; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    if (k < t) w[i] = 0.f;
    if (ties && k == t) ties->note(i, 1);
  }
  return mx;
}

void apply_mask_scalar(float* w, const uint8_t* mask, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!mask[i]) w[i] = 0.f;
}

uint64_t nonzero_f32_scalar(const float* w, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += abs_key(w[i]) != 0;
  return c;
}

uint64_t nonzero_u8_scalar(const uint8_t* m, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += m[i] != 0;
  return c;
}

}  // namespace

const Kernels kScalar = {band_scalar, mask_ge_scalar, prune_lt_scalar, apply_mask_scalar, nonzero_f32_scalar,
                         nonzero_u8_scalar};

}  // namespace mag
}  // namespace tf
