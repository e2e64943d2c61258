// AVX-512 quantization loops: 16 floats per step; divide, round half to even
// (roundscale), clamp, narrow. int4 pairs are joined in 64-bit lanes and narrowed with vpmovqb.
#include <immintrin.h>

#include <algorithm>

#include "common/float_bits.h"
#include "kernels/quant/variants.h"

namespace tf {
namespace quant {
namespace {

constexpr int kRne = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

inline __mmask16 tail_mask(size_t left) { return left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1); }

uint32_t amax_key_avx512(const float* x, size_t n) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask));
  __m512i m0 = _mm512_setzero_si512(), m1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_loadu_si512(x + i), abs_mask));
    m1 = _mm512_max_epu32(m1, _mm512_and_si512(_mm512_loadu_si512(x + i + 16), abs_mask));
  }
  for (; i < n; i += 16) m0 = _mm512_max_epu32(m0, _mm512_and_si512(_mm512_maskz_loadu_epi32(tail_mask(n - i), x + i), abs_mask));
  return uint32_t(_mm512_reduce_max_epu32(_mm512_max_epu32(m0, m1)));
}

void colmax_key_avx512(const float* x, size_t n, uint32_t* acc) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i k = _mm512_and_si512(_mm512_loadu_si512(x + i), abs_mask);
    _mm512_storeu_si512(acc + i, _mm512_max_epu32(_mm512_loadu_si512(acc + i), k));
  }
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    __m512i k = _mm512_and_si512(_mm512_maskz_loadu_epi32(m, x + i), abs_mask);
    _mm512_mask_storeu_epi32(acc + i, m, _mm512_max_epu32(_mm512_maskz_loadu_epi32(m, acc + i), k));
  }
}

inline __m128i q8_16(__m512 x, __m512 scale) {
  __m512 r = _mm512_roundscale_ps(_mm512_div_ps(x, scale), kRne);
  r = _mm512_min_ps(_mm512_max_ps(r, _mm512_set1_ps(-127.f)), _mm512_set1_ps(127.f));
  return _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(r));
}

void q8_scalar_scale_avx512(const float* x, size_t n, float scale, int8_t* q) {
  const __m512 s = _mm512_set1_ps(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), q8_16(_mm512_loadu_ps(x + i), s));
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    _mm_mask_storeu_epi8(q + i, m, q8_16(_mm512_maskz_loadu_ps(m, x + i), s));
  }
}

void q8_vector_scale_avx512(const float* x, size_t n, const float* scales, int8_t* q) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), q8_16(_mm512_loadu_ps(x + i), _mm512_loadu_ps(scales + i)));
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    // Masked-off lanes divide 0 by 1: no exceptions, nothing stored.
    __m512 s = _mm512_mask_loadu_ps(_mm512_set1_ps(1.f), m, scales + i);
    _mm_mask_storeu_epi8(q + i, m, q8_16(_mm512_maskz_loadu_ps(m, x + i), s));
  }
}

void dq8_scalar_scale_avx512(const int8_t* q, size_t n, float scale, float* w) {
  const __m512 s = _mm512_set1_ps(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(w + i, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + i)))), s));
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, q + i)));
    _mm512_mask_storeu_ps(w + i, m, _mm512_mul_ps(v, s));
  }
}

void dq8_vector_scale_avx512(const int8_t* q, size_t n, const float* scales, float* w) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(w + i, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + i)))),
                                          _mm512_loadu_ps(scales + i)));
  for (; i < n; i += 16) {
    __mmask16 m = tail_mask(n - i);
    __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, q + i)));
    _mm512_mask_storeu_ps(w + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, scales + i)));
  }
}

// 16 nibble values in int32 lanes -> 8 packed bytes (even index in the low nibble).
inline __m128i pack_nibbles(__m512i q) {
  __m512i lo = _mm512_and_si512(q, _mm512_set1_epi64(0xF));
  __m512i hi = _mm512_and_si512(_mm512_srli_epi64(q, 28), _mm512_set1_epi64(0xF0));
  return _mm512_cvtepi64_epi8(_mm512_or_si512(lo, hi));
}

uint32_t q4_groups_avx512(const float* x, size_t groups, size_t g, bool symmetric, uint8_t* packed, float* scales,
                          uint8_t* zps) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask));
  __m512i vkey = _mm512_setzero_si512();
  for (size_t gi = 0; gi < groups; ++gi, x += g, packed += g / 2) {
    __m512 vmn = _mm512_loadu_ps(x), vmx = vmn;
    for (size_t i = 0; i < g; i += 16) {
      __m512 v = _mm512_loadu_ps(x + i);
      vmn = _mm512_min_ps(vmn, v);
      vmx = _mm512_max_ps(vmx, v);
      vkey = _mm512_max_epu32(vkey, _mm512_and_si512(_mm512_castps_si512(v), abs_mask));
    }
    Int4Params p = int4_params(_mm512_reduce_min_ps(vmn), _mm512_reduce_max_ps(vmx), symmetric);
    scales[gi] = p.scale;
    if (zps) zps[gi] = uint8_t(p.zp);
    const __m512 s = _mm512_set1_ps(p.scale), zp = _mm512_set1_ps(float(p.zp));
    const __m512 zero = _mm512_setzero_ps(), fifteen = _mm512_set1_ps(15.f);
    for (size_t i = 0; i < g; i += 16) {
      __m512 r = _mm512_add_ps(_mm512_roundscale_ps(_mm512_div_ps(_mm512_loadu_ps(x + i), s), kRne), zp);
      r = _mm512_min_ps(_mm512_max_ps(r, zero), fifteen);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(packed + i / 2), pack_nibbles(_mm512_cvtps_epi32(r)));
    }
  }
  return uint32_t(_mm512_reduce_max_epu32(vkey));
}

void dq4_groups_avx512(const uint8_t* packed, size_t groups, size_t g, const float* scales, const uint8_t* zps,
                       float* w) {
  for (size_t gi = 0; gi < groups; ++gi, packed += g / 2, w += g) {
    const __m512i zp = _mm512_set1_epi32(zps ? zps[gi] : 8);
    const __m512 s = _mm512_set1_ps(scales[gi]);
    for (size_t i = 0; i < g; i += 16) {
      // 8 bytes -> 8 x int64 lanes; split nibbles into the two int32 halves of each lane.
      __m512i b = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(packed + i / 2)));
      __m512i q = _mm512_or_si512(_mm512_and_si512(b, _mm512_set1_epi64(0xF)),
                                  _mm512_slli_epi64(_mm512_and_si512(b, _mm512_set1_epi64(0xF0)), 28));
      _mm512_storeu_ps(w + i, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, zp)), s));
    }
  }
}

}  // namespace

const Kernels kAvx512 = {amax_key_avx512,        colmax_key_avx512,       q8_scalar_scale_avx512,
                         q8_vector_scale_avx512, dq8_scalar_scale_avx512, dq8_vector_scale_avx512,
                         q4_groups_avx512,       dq4_groups_avx512};

}  // namespace quant
}  // namespace tf
