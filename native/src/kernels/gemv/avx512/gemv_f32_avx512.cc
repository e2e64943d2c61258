// Dense GEMV slice, AVX-512: four rows of B per pass over the y slice (kept in L1), so each
// y vector is loaded and stored once per four FMAs while the four row streams prefetch well.
#include <immintrin.h>

#include <algorithm>

#include "kernels/gemv/variants.h"

namespace tf::gemv {

void gemv_f32_slice_avx512(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y) {
  std::fill(y + j0, y + j1, 0.0f);
  const size_t n = j1 - j0;
  const __mmask16 tail = __mmask16((1u << (n % 16)) - 1);
  size_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const __m512 x0 = _mm512_set1_ps(x[i]), x1 = _mm512_set1_ps(x[i + 1]);
    const __m512 x2 = _mm512_set1_ps(x[i + 2]), x3 = _mm512_set1_ps(x[i + 3]);
    const float* r0 = b + i * ldb + j0;
    const float* r1 = r0 + ldb;
    const float* r2 = r1 + ldb;
    const float* r3 = r2 + ldb;
    float* yy = y + j0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
      __m512 acc = _mm512_loadu_ps(yy + j);
      acc = _mm512_fmadd_ps(x0, _mm512_loadu_ps(r0 + j), acc);
      acc = _mm512_fmadd_ps(x1, _mm512_loadu_ps(r1 + j), acc);
      acc = _mm512_fmadd_ps(x2, _mm512_loadu_ps(r2 + j), acc);
      acc = _mm512_fmadd_ps(x3, _mm512_loadu_ps(r3 + j), acc);
      _mm512_storeu_ps(yy + j, acc);
    }
    if (tail) {
      __m512 acc = _mm512_maskz_loadu_ps(tail, yy + j);
      acc = _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(tail, r0 + j), acc);
      acc = _mm512_fmadd_ps(x1, _mm512_maskz_loadu_ps(tail, r1 + j), acc);
      acc = _mm512_fmadd_ps(x2, _mm512_maskz_loadu_ps(tail, r2 + j), acc);
      acc = _mm512_fmadd_ps(x3, _mm512_maskz_loadu_ps(tail, r3 + j), acc);
      _mm512_mask_storeu_ps(yy + j, tail, acc);
    }
  }
  for (; i < k; ++i) {
    const __m512 xi = _mm512_set1_ps(x[i]);
    const float* r0 = b + i * ldb + j0;
    float* yy = y + j0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) _mm512_storeu_ps(yy + j, _mm512_fmadd_ps(xi, _mm512_loadu_ps(r0 + j), _mm512_loadu_ps(yy + j)));
    if (tail)
      _mm512_mask_storeu_ps(yy + j, tail,
                            _mm512_fmadd_ps(xi, _mm512_maskz_loadu_ps(tail, r0 + j), _mm512_maskz_loadu_ps(tail, yy + j)));
  }
}

}  // namespace tf::gemv
