// AVX-512 N:M selection.
//  contig: a vector holds floor(16/m) whole groups; for each shift s = 1..m-1 a permute brings
//  every lane its group-mate (i+s) mod m, and the rank counts mates that beat the lane.
//  strided: the t rows of a group are t vectors over 16 columns; ranks by pairwise compares.
#include <immintrin.h>

#include "common/float_bits.h"
#include "kernels/nm/kernels.h"

namespace tf {
namespace nm {
namespace {

inline __m512i order_keys(__m512i u, bool magnitude) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask));
  if (magnitude) return _mm512_and_si512(u, abs_mask);
  __m512i flip = _mm512_and_si512(_mm512_srai_epi32(u, 31), abs_mask);
  return _mm512_xor_si512(u, flip);
}

uint32_t contig_avx512(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask) {
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
