// AVX2 quantization loops: 8 floats per step; tails go to the scalar reference's rules.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/float_bits.h"
#include "kernels/quant/variants.h"

namespace tf {
namespace quant {
namespace {

constexpr int kRne = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

inline uint32_t hmax_epu32(__m256i v) {
  __m128i m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0xB1));
  return uint32_t(_mm_cvtsi128_si32(m));
}
inline float hmin_ps(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_shuffle_ps(m, m, 0x4E));
  m = _mm_min_ps(m, _mm_shuffle_ps(m, m, 0xB1));
  return _mm_cvtss_f32(m);
}
inline float hmax_ps(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, 0x4E));
  m = _mm_max_ps(m, _mm_shuffle_ps(m, m, 0xB1));
  return _mm_cvtss_f32(m);
}

inline __m256i keys(const float* x) {
  return _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)), _mm256_set1_epi32(int(kAbsMask)));
}

uint32_t amax_key_avx2(const float* x, size_t n) {
  __m256i m0 = _mm256_setzero_si256(), m1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    m0 = _mm256_max_epu32(m0, keys(x + i));
    m1 = _mm256_max_epu32(m1, keys(x + i + 8));
  }
  uint32_t m = hmax_epu32(_mm256_max_epu32(m0, m1));
  for (; i < n; ++i) m = std::max(m, abs_key(x[i]));
  return m;
}

void colmax_key_avx2(const float* x, size_t n, uint32_t* acc) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i* a = reinterpret_cast<__m256i*>(acc + i);
    _mm256_storeu_si256(a, _mm256_max_epu32(_mm256_loadu_si256(a), keys(x + i)));
  }
  for (; i < n; ++i) acc[i] = std::max(acc[i], abs_key(x[i]));
}

inline int8_t q8_one(float x, float scale) { return int8_t(std::min(127.f, std::max(-127.f, std::nearbyint(x / scale)))); }

// 8 floats -> 8 int8 in the low 64 bits.
inline int64_t q8_8(__m256 x, __m256 scale) {
  __m256 r = _mm256_round_ps(_mm256_div_ps(x, scale), kRne);
  r = _mm256_min_ps(_mm256_max_ps(r, _mm256_set1_ps(-127.f)), _mm256_set1_ps(127.f));
  __m256i i32 = _mm256_cvtps_epi32(r);
  __m128i i16 = _mm_packs_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
  return _mm_cvtsi128_si64(_mm_packs_epi16(i16, i16));
}

void q8_scalar_scale_avx2(const float* x, size_t n, float scale, int8_t* q) {
  const __m256 s = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int64_t b = q8_8(_mm256_loadu_ps(x + i), s);
    std::memcpy(q + i, &b, 8);
  }
  for (; i < n; ++i) q[i] = q8_one(x[i], scale);
}

void q8_vector_scale_avx2(const float* x, size_t n, const float* scales, int8_t* q) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    int64_t b = q8_8(_mm256_loadu_ps(x + i), _mm256_loadu_ps(scales + i));
    std::memcpy(q + i, &b, 8);
  }
  for (; i < n; ++i) q[i] = q8_one(x[i], scales[i]);
}

inline __m256 widen8(const int8_t* q) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))));
}

void dq8_scalar_scale_avx2(const int8_t* q, size_t n, float scale, float* w) {
  const __m256 s = _mm256_set1_ps(scale);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(w + i, _mm256_mul_ps(widen8(q + i), s));
  for (; i < n; ++i) w[i] = float(q[i]) * scale;
}

void dq8_vector_scale_avx2(const int8_t* q, size_t n, const float* scales, float* w) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(w + i, _mm256_mul_ps(widen8(q + i), _mm256_loadu_ps(scales + i)));
  for (; i < n; ++i) w[i] = float(q[i]) * scales[i];
}

// 8 nibble values in int32 lanes -> 4 packed bytes.
inline uint32_t pack_nibbles(__m256i q) {
  __m256i lo = _mm256_and_si256(q, _mm256_set1_epi64x(0xF));
  __m256i hi = _mm256_and_si256(_mm256_srli_epi64(q, 28), _mm256_set1_epi64x(0xF0));
  __m256i b = _mm256_or_si256(lo, hi);  // one byte per 64-bit lane
  __m256i sh = _mm256_shuffle_epi8(b, _mm256_setr_epi8(0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                       0, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
  __m128i v = _mm_unpacklo_epi16(_mm256_castsi256_si128(sh), _mm256_extracti128_si256(sh, 1));
  return uint32_t(_mm_cvtsi128_si32(v));
}

uint32_t q4_groups_avx2(const float* x, size_t groups, size_t g, bool symmetric, uint8_t* packed, float* scales,
                        uint8_t* zps) {
  __m256i vkey = _mm256_setzero_si256();
  for (size_t gi = 0; gi < groups; ++gi, x += g, packed += g / 2) {
    __m256 vmn = _mm256_loadu_ps(x), vmx = vmn;
    for (size_t i = 0; i < g; i += 8) {
      __m256 v = _mm256_loadu_ps(x + i);
      vmn = _mm256_min_ps(vmn, v);
      vmx = _mm256_max_ps(vmx, v);
      vkey = _mm256_max_epu32(vkey, keys(x + i));
    }
    Int4Params p = int4_params(hmin_ps(vmn), hmax_ps(vmx), symmetric);
    scales[gi] = p.scale;
    if (zps) zps[gi] = uint8_t(p.zp);
    const __m256 s = _mm256_set1_ps(p.scale), zp = _mm256_set1_ps(float(p.zp));
    const __m256 zero = _mm256_setzero_ps(), fifteen = _mm256_set1_ps(15.f);
    for (size_t i = 0; i < g; i += 8) {
      __m256 r = _mm256_add_ps(_mm256_round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s), kRne), zp);
      r = _mm256_min_ps(_mm256_max_ps(r, zero), fifteen);
      uint32_t b = pack_nibbles(_mm256_cvtps_epi32(r));
      std::memcpy(packed + i / 2, &b, 4);
    }
  }
  return hmax_epu32(vkey);
}

void dq4_groups_avx2(const uint8_t* packed, size_t groups, size_t g, const float* scales, const uint8_t* zps, float* w) {
  for (size_t gi = 0; gi < groups; ++gi, packed += g / 2, w += g) {
    const __m256i zp = _mm256_set1_epi32(zps ? zps[gi] : 8);
    const __m256 s = _mm256_set1_ps(scales[gi]);
    for (size_t i = 0; i < g; i += 8) {
      uint32_t four;
      std::memcpy(&four, packed + i / 2, 4);
      __m256i b = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(int(four)));
      __m256i q = _mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi64x(0xF)),
                                  _mm256_slli_epi64(_mm256_and_si256(b, _mm256_set1_epi64x(0xF0)), 28));
      _mm256_storeu_ps(w + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q, zp)), s));
    }
  }
}

}  // namespace

const Kernels kAvx2 = {amax_key_avx2,        colmax_key_avx2,       q8_scalar_scale_avx2, q8_vector_scale_avx2,
                       dq8_scalar_scale_avx2, dq8_vector_scale_avx2, q4_groups_avx2,       dq4_groups_avx2};

}  // namespace quant
}  // namespace tf
