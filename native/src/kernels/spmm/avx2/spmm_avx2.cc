// AVX2 sparse GEMVs: 8 nonzeros per step with vgatherdps; N:M column indices rebuilt from the
// index bytes with a per-lane group-offset pattern (see the AVX-512 file). Batched kernels are
// the portable bodies compiled with AVX2.
#include <immintrin.h>

#include "kernels/spmm/spmm_impl.h"
#include "kernels/spmm/variants.h"

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

// Batched products: V vectors of 8 activations per output row in registers (bt is a multiple of
// 16, so V is even, at most 8), one broadcast and V FMAs per nonzero.
template <int V>
void csr_batch_v(const Csr& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) {
  for (size_t r = r0; r < r1; ++r) {
    __m256 a[V];
    for (int q = 0; q < V; ++q) a[q] = _mm256_setzero_ps();
    for (size_t j = w.row_ptr[r]; j < w.row_ptr[r + 1]; ++j) {
      const __m256 v = _mm256_set1_ps(w.values[j]);
      const float* xr = xt + size_t(w.col_idx[j]) * bt;
      for (int q = 0; q < V; ++q) a[q] = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8 * q), a[q]);
    }
    for (int q = 0; q < V; ++q) _mm256_storeu_ps(yt + r * bt + 8 * q, a[q]);
  }
}

template <int V>
void nm_batch_v(const NmPacked& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) {
  const size_t per = w.per_row(), groups = w.cols / w.m;
  for (size_t r = r0; r < r1; ++r) {
    const float* vals = w.values + r * per;
    const uint8_t* ix = w.idx + r * per;
    __m256 a[V];
    for (int q = 0; q < V; ++q) a[q] = _mm256_setzero_ps();
    for (size_t g = 0, e = 0; g < groups; ++g)
      for (uint32_t t = 0; t < w.n; ++t, ++e) {
        const __m256 v = _mm256_set1_ps(vals[e]);
        const float* xr = xt + (g * w.m + ix[e]) * bt;
        for (int q = 0; q < V; ++q) a[q] = _mm256_fmadd_ps(v, _mm256_loadu_ps(xr + 8 * q), a[q]);
      }
    for (int q = 0; q < V; ++q) _mm256_storeu_ps(yt + r * bt + 8 * q, a[q]);
  }
}

template <int V>
void bsr_batch_v(const Bsr& w, const float* xt, size_t bt, size_t br0, size_t br1, float* yt) {
  const size_t bsz = w.br * w.bc;
  for (size_t R = br0; R < br1; ++R)
    for (size_t i = 0; i < w.br; ++i) {
      __m256 a[V];
      for (int q = 0; q < V; ++q) a[q] = _mm256_setzero_ps();
      for (size_t blk = w.block_row_ptr[R]; blk < w.block_row_ptr[R + 1]; ++blk) {
        const float* v = w.values + blk * bsz + i * w.bc;
        const float* xb = xt + size_t(w.block_col[blk]) * w.bc * bt;
        for (size_t j = 0; j < w.bc; ++j) {
          const __m256 vv = _mm256_set1_ps(v[j]);
          for (int q = 0; q < V; ++q) a[q] = _mm256_fmadd_ps(vv, _mm256_loadu_ps(xb + j * bt + 8 * q), a[q]);
        }
      }
      for (int q = 0; q < V; ++q) _mm256_storeu_ps(yt + (R * w.br + i) * bt + 8 * q, a[q]);
    }
}

#define TF_BATCH_DISPATCH(name, W)                                                     \
  void name(const W& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) { \
    switch (bt / 16) {                                                                 \
      case 1: name##_v<2>(w, xt, bt, r0, r1, yt); break;                               \
      case 2: name##_v<4>(w, xt, bt, r0, r1, yt); break;                               \
      case 3: name##_v<6>(w, xt, bt, r0, r1, yt); break;                               \
      default: name##_v<8>(w, xt, bt, r0, r1, yt); break;                              \
    }                                                                                  \
  }
TF_BATCH_DISPATCH(csr_batch, Csr)
TF_BATCH_DISPATCH(nm_batch, NmPacked)
TF_BATCH_DISPATCH(bsr_batch, Bsr)
#undef TF_BATCH_DISPATCH

}  // namespace

const Kernels kAvx2 = {csr_gemv_avx2, nm_gemv_avx2, bsr_gemv_portable, csr_batch, nm_batch, bsr_batch};

}  // namespace tf::spmm
