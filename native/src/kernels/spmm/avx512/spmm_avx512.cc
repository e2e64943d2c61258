// AVX-512 sparse GEMVs: 16 nonzeros per step, x gathered by column index (x is in L1), two
// accumulators to hide the gather latency. N:M column indices are rebuilt from the in-group
// index bytes with a per-lane group-offset pattern that repeats every n/gcd(n,16) vectors.
// The batched kernels are the portable bodies compiled with AVX-512.
#include <immintrin.h>

#include "kernels/spmm/spmm_impl.h"

namespace tf::spmm {
namespace {

void csr_gemv_avx512(const Csr& w, const float* x, size_t r0, size_t r1, float* y) {
  for (size_t r = r0; r < r1; ++r) {
    const size_t b = w.row_ptr[r], e = w.row_ptr[r + 1];
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    size_t j = b;
    for (; j + 32 <= e; j += 32) {
      const __m512i i0 = _mm512_loadu_si512(w.col_idx + j), i1 = _mm512_loadu_si512(w.col_idx + j + 16);
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w.values + j), _mm512_i32gather_ps(i0, x, 4), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w.values + j + 16), _mm512_i32gather_ps(i1, x, 4), a1);
    }
    for (; j < e; j += 16) {
      const size_t left = e - j;
      const __mmask16 m = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
      const __m512i ix = _mm512_maskz_loadu_epi32(m, w.col_idx + j);
      const __m512 xv = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, ix, x, 4);
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w.values + j), xv, a0);
    }
    y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
  }
}

void nm_gemv_avx512(const NmPacked& w, const float* x, size_t r0, size_t r1, float* y) {
  const size_t per = w.per_row();
  // Lane l of vector c (c < period) covers element 16c + l, i.e. group (16c + l) / n.
  size_t g = 16, n = w.n;
  while (n) {
    size_t t = g % n;
    g = n;
    n = t;
  }
  const size_t period = w.n / g;  // vectors until the lane→group pattern repeats
  const int32_t step = int32_t(period * 16 / w.n * w.m);  // columns advanced per period
  alignas(64) int32_t pat[16][16];
  for (size_t c = 0; c < period; ++c)
    for (size_t l = 0; l < 16; ++l) pat[c][l] = int32_t((16 * c + l) / w.n * w.m);
  for (size_t r = r0; r < r1; ++r) {
    const float* v = w.values + r * per;
    const uint8_t* ix = w.idx + r * per;
    __m512 acc = _mm512_setzero_ps();
    __m512i base = _mm512_setzero_si512();
    size_t e = 0, c = 0;
    for (; e + 16 <= per; e += 16) {
      const __m512i cols = _mm512_add_epi32(
          _mm512_add_epi32(base, _mm512_load_si512(pat[c])),
          _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(ix + e))));
      acc = _mm512_fmadd_ps(_mm512_loadu_ps(v + e), _mm512_i32gather_ps(cols, x, 4), acc);
      if (++c == period) {
        c = 0;
        base = _mm512_add_epi32(base, _mm512_set1_epi32(step));
      }
    }
    float s = _mm512_reduce_add_ps(acc);
    for (; e < per; ++e) s += v[e] * x[(e / w.n) * w.m + ix[e]];
    y[r] = s;
  }
}

}  // namespace

Kernels kernels_avx512() {
  return {csr_gemv_avx512, nm_gemv_avx512, csr_batch_portable, nm_batch_portable, bsr_batch_portable};
}

}  // namespace tf::spmm
