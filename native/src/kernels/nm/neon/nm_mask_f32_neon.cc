// NEON N:M selection: contig for m <= 4 (one register holds whole groups; a byte table
// lookup brings each lane its group-mate), strided for any m (pairwise compares per column).
#include <arm_neon.h>

#include <algorithm>

#include "common/float_bits.h"
#include "kernels/nm/variants.h"

namespace tf {
namespace nm {
namespace {

inline int32x4_t order_keys(uint32x4_t u, bool magnitude) {
  const uint32x4_t abs_mask = vdupq_n_u32(kAbsMask);
  if (magnitude) return vreinterpretq_s32_u32(vandq_u32(u, abs_mask));
  uint32x4_t flip = vandq_u32(vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_u32(u), 31)), abs_mask);
  return vreinterpretq_s32_u32(veorq_u32(u, flip));
}

// 0/all-ones lanes -> 4 bytes 0/1
inline uint32_t lanes_to_bytes(uint32x4_t keep) {
  uint16x4_t h = vmovn_u32(vshrq_n_u32(keep, 31));
  uint8x8_t b = vmovn_u16(vcombine_u16(h, h));
  return vget_lane_u32(vreinterpret_u32_u8(b), 0);
}

uint32_t contig_neon(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask) {
  if (m > 4) return contig_scalar(s, groups, keep, m, magnitude, mask);
  const int per = 4 / m, lanes = per * m;
  uint8x16_t idx[4];
  uint32x4_t wrap[4];
  for (int sh = 1; sh < m; ++sh) {
    uint8_t v[16];
    uint32_t w[4];
    for (int i = 0; i < 4; ++i) {
      int g = i / m, r = i % m;
      int src = i < lanes ? g * m + (r + sh) % m : i;
      for (int b = 0; b < 4; ++b) v[4 * i + b] = uint8_t(4 * src + b);
      w[i] = (i < lanes && r + sh >= m) ? 0xFFFFFFFFu : 0u;
    }
    idx[sh] = vld1q_u8(v);
    wrap[sh] = vld1q_u32(w);
  }
  const int32x4_t vkeep = vdupq_n_s32(keep);
  uint32x4_t vmax = vdupq_n_u32(0);
  size_t g = 0;
  for (; g + size_t(per) <= groups && (groups - g) * size_t(m) >= 4; g += size_t(per)) {
    uint32x4_t u = vld1q_u32(reinterpret_cast<const uint32_t*>(s));
    vmax = vmaxq_u32(vmax, vandq_u32(u, vdupq_n_u32(kAbsMask)));
    int32x4_t k = order_keys(u, magnitude);
    int32x4_t rank = vdupq_n_s32(0);
    for (int sh = 1; sh < m; ++sh) {
      int32x4_t mate = vreinterpretq_s32_u8(vqtbl1q_u8(vreinterpretq_u8_s32(k), idx[sh]));
      uint32x4_t beats = vbslq_u32(wrap[sh], vcgeq_s32(mate, k), vcgtq_s32(mate, k));
      rank = vsubq_s32(rank, vreinterpretq_s32_u32(beats));
    }
    uint32_t bytes = lanes_to_bytes(vcltq_s32(rank, vkeep));
    for (int i = 0; i < lanes; ++i) mask[i] = uint8_t(bytes >> (8 * i));
    s += lanes;
    mask += lanes;
  }
  uint32_t mx = vmaxvq_u32(vmax);
  return std::max(mx, contig_scalar(s, groups - g, keep, m, magnitude, mask));
}

uint32_t strided_neon(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask) {
  const int32x4_t vkeep = vdupq_n_s32(keep);
  uint32x4_t vmax = vdupq_n_u32(0);
  int32x4_t k[16];
  size_t c = 0;
  for (; c + 4 <= cols; c += 4) {
    for (int i = 0; i < t; ++i) {
      uint32x4_t u = vld1q_u32(reinterpret_cast<const uint32_t*>(s + size_t(i) * stride + c));
      vmax = vmaxq_u32(vmax, vandq_u32(u, vdupq_n_u32(kAbsMask)));
      k[i] = order_keys(u, magnitude);
    }
    for (int i = 0; i < t; ++i) {
      int32x4_t rank = vdupq_n_s32(0);
      for (int j = 0; j < i; ++j) rank = vsubq_s32(rank, vreinterpretq_s32_u32(vcgeq_s32(k[j], k[i])));
      for (int j = i + 1; j < t; ++j) rank = vsubq_s32(rank, vreinterpretq_s32_u32(vcgtq_s32(k[j], k[i])));
      uint32_t bytes = lanes_to_bytes(vcltq_s32(rank, vkeep));
      uint8_t* out = mask + size_t(i) * stride + c;
      for (int b = 0; b < 4; ++b) out[b] = uint8_t(bytes >> (8 * b));
    }
  }
  uint32_t mx = vmaxvq_u32(vmax);
  if (c < cols) mx = std::max(mx, strided_scalar(s + c, stride, cols - c, t, keep, magnitude, mask + c));
  return mx;
}

}  // namespace

const Kernels kNeon = {contig_neon, strided_neon};

}  // namespace nm
}  // namespace tf
