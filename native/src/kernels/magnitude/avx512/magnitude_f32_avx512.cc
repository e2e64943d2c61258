// AVX-512 magnitude loops: 16 keys per step, mask registers for counts, compress for the
// (rare) in-band candidates.
#include <immintrin.h>

#include <algorithm>

#include "common/float_bits.h"
#include "kernels/magnitude/variants.h"

namespace tf {
namespace mag {
namespace {

inline __m512i keys16(const float* p) {
  return _mm512_and_si512(_mm512_loadu_si512(p), _mm512_set1_epi32(int(kAbsMask)));
}
inline __m512i keys16_tail(const float* p, __mmask16 m) {
  return _mm512_and_si512(_mm512_maskz_loadu_epi32(m, p), _mm512_set1_epi32(int(kAbsMask)));
}

// Keys are <= 0x7FFFFFFF, so signed 32-bit compares order them correctly. Counts live in lane
// counters (a masked add per step, no mask-to-GPR moves); they are summed once per call, which
// the driver keeps below 2^32 steps.
size_t band_avx512(const float* w, size_t n, uint32_t lo, uint32_t hi, uint32_t* out, BandCounts* c) {
  const __m512i vlo = _mm512_set1_epi32(int(lo)), vhi = _mm512_set1_epi32(int(hi));
  const __m512i one = _mm512_set1_epi32(1);
  __m512i vmax = _mm512_set1_epi32(int(c->max_key));
  __m512i lt_lo = _mm512_setzero_si512(), le_lo = _mm512_setzero_si512(), le_hi = _mm512_setzero_si512();
  size_t pos = 0, i = 0;
  auto step = [&](__m512i k, __mmask16 valid) {
    vmax = _mm512_mask_max_epi32(vmax, valid, vmax, k);
    const __mmask16 a = _mm512_mask_cmplt_epi32_mask(valid, k, vlo), b = _mm512_mask_cmple_epi32_mask(valid, k, vlo);
    const __mmask16 d = _mm512_mask_cmple_epi32_mask(valid, k, vhi), lt_hi = _mm512_mask_cmplt_epi32_mask(valid, k, vhi);
    lt_lo = _mm512_mask_add_epi32(lt_lo, a, lt_lo, one);
    le_lo = _mm512_mask_add_epi32(le_lo, b, le_lo, one);
    le_hi = _mm512_mask_add_epi32(le_hi, d, le_hi, one);
    const __mmask16 in = __mmask16(lt_hi & ~b);
    // Compress in a register and store 16 lanes unconditionally (out has 16 entries of slack):
    // about a third of the steps hold a candidate at random, a branch on it mispredicts often.
    _mm512_storeu_si512(out + pos, _mm512_maskz_compress_epi32(in, k));
    pos += size_t(_mm_popcnt_u32(in));
  };
  for (; i + 16 <= n; i += 16) step(keys16(w + i), 0xFFFF);
  if (i < n) {
    __mmask16 m = __mmask16((1u << (n - i)) - 1);
    step(keys16_tail(w + i, m), m);
  }
  auto sum = [](__m512i v) {
    alignas(64) uint32_t t[16];
    _mm512_store_si512(t, v);
    uint64_t s = 0;
    for (uint32_t x : t) s += x;
    return s;
  };
  const uint64_t below = sum(lt_lo), at_or_below_lo = sum(le_lo), at_or_below_hi = sum(le_hi);
  c->below += below;
  c->eq_lo += at_or_below_lo - below;
  if (hi != lo) c->eq_hi += at_or_below_hi - at_or_below_lo - pos;
  c->max_key = uint32_t(_mm512_reduce_max_epi32(vmax));
  return pos;
}

uint32_t mask_ge_avx512(const float* w, size_t n, uint32_t t, uint8_t* mask, TieList* ties) {
  const __m512i vt = _mm512_set1_epi32(int(t));
  __m512i vmax = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i k = keys16(w + i);
    vmax = _mm512_max_epi32(vmax, k);
    __mmask16 ge = _mm512_cmpge_epi32_mask(k, vt);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(mask + i), _mm_maskz_mov_epi8(ge, _mm_set1_epi8(1)));
    if (ties) {
      __mmask16 eq = _mm512_cmpeq_epi32_mask(k, vt);
      if (eq) ties->note(i, eq);
    }
  }
  if (i < n) {
    __mmask16 m = __mmask16((1u << (n - i)) - 1);
    __m512i k = keys16_tail(w + i, m);
    vmax = _mm512_max_epi32(vmax, k);
    __mmask16 ge = _mm512_cmpge_epi32_mask(k, vt);
    _mm_mask_storeu_epi8(mask + i, m, _mm_maskz_mov_epi8(ge, _mm_set1_epi8(1)));
    if (ties) ties->note(i, _mm512_mask_cmpeq_epi32_mask(m, k, vt));
  }
  return uint32_t(_mm512_reduce_max_epi32(vmax));
}

uint32_t prune_lt_avx512(float* w, size_t n, uint32_t t, TieList* ties) {
  const __m512i vt = _mm512_set1_epi32(int(t));
  __m512i vmax = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i k = keys16(w + i);
    vmax = _mm512_max_epi32(vmax, k);
    __mmask16 lt = _mm512_cmplt_epi32_mask(k, vt);
    // Only write vectors that change: a pass at high sparsity writes most, at low few.
    if (lt) _mm512_mask_storeu_ps(w + i, lt, _mm512_setzero_ps());
    if (ties) {
      __mmask16 eq = _mm512_cmpeq_epi32_mask(k, vt);
      if (eq) ties->note(i, eq);
    }
  }
  if (i < n) {
    __mmask16 m = __mmask16((1u << (n - i)) - 1);
    __m512i k = keys16_tail(w + i, m);
    vmax = _mm512_max_epi32(vmax, k);
    __mmask16 lt = _mm512_mask_cmplt_epi32_mask(m, k, vt);
    _mm512_mask_storeu_ps(w + i, lt, _mm512_setzero_ps());
    if (ties) ties->note(i, _mm512_mask_cmpeq_epi32_mask(m, k, vt));
  }
  return uint32_t(_mm512_reduce_max_epi32(vmax));
}

void apply_mask_avx512(float* w, const uint8_t* mask, size_t n) {
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __mmask64 zero = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(mask + i), _mm512_setzero_si512());
    if (!zero) continue;
    for (int j = 0; j < 4; ++j) {
      __mmask16 z = __mmask16(zero >> (16 * j));
      if (z) _mm512_mask_storeu_ps(w + i + 16 * j, z, _mm512_setzero_ps());
    }
  }
  for (; i < n; ++i)
    if (!mask[i]) w[i] = 0.f;
}

uint64_t nonzero_f32_avx512(const float* w, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) c += _mm_popcnt_u32(_mm512_test_epi32_mask(keys16(w + i), keys16(w + i)));
  if (i < n) {
    __mmask16 m = __mmask16((1u << (n - i)) - 1);
    __m512i k = keys16_tail(w + i, m);
    c += _mm_popcnt_u32(_mm512_test_epi32_mask(k, k));
  }
  return c;
}

uint64_t nonzero_u8_avx512(const uint8_t* m, size_t n) {
  uint64_t c = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512i v = _mm512_loadu_si512(m + i);
    c += _mm_popcnt_u64(_mm512_test_epi8_mask(v, v));
  }
  for (; i < n; ++i) c += m[i] != 0;
  return c;
}

}  // namespace

const Kernels kAvx512 = {band_avx512, mask_ge_avx512, prune_lt_avx512, apply_mask_avx512, nonzero_f32_avx512,
                         nonzero_u8_avx512};

}  // namespace mag
}  // namespace tf
