// AVX2 N:M selection: the AVX-512 scheme on 8 lanes. Groups wider than 8 (m > 8) do not fit
// a register's lanes contiguously and go to the scalar loop.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "common/float_bits.h"
#include "kernels/nm/variants.h"

namespace tf {
namespace nm {
namespace {

inline __m256i order_keys(__m256i u, bool magnitude) {
  const __m256i abs_mask = _mm256_set1_epi32(int(kAbsMask));
  if (magnitude) return _mm256_and_si256(u, abs_mask);
  __m256i flip = _mm256_and_si256(_mm256_srai_epi32(u, 31), abs_mask);
  return _mm256_xor_si256(u, flip);
}

inline uint32_t hmax_epu32(__m256i v) {
  __m128i m = _mm_max_epu32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_max_epu32(m, _mm_shuffle_epi32(m, 0xB1));
  return uint32_t(_mm_cvtsi128_si32(m));
}

// int32 lanes that are 0 or -1 -> 8 bytes 0/1.
inline uint64_t lanes_to_bytes(__m256i keep) {
  __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(keep), _mm256_extracti128_si256(keep, 1));
  __m128i b = _mm_packs_epi16(w, w);
  b = _mm_and_si128(b, _mm_set1_epi8(1));
  return uint64_t(_mm_cvtsi128_si64(b));
}

uint32_t contig_avx2(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask) {
  if (m > 8) return contig_scalar(s, groups, keep, m, magnitude, mask);
  const int per = 8 / m, lanes = per * m;
  __m256i idx[8], wrap[8];
  for (int sh = 1; sh < m; ++sh) {
    alignas(32) int32_t v[8], w[8];
    for (int i = 0; i < 8; ++i) {
      int g = i / m, r = i % m;
      v[i] = i < lanes ? g * m + (r + sh) % m : i;
      w[i] = (i < lanes && r + sh >= m) ? -1 : 0;
    }
    idx[sh] = _mm256_load_si256(reinterpret_cast<const __m256i*>(v));
    wrap[sh] = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
  }
  const __m256i abs_mask = _mm256_set1_epi32(int(kAbsMask)), vkeep = _mm256_set1_epi32(keep);
  __m256i vmax = _mm256_setzero_si256();
  size_t g = 0;
  // Full loads need 8 readable floats: stop the vector loop while that still holds.
  for (; g + size_t(per) <= groups && (groups - g) * size_t(m) >= 8; g += size_t(per)) {
    __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s));
    vmax = _mm256_max_epu32(vmax, _mm256_and_si256(u, abs_mask));
    __m256i k = order_keys(u, magnitude);
    __m256i rank = _mm256_setzero_si256();
    for (int sh = 1; sh < m; ++sh) {
      __m256i mate = _mm256_permutevar8x32_epi32(k, idx[sh]);
      __m256i gt = _mm256_cmpgt_epi32(mate, k);
      __m256i ge = _mm256_xor_si256(_mm256_cmpgt_epi32(k, mate), _mm256_set1_epi32(-1));
      rank = _mm256_sub_epi32(rank, _mm256_blendv_epi8(gt, ge, wrap[sh]));
    }
    uint64_t bytes = lanes_to_bytes(_mm256_cmpgt_epi32(vkeep, rank));
    std::memcpy(mask, &bytes, size_t(lanes));
    s += lanes;
    mask += lanes;
  }
  uint32_t mx = hmax_epu32(vmax);
  return std::max(mx, contig_scalar(s, groups - g, keep, m, magnitude, mask));
}

uint32_t strided_avx2(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask) {
  const __m256i abs_mask = _mm256_set1_epi32(int(kAbsMask)), vkeep = _mm256_set1_epi32(keep);
  const __m256i ones = _mm256_set1_epi32(-1);
  __m256i vmax = _mm256_setzero_si256();
  __m256i k[16];
  size_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    for (int i = 0; i < t; ++i) {
      __m256i u = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + size_t(i) * stride + c));
      vmax = _mm256_max_epu32(vmax, _mm256_and_si256(u, abs_mask));
      k[i] = order_keys(u, magnitude);
    }
    for (int i = 0; i < t; ++i) {
      __m256i rank = _mm256_setzero_si256();
      for (int j = 0; j < i; ++j) rank = _mm256_sub_epi32(rank, _mm256_xor_si256(_mm256_cmpgt_epi32(k[i], k[j]), ones));
      for (int j = i + 1; j < t; ++j) rank = _mm256_sub_epi32(rank, _mm256_cmpgt_epi32(k[j], k[i]));
      uint64_t bytes = lanes_to_bytes(_mm256_cmpgt_epi32(vkeep, rank));
      std::memcpy(mask + size_t(i) * stride + c, &bytes, 8);
    }
  }
  uint32_t mx = hmax_epu32(vmax);
  if (c < cols) mx = std::max(mx, strided_scalar(s + c, stride, cols - c, t, keep, magnitude, mask + c));
  return mx;
}

}  // namespace

const Kernels kAvx2 = {contig_avx2, strided_avx2};

}  // namespace nm
}  // namespace tf
