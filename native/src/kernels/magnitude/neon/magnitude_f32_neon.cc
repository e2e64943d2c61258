// NEON magnitude loops: 4 keys per vector, unrolled to 16 per step.
#include <arm_neon.h>

#include <algorithm>

#include "common/float_bits.h"
#include "kernels/magnitude/variants.h"

namespace tf {
namespace mag {
namespace {

inline uint32x4_t keys4(const float* p) { return vandq_u32(vld1q_u32(reinterpret_cast<const uint32_t*>(p)), vdupq_n_u32(kAbsMask)); }

// Ties are rare: one horizontal max decides, the lanes are looked at only when one matches.
inline void note_ties4(TieList* ties, size_t i, uint32x4_t k, uint32x4_t vt) {
  uint32x4_t eq = vceqq_u32(k, vt);
  if (!vmaxvq_u32(eq)) return;
  uint32_t lanes[4];
  vst1q_u32(lanes, eq);
  for (int j = 0; j < 4; ++j)
    if (lanes[j]) ties->note(i + size_t(j), 1);
}
inline void note_ties16(TieList* ties, size_t i, uint32x4_t k0, uint32x4_t k1, uint32x4_t k2, uint32x4_t k3,
                        uint32x4_t vt) {
  note_ties4(ties, i, k0, vt);
  note_ties4(ties, i + 4, k1, vt);
  note_ties4(ties, i + 8, k2, vt);
  note_ties4(ties, i + 12, k3, vt);
}

size_t band_neon(const float* w, size_t n, uint32_t lo, uint32_t hi, uint32_t* out, BandCounts* c) {
  const uint32x4_t vlo = vdupq_n_u32(lo), vhi = vdupq_n_u32(hi);
  const bool two = hi != lo;
  uint32x4_t vmax = vdupq_n_u32(c->max_key);
  uint64_t below = 0, eq_lo = 0, eq_hi = 0;
  size_t pos = 0, i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32x4_t k = keys4(w + i);
    vmax = vmaxq_u32(vmax, k);
    uint32x4_t lt = vcltq_u32(k, vlo), el = vceqq_u32(k, vlo);
    // Compare results are all-ones (= -1): shifting right by 31 gives 0/1 to add.
    below += vaddvq_u32(vshrq_n_u32(lt, 31));
    eq_lo += vaddvq_u32(vshrq_n_u32(el, 31));
    if (two) eq_hi += vaddvq_u32(vshrq_n_u32(vceqq_u32(k, vhi), 31));
    uint32x4_t in = vandq_u32(vcgtq_u32(k, vlo), vcltq_u32(k, vhi));
    if (vmaxvq_u32(in)) {
      uint32_t t[4], m[4];
      vst1q_u32(t, k);
      vst1q_u32(m, in);
      for (int j = 0; j < 4; ++j)
        if (m[j]) out[pos++] = t[j];
    }
  }
  uint32_t mx = vmaxvq_u32(vmax);
  for (; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    below += k < lo;
    eq_lo += k == lo;
    eq_hi += (k == hi) & two;
    if (k > lo && k < hi) out[pos++] = k;
  }
  c->below += below;
  c->eq_lo += eq_lo;
  c->eq_hi += eq_hi;
  c->max_key = mx;
  return pos;
}

uint32_t mask_ge_neon(const float* w, size_t n, uint32_t t, uint8_t* mask, TieList* ties) {
  const uint32x4_t vt = vdupq_n_u32(t);
  uint32x4_t vmax = vdupq_n_u32(0);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    uint32x4_t k0 = keys4(w + i), k1 = keys4(w + i + 4), k2 = keys4(w + i + 8), k3 = keys4(w + i + 12);
    vmax = vmaxq_u32(vmaxq_u32(vmax, vmaxq_u32(k0, k1)), vmaxq_u32(k2, k3));
    uint16x8_t a = vcombine_u16(vmovn_u32(vcgeq_u32(k0, vt)), vmovn_u32(vcgeq_u32(k1, vt)));
    uint16x8_t b = vcombine_u16(vmovn_u32(vcgeq_u32(k2, vt)), vmovn_u32(vcgeq_u32(k3, vt)));
    uint8x16_t bytes = vcombine_u8(vmovn_u16(a), vmovn_u16(b));
    vst1q_u8(mask + i, vandq_u8(bytes, vdupq_n_u8(1)));
    if (ties) note_ties16(ties, i, k0, k1, k2, k3, vt);
  }
  uint32_t mx = vmaxvq_u32(vmax);
  for (; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    mask[i] = k >= t;
    if (ties && k == t) ties->note(i, 1);
  }
  return mx;
}

uint32_t prune_lt_neon(float* w, size_t n, uint32_t t, TieList* ties) {
  const uint32x4_t vt = vdupq_n_u32(t);
  uint32x4_t vmax = vdupq_n_u32(0);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32x4_t raw = vld1q_u32(reinterpret_cast<const uint32_t*>(w + i));
    uint32x4_t k = vandq_u32(raw, vdupq_n_u32(kAbsMask));
    vmax = vmaxq_u32(vmax, k);
    uint32x4_t keep = vcgeq_u32(k, vt);
    vst1q_u32(reinterpret_cast<uint32_t*>(w + i), vandq_u32(raw, keep));
    if (ties) note_ties4(ties, i, k, vt);
  }
  uint32_t mx = vmaxvq_u32(vmax);
  for (; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    if (k < t) w[i] = 0.f;
    if (ties && k == t) ties->note(i, 1);
  }
  return mx;
}

void apply_mask_neon(float* w, const uint8_t* mask, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    // 0xFF where mask != 0, sign-extended to all-ones 32-bit lanes.
    int8x16_t keep = vreinterpretq_s8_u8(vtstq_u8(vld1q_u8(mask + i), vdupq_n_u8(0xFF)));
    int16x8_t h0 = vmovl_s8(vget_low_s8(keep)), h1 = vmovl_s8(vget_high_s8(keep));
    uint32x4_t m[4] = {vreinterpretq_u32_s32(vmovl_s16(vget_low_s16(h0))), vreinterpretq_u32_s32(vmovl_s16(vget_high_s16(h0))),
                       vreinterpretq_u32_s32(vmovl_s16(vget_low_s16(h1))), vreinterpretq_u32_s32(vmovl_s16(vget_high_s16(h1)))};
    uint32_t* p = reinterpret_cast<uint32_t*>(w + i);
    for (int j = 0; j < 4; ++j) vst1q_u32(p + 4 * j, vandq_u32(vld1q_u32(p + 4 * j), m[j]));
  }
  for (; i < n; ++i)
    if (!mask[i]) w[i] = 0.f;
}

uint64_t nonzero_f32_neon(const float* w, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) c += vaddvq_u32(vshrq_n_u32(vtstq_u32(keys4(w + i), vdupq_n_u32(kAbsMask)), 31));
  for (; i < n; ++i) c += abs_key(w[i]) != 0;
  return c;
}

uint64_t nonzero_u8_neon(const uint8_t* m, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) c += vaddlvq_u8(vshrq_n_u8(vtstq_u8(vld1q_u8(m + i), vdupq_n_u8(0xFF)), 7));
  for (; i < n; ++i) c += m[i] != 0;
  return c;
}

}  // namespace

const Kernels kNeon = {band_neon, mask_ge_neon, prune_lt_neon, apply_mask_neon, nonzero_f32_neon, nonzero_u8_neon};

}  // namespace mag
}  // namespace tf
