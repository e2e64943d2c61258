// NEON quantization loops: 4 floats per vector; vrndnq rounds half to even, vdivq is exact.
#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "common/float_bits.h"
#include "kernels/quant/variants.h"

namespace tf {
namespace quant {
namespace {

inline uint32x4_t keys(const float* x) { return vandq_u32(vld1q_u32(reinterpret_cast<const uint32_t*>(x)), vdupq_n_u32(kAbsMask)); }

uint32_t amax_key_neon(const float* x, size_t n) {
  uint32x4_t m0 = vdupq_n_u32(0), m1 = m0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    m0 = vmaxq_u32(m0, keys(x + i));
    m1 = vmaxq_u32(m1, keys(x + i + 4));
  }
  uint32_t m = vmaxvq_u32(vmaxq_u32(m0, m1));
  for (; i < n; ++i) m = std::max(m, abs_key(x[i]));
  return m;
}

void colmax_key_neon(const float* x, size_t n, uint32_t* acc) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_u32(acc + i, vmaxq_u32(vld1q_u32(acc + i), keys(x + i)));
  for (; i < n; ++i) acc[i] = std::max(acc[i], abs_key(x[i]));
}

inline int8_t q8_one(float x, float scale) { return int8_t(std::min(127.f, std::max(-127.f, std::nearbyint(x / scale)))); }

inline int32x4_t q8_4(float32x4_t x, float32x4_t s) {
  float32x4_t r = vrndnq_f32(vdivq_f32(x, s));
  r = vminq_f32(vmaxq_f32(r, vdupq_n_f32(-127.f)), vdupq_n_f32(127.f));
  return vcvtq_s32_f32(r);
}
inline int8x16_t narrow16(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
  int16x8_t ab = vcombine_s16(vmovn_s32(a), vmovn_s32(b)), cd = vcombine_s16(vmovn_s32(c), vmovn_s32(d));
  return vcombine_s8(vmovn_s16(ab), vmovn_s16(cd));
}

void q8_scalar_scale_neon(const float* x, size_t n, float scale, int8_t* q) {
  const float32x4_t s = vdupq_n_f32(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    vst1q_s8(q + i, narrow16(q8_4(vld1q_f32(x + i), s), q8_4(vld1q_f32(x + i + 4), s), q8_4(vld1q_f32(x + i + 8), s),
                             q8_4(vld1q_f32(x + i + 12), s)));
  for (; i < n; ++i) q[i] = q8_one(x[i], scale);
}

void q8_vector_scale_neon(const float* x, size_t n, const float* scales, int8_t* q) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    vst1q_s8(q + i, narrow16(q8_4(vld1q_f32(x + i), vld1q_f32(scales + i)), q8_4(vld1q_f32(x + i + 4), vld1q_f32(scales + i + 4)),
                             q8_4(vld1q_f32(x + i + 8), vld1q_f32(scales + i + 8)),
                             q8_4(vld1q_f32(x + i + 12), vld1q_f32(scales + i + 12))));
  for (; i < n; ++i) q[i] = q8_one(x[i], scales[i]);
}

void dq8_scalar_scale_neon(const int8_t* q, size_t n, float scale, float* w) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int16x8_t h = vmovl_s8(vld1_s8(q + i));
    vst1q_f32(w + i, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(h))), scale));
    vst1q_f32(w + i + 4, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(h))), scale));
  }
  for (; i < n; ++i) w[i] = float(q[i]) * scale;
}

void dq8_vector_scale_neon(const int8_t* q, size_t n, const float* scales, float* w) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int16x8_t h = vmovl_s8(vld1_s8(q + i));
    vst1q_f32(w + i, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(h))), vld1q_f32(scales + i)));
    vst1q_f32(w + i + 4, vmulq_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(h))), vld1q_f32(scales + i + 4)));
  }
  for (; i < n; ++i) w[i] = float(q[i]) * scales[i];
}

uint32_t q4_groups_neon(const float* x, size_t groups, size_t g, bool symmetric, uint8_t* packed, float* scales,
                        uint8_t* zps) {
  uint32x4_t vkey = vdupq_n_u32(0);
  for (size_t gi = 0; gi < groups; ++gi, x += g, packed += g / 2) {
    float32x4_t vmn = vld1q_f32(x), vmx = vmn;
    for (size_t i = 0; i < g; i += 4) {
      float32x4_t v = vld1q_f32(x + i);
      vmn = vminq_f32(vmn, v);
      vmx = vmaxq_f32(vmx, v);
      vkey = vmaxq_u32(vkey, keys(x + i));
    }
    Int4Params p = int4_params(vminvq_f32(vmn), vmaxvq_f32(vmx), symmetric);
    scales[gi] = p.scale;
    if (zps) zps[gi] = uint8_t(p.zp);
    const float32x4_t s = vdupq_n_f32(p.scale), zp = vdupq_n_f32(float(p.zp));
    for (size_t i = 0; i < g; i += 16) {
      int32x4_t q[4];
      for (int j = 0; j < 4; ++j) {
        float32x4_t r = vaddq_f32(vrndnq_f32(vdivq_f32(vld1q_f32(x + i + 4 * j), s)), zp);
        q[j] = vcvtq_s32_f32(vminq_f32(vmaxq_f32(r, vdupq_n_f32(0.f)), vdupq_n_f32(15.f)));
      }
      uint8x16_t b = vreinterpretq_u8_s8(narrow16(q[0], q[1], q[2], q[3]));
      uint8x16_t even = vuzp1q_u8(b, b), odd = vuzp2q_u8(b, b);
      vst1_u8(packed + i / 2, vget_low_u8(vorrq_u8(even, vshlq_n_u8(odd, 4))));
    }
  }
  return vmaxvq_u32(vkey);
}

void dq4_groups_neon(const uint8_t* packed, size_t groups, size_t g, const float* scales, const uint8_t* zps, float* w) {
  for (size_t gi = 0; gi < groups; ++gi, packed += g / 2, w += g) {
    const int16x8_t zp = vdupq_n_s16(int16_t(zps ? zps[gi] : 8));
    const float s = scales[gi];
    for (size_t i = 0; i < g; i += 16) {
      uint8x8_t b = vld1_u8(packed + i / 2);
      uint8x8x2_t z = vzip_u8(vand_u8(b, vdup_n_u8(15)), vshr_n_u8(b, 4));  // even, odd interleaved
      int16x8_t lo = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(z.val[0])), zp);
      int16x8_t hi = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(z.val[1])), zp);
      vst1q_f32(w + i, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo))), s));
      vst1q_f32(w + i + 4, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo))), s));
      vst1q_f32(w + i + 8, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi))), s));
      vst1q_f32(w + i + 12, vmulq_n_f32(vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi))), s));
    }
  }
}

}  // namespace

const Kernels kNeon = {amax_key_neon,        colmax_key_neon,       q8_scalar_scale_neon, q8_vector_scale_neon,
                       dq8_scalar_scale_neon, dq8_vector_scale_neon, q4_groups_neon,       dq4_groups_neon};

}  // namespace quant
}  // namespace tf
