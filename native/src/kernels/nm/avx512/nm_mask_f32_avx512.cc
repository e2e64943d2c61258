// AVX-512 N:M selection.
//  contig: a vector holds floor(16/m) whole groups; for each shift s = 1..m-1 a permute brings
//  every lane its group-mate (i+s) mod m, and the rank counts mates that beat the lane.
//  strided: the t rows of a group are t vectors over 16 columns; ranks by pairwise compares.
#include <immintrin.h>

#include "common/float_bits.h"
#include "kernels/nm/variants.h"

namespace tf {
namespace nm {
namespace {

inline __m512i order_keys(__m512i u, bool magnitude) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask));
  if (magnitude) return _mm512_and_si512(u, abs_mask);
  __m512i flip = _mm512_and_si512(_mm512_srai_epi32(u, 31), abs_mask);
  return _mm512_xor_si512(u, flip);
}

// m == 4 (2:4, 1:4, 3:4): a group is one 128-bit lane, so the mates come from in-lane
// shuffles (1-cycle vpshufd instead of 3-cycle cross-lane permutes); 64 scores per step.
template <bool kMagnitude>
uint32_t contig4_avx512(const float* s, size_t groups, int keep, uint8_t* mask) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask)), one = _mm512_set1_epi32(1);
  const __m512i vkeep = _mm512_set1_epi32(keep);
  // Lanes whose mate at shift sh has a lower index (r + sh >= 4): ties go to the mate there.
  const __mmask16 wrap1 = 0x8888, wrap2 = 0xCCCC, wrap3 = 0xEEEE;
  __m512i vmax = _mm512_setzero_si512();
  auto rank_bytes = [&](__m512i u) {
    vmax = _mm512_max_epu32(vmax, _mm512_and_si512(u, abs_mask));
    const __m512i k = order_keys(u, kMagnitude);
    const __m512i m1 = _mm512_shuffle_epi32(k, _MM_PERM_ADCB);  // (i+1) % 4
    const __m512i m2 = _mm512_shuffle_epi32(k, _MM_PERM_BADC);  // (i+2) % 4
    const __m512i m3 = _mm512_shuffle_epi32(k, _MM_PERM_CBAD);  // (i+3) % 4
    __m512i rank = _mm512_setzero_si512();
    rank = _mm512_mask_add_epi32(rank, (_mm512_cmpge_epi32_mask(m1, k) & wrap1) | (_mm512_cmpgt_epi32_mask(m1, k) & __mmask16(~wrap1)), rank, one);
    rank = _mm512_mask_add_epi32(rank, (_mm512_cmpge_epi32_mask(m2, k) & wrap2) | (_mm512_cmpgt_epi32_mask(m2, k) & __mmask16(~wrap2)), rank, one);
    rank = _mm512_mask_add_epi32(rank, (_mm512_cmpge_epi32_mask(m3, k) & wrap3) | (_mm512_cmpgt_epi32_mask(m3, k) & __mmask16(~wrap3)), rank, one);
    return _mm512_cmplt_epi32_mask(rank, vkeep);
  };
  const size_t n = groups * 4;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __mmask16 a = rank_bytes(_mm512_loadu_si512(s + i)), b = rank_bytes(_mm512_loadu_si512(s + i + 16));
    const __mmask16 c = rank_bytes(_mm512_loadu_si512(s + i + 32)), d = rank_bytes(_mm512_loadu_si512(s + i + 48));
    const __mmask64 all = __mmask64(a) | (__mmask64(b) << 16) | (__mmask64(c) << 32) | (__mmask64(d) << 48);
    _mm512_storeu_si512(mask + i, _mm512_maskz_mov_epi8(all, _mm512_set1_epi8(1)));
  }
  for (; i < n; i += 16) {
    const __mmask16 ld = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __mmask16 keepm = rank_bytes(_mm512_maskz_loadu_epi32(ld, s + i));
    _mm_mask_storeu_epi8(mask + i, ld, _mm_maskz_mov_epi8(keepm, _mm_set1_epi8(1)));
  }
  return uint32_t(_mm512_reduce_max_epu32(vmax));
}

uint32_t contig_avx512(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask) {
  if (m == 4) return magnitude ? contig4_avx512<true>(s, groups, keep, mask) : contig4_avx512<false>(s, groups, keep, mask);
  const int per = 16 / m, lanes = per * m;
  __m512i idx[16];
  __mmask16 wrap[16];
  for (int sh = 1; sh < m; ++sh) {
    alignas(64) int32_t v[16];
    __mmask16 w = 0;
    for (int i = 0; i < 16; ++i) {
      int g = i / m, r = i % m;
      v[i] = i < lanes ? g * m + (r + sh) % m : i;
      if (i < lanes && r + sh >= m) w = __mmask16(w | (1u << i));  // mate has a lower index
    }
    idx[sh] = _mm512_load_si512(v);
    wrap[sh] = w;
  }
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask)), one = _mm512_set1_epi32(1);
  const __m512i vkeep = _mm512_set1_epi32(keep);
  const __mmask16 valid = __mmask16((1u << lanes) - 1);
  __m512i vmax = _mm512_setzero_si512();
  for (size_t g = 0; g < groups;) {
    size_t take = groups - g < size_t(per) ? groups - g : size_t(per);
    __mmask16 ld = take == size_t(per) ? valid : __mmask16((1u << (take * m)) - 1);
    // Full loads while 16 floats remain (lanes past the groups are ignored); masked at the end.
    __m512i u = (groups - g) * size_t(m) >= 16 ? _mm512_loadu_si512(s) : _mm512_maskz_loadu_epi32(ld, s);
    vmax = _mm512_max_epu32(vmax, _mm512_and_si512(u, abs_mask));
    __m512i k = order_keys(u, magnitude);
    __m512i rank = _mm512_setzero_si512();
    for (int sh = 1; sh < m; ++sh) {
      __m512i mate = _mm512_permutexvar_epi32(idx[sh], k);
      __mmask16 beats = (_mm512_cmpge_epi32_mask(mate, k) & wrap[sh]) | (_mm512_cmpgt_epi32_mask(mate, k) & __mmask16(~wrap[sh]));
      rank = _mm512_mask_add_epi32(rank, beats, rank, one);
    }
    // Bytes straight from the mask register: a memory-destination vpmovdb is microcoded on Zen 4.
    __m128i bytes = _mm_maskz_mov_epi8(_mm512_cmplt_epi32_mask(rank, vkeep), _mm_set1_epi8(1));
    if (ld == 0xFFFF)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(mask), bytes);
    else
      _mm_mask_storeu_epi8(mask, ld, bytes);
    s += take * m;
    mask += take * m;
    g += take;
  }
  return uint32_t(_mm512_reduce_max_epu32(vmax));
}

uint32_t strided_avx512(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask)), one = _mm512_set1_epi32(1);
  const __m512i vkeep = _mm512_set1_epi32(keep);
  __m512i vmax = _mm512_setzero_si512();
  __m512i k[16];
  for (size_t c = 0; c < cols; c += 16) {
    __mmask16 ld = cols - c >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (cols - c)) - 1);
    for (int i = 0; i < t; ++i) {
      const float* p = s + size_t(i) * stride + c;
      __m512i u = ld == 0xFFFF ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi32(ld, p);
      vmax = _mm512_max_epu32(vmax, _mm512_and_si512(u, abs_mask));
      k[i] = order_keys(u, magnitude);
    }
    for (int i = 0; i < t; ++i) {
      __m512i rank = _mm512_setzero_si512();
      for (int j = 0; j < i; ++j) rank = _mm512_mask_add_epi32(rank, _mm512_cmpge_epi32_mask(k[j], k[i]), rank, one);
      for (int j = i + 1; j < t; ++j) rank = _mm512_mask_add_epi32(rank, _mm512_cmpgt_epi32_mask(k[j], k[i]), rank, one);
      __m128i bytes = _mm_maskz_mov_epi8(_mm512_cmplt_epi32_mask(rank, vkeep), _mm_set1_epi8(1));
      uint8_t* out = mask + size_t(i) * stride + c;
      if (ld == 0xFFFF)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
      else
        _mm_mask_storeu_epi8(out, ld, bytes);
    }
  }
  return uint32_t(_mm512_reduce_max_epu32(vmax));
}

}  // namespace

const Kernels kAvx512 = {contig_avx512, strided_avx512};

}  // namespace nm
}  // namespace tf
