// AVX2 magnitude loops: 8 keys per step. No compress instruction: in-band candidates are
// rare (a ~2% band), so the movemask branch is taken seldom and predicted well.
#include <immintrin.h>

#include <algorithm>

#include "common/float_bits.h"
#include "kernels/magnitude/variants.h"

namespace tf {
namespace mag {
namespace {

inline __m256i keys8(const float* p) {
  return _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), _mm256_set1_epi32(int(kAbsMask)));
}
inline int bits8(__m256i cmp) { return _mm256_movemask_ps(_mm256_castsi256_ps(cmp)); }
inline uint32_t hmax8(__m256i v) {
  __m128i m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epi32(m, _mm_shuffle_epi32(m, 0xB1));
  return uint32_t(_mm_cvtsi128_si32(m));
}

size_t band_avx2(const float* w, size_t n, uint32_t lo, uint32_t hi, uint32_t* out, BandCounts* c) {
  const __m256i vlo = _mm256_set1_epi32(int(lo)), vhi = _mm256_set1_epi32(int(hi));
  const bool two = hi != lo;
  __m256i vmax = _mm256_set1_epi32(int(c->max_key));
  // Lane counters (subtracting the all-ones compare result adds 1); flushed before they could wrap.
  __m256i cb = _mm256_setzero_si256(), cl = _mm256_setzero_si256(), ch = _mm256_setzero_si256();
  uint64_t below = 0, eq_lo = 0, eq_hi = 0;
  auto flush = [&] {
    alignas(32) uint32_t t[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), cb);
    for (uint32_t x : t) below += x;
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), cl);
    for (uint32_t x : t) eq_lo += x;
    _mm256_store_si256(reinterpret_cast<__m256i*>(t), ch);
    for (uint32_t x : t) eq_hi += x;
    cb = cl = ch = _mm256_setzero_si256();
  };
  size_t pos = 0, i = 0, since_flush = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i k = keys8(w + i);
    vmax = _mm256_max_epi32(vmax, k);
    __m256i lt = _mm256_cmpgt_epi32(vlo, k);
    __m256i el = _mm256_cmpeq_epi32(k, vlo);
    cb = _mm256_sub_epi32(cb, lt);
    cl = _mm256_sub_epi32(cl, el);
    if (two) ch = _mm256_sub_epi32(ch, _mm256_cmpeq_epi32(k, vhi));
    __m256i in = _mm256_andnot_si256(_mm256_or_si256(lt, el), _mm256_cmpgt_epi32(vhi, k));
    int bits = bits8(in);
    if (bits) {
      alignas(32) uint32_t t[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(t), k);
      while (bits) {
        out[pos++] = t[__builtin_ctz(unsigned(bits))];
        bits &= bits - 1;
      }
    }
    if (++since_flush == (1u << 30)) {
      flush();
      since_flush = 0;
    }
  }
  flush();
  uint32_t mx = hmax8(vmax);
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

uint32_t mask_ge_avx2(const float* w, size_t n, uint32_t t, uint8_t* mask, TieList* ties) {
  const __m256i vt = _mm256_set1_epi32(int(t) - 1);  // k >= t  <=>  k > t - 1 (t >= 1 here)
  const __m256i veq = _mm256_set1_epi32(int(t));
  const __m256i one = _mm256_set1_epi32(1);
  __m256i vmax = _mm256_setzero_si256();
  size_t i = 0;
  if (t > 0) {
    for (; i + 32 <= n; i += 32) {
      __m256i r[4];
      for (int j = 0; j < 4; ++j) {
        __m256i k = keys8(w + i + 8 * j);
        vmax = _mm256_max_epi32(vmax, k);
        r[j] = _mm256_and_si256(_mm256_cmpgt_epi32(k, vt), one);
        if (ties) {
          int eb = bits8(_mm256_cmpeq_epi32(k, veq));
          if (eb) ties->note(i + 8 * j, unsigned(eb));
        }
      }
      // 4 x 8 int32 {0,1} -> 32 bytes; packs interleave 128-bit lanes, the permute restores order.
      __m256i a = _mm256_packs_epi32(r[0], r[1]), b = _mm256_packs_epi32(r[2], r[3]);
      __m256i bytes = _mm256_packs_epi16(a, b);
      bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(mask + i), bytes);
    }
  }
  uint32_t mx = hmax8(vmax);
  for (; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    mask[i] = k >= t;
    if (ties && k == t) ties->note(i, 1);
  }
  return mx;
}

uint32_t prune_lt_avx2(float* w, size_t n, uint32_t t, TieList* ties) {
  const __m256i vt = _mm256_set1_epi32(int(t));
  __m256i vmax = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i k = keys8(w + i);
    vmax = _mm256_max_epi32(vmax, k);
    __m256i lt = _mm256_cmpgt_epi32(vt, k);
    if (bits8(lt)) _mm256_maskstore_ps(w + i, lt, _mm256_setzero_ps());
    if (ties) {
      int eb = bits8(_mm256_cmpeq_epi32(k, vt));
      if (eb) ties->note(i, unsigned(eb));
    }
  }
  uint32_t mx = hmax8(vmax);
  for (; i < n; ++i) {
    uint32_t k = abs_key(w[i]);
    mx = std::max(mx, k);
    if (k < t) w[i] = 0.f;
    if (ties && k == t) ties->note(i, 1);
  }
  return mx;
}

void apply_mask_avx2(float* w, const uint8_t* mask, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i m8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(mask + i));
    __m256i m32 = _mm256_cvtepu8_epi32(m8);
    __m256i zero = _mm256_cmpeq_epi32(m32, _mm256_setzero_si256());
    if (bits8(zero)) _mm256_maskstore_ps(w + i, zero, _mm256_setzero_ps());
  }
  for (; i < n; ++i)
    if (!mask[i]) w[i] = 0.f;
}

uint64_t nonzero_f32_avx2(const float* w, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i z = _mm256_cmpeq_epi32(keys8(w + i), _mm256_setzero_si256());
    c += 8 - __builtin_popcount(unsigned(bits8(z)));
  }
  for (; i < n; ++i) c += abs_key(w[i]) != 0;
  return c;
}

uint64_t nonzero_u8_avx2(const uint8_t* m, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m + i));
    unsigned z = unsigned(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_setzero_si256())));
    c += 32 - __builtin_popcount(z);
  }
  for (; i < n; ++i) c += m[i] != 0;
  return c;
}

}  // namespace

const Kernels kAvx2 = {band_avx2, mask_ge_avx2, prune_lt_avx2, apply_mask_avx2, nonzero_f32_avx2, nonzero_u8_avx2};

}  // namespace mag
}  // namespace tf
