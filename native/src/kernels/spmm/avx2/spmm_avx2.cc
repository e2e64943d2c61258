// AVX2 sparse GEMVs: 8 nonzeros per step with vgatherdps; N:M column indices rebuilt from the
// index bytes with a per-lane group-offset pattern (see the AVX-512 file). Batched kernels are
// the portable bodies compiled with AVX2.
#include <immintrin.h>

#include "kernels/spmm/spmm_impl.h"

namespace tf::spmm {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

void csr_gemv_avx2(const Csr& w, const float* x, size_t r0, size_t r1, float* y) {
  for (size_t r = r0; r < r1; ++r) {
    const size_t b = w.row_ptr[r], e = w.row_ptr[r + 1];
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t j = b;
    for (; j + 16 <= e; j += 16) {
      const __m256i i0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.col_idx + j));
      const __m256i i1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.col_idx + j + 8));
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w.values + j), _mm256_i32gather_ps(x, i0, 4), a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w.values + j + 8), _mm256_i32gather_ps(x, i1, 4), a1);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; j < e; ++j) s += w.values[j] * x[w.col_idx[j]];
    y[r] = s;
  }
}

void nm_gemv_avx2(const NmPacked& w, const float* x, size_t r0, size_t r1, float* y) {
  const size_t per = w.per_row();
  size_t g = 8, n = w.n;
  while (n) {
    size_t t = g % n;
    g = n;
    n = t;
  }
  const size_t period = w.n / g;
  const int32_t step = int32_t(period * 8 / w.n * w.m);
  alignas(32) int32_t pat[16][8];
  for (size_t c = 0; c < period; ++c)
    for (size_t l = 0; l < 8; ++l) pat[c][l] = int32_t((8 * c + l) / w.n * w.m);
  for (size_t r = r0; r < r1; ++r) {
    const float* v = w.values + r * per;
    const uint8_t* ix = w.idx + r * per;
    __m256 acc = _mm256_setzero_ps();
    __m256i base = _mm256_setzero_si256();
    size_t e = 0, c = 0;
    for (; e + 8 <= per; e += 8) {
      const __m256i cols = _mm256_add_epi32(
          _mm256_add_epi32(base, _mm256_load_si256(reinterpret_cast<const __m256i*>(pat[c]))),
          _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(ix + e))));
      acc = _mm256_fmadd_ps(_mm256_loadu_ps(v + e), _mm256_i32gather_ps(x, cols, 4), acc);
      if (++c == period) {
        c = 0;
        base = _mm256_add_epi32(base, _mm256_set1_epi32(step));
      }
    }
    float s = hsum(acc);
    for (; e < per; ++e) s += v[e] * x[(e / w.n) * w.m + ix[e]];
    y[r] = s;
  }
}

}  // namespace

Kernels kernels_avx2() {
  return {csr_gemv_avx2, nm_gemv_avx2, csr_batch_portable, nm_batch_portable, bsr_batch_portable};
}

}  // namespace tf::spmm
