// AVX-512 sparse GEMVs: 16 nonzeros per step, x gathered by column index (x is in L1), two
// accumulators to hide the gather latency. N:M column indices are rebuilt from the in-group
// index bytes with a per-lane group-offset pattern that repeats every n/gcd(n,16) vectors.
// The batched kernels are the portable bodies compiled with AVX-512.
#include <immintrin.h>

#include "kernels/spmm/spmm_impl.h"
#include "kernels/spmm/variants.h"

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

// Batched products: V vectors of 16 activations per output row in registers; each nonzero is one
// broadcast and V FMAs against a contiguous row of the transposed activations. Two accumulator
// sets alternate between nonzeros so a single-vector batch is not bound by FMA latency.
template <int V>
void csr_batch_v(const Csr& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) {
  for (size_t r = r0; r < r1; ++r) {
    __m512 a[V], b[V];
    for (int q = 0; q < V; ++q) a[q] = b[q] = _mm512_setzero_ps();
    size_t j = w.row_ptr[r];
    const size_t e = w.row_ptr[r + 1];
    for (; j + 2 <= e; j += 2) {
      const __m512 v0 = _mm512_set1_ps(w.values[j]), v1 = _mm512_set1_ps(w.values[j + 1]);
      const float* x0 = xt + size_t(w.col_idx[j]) * bt;
      const float* x1 = xt + size_t(w.col_idx[j + 1]) * bt;
      for (int q = 0; q < V; ++q) {
        a[q] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(x0 + 16 * q), a[q]);
        b[q] = _mm512_fmadd_ps(v1, _mm512_loadu_ps(x1 + 16 * q), b[q]);
      }
    }
    if (j < e) {
      const __m512 v0 = _mm512_set1_ps(w.values[j]);
      const float* x0 = xt + size_t(w.col_idx[j]) * bt;
      for (int q = 0; q < V; ++q) a[q] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(x0 + 16 * q), a[q]);
    }
    for (int q = 0; q < V; ++q) _mm512_storeu_ps(yt + r * bt + 16 * q, _mm512_add_ps(a[q], b[q]));
  }
}

template <int V>
void nm_batch_v(const NmPacked& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) {
  const size_t per = w.per_row();
  for (size_t r = r0; r < r1; ++r) {
    const float* vals = w.values + r * per;
    const uint8_t* ix = w.idx + r * per;
    __m512 a[V], b[V];
    for (int q = 0; q < V; ++q) a[q] = b[q] = _mm512_setzero_ps();
    size_t e = 0, g = 0, t = 0;  // element, its group, its slot in the group
    auto col = [&](size_t el, size_t grp) { return (grp * w.m + ix[el]) * bt; };
    for (; e + 2 <= per; e += 2) {
      const size_t g0 = g;
      if (++t == w.n) t = 0, ++g;
      const size_t g1 = g;
      if (++t == w.n) t = 0, ++g;
      const __m512 v0 = _mm512_set1_ps(vals[e]), v1 = _mm512_set1_ps(vals[e + 1]);
      const float* x0 = xt + col(e, g0);
      const float* x1 = xt + col(e + 1, g1);
      for (int q = 0; q < V; ++q) {
        a[q] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(x0 + 16 * q), a[q]);
        b[q] = _mm512_fmadd_ps(v1, _mm512_loadu_ps(x1 + 16 * q), b[q]);
      }
    }
    if (e < per) {
      const __m512 v0 = _mm512_set1_ps(vals[e]);
      const float* x0 = xt + col(e, g);
      for (int q = 0; q < V; ++q) a[q] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(x0 + 16 * q), a[q]);
    }
    for (int q = 0; q < V; ++q) _mm512_storeu_ps(yt + r * bt + 16 * q, _mm512_add_ps(a[q], b[q]));
  }
}

template <int V>
void bsr_batch_v(const Bsr& w, const float* xt, size_t bt, size_t br0, size_t br1, float* yt) {
  const size_t bsz = w.br * w.bc;
  for (size_t R = br0; R < br1; ++R)
    for (size_t i = 0; i < w.br; ++i) {
      __m512 a[V], b[V];
      for (int q = 0; q < V; ++q) a[q] = b[q] = _mm512_setzero_ps();
      for (size_t blk = w.block_row_ptr[R]; blk < w.block_row_ptr[R + 1]; ++blk) {
        const float* v = w.values + blk * bsz + i * w.bc;
        const float* xb = xt + size_t(w.block_col[blk]) * w.bc * bt;
        size_t j = 0;
        for (; j + 2 <= w.bc; j += 2) {
          const __m512 v0 = _mm512_set1_ps(v[j]), v1 = _mm512_set1_ps(v[j + 1]);
          for (int q = 0; q < V; ++q) {
            a[q] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(xb + j * bt + 16 * q), a[q]);
            b[q] = _mm512_fmadd_ps(v1, _mm512_loadu_ps(xb + (j + 1) * bt + 16 * q), b[q]);
          }
        }
        if (j < w.bc) {
          const __m512 v0 = _mm512_set1_ps(v[j]);
          for (int q = 0; q < V; ++q) a[q] = _mm512_fmadd_ps(v0, _mm512_loadu_ps(xb + j * bt + 16 * q), a[q]);
        }
      }
      float* out = yt + (R * w.br + i) * bt;
      for (int q = 0; q < V; ++q) _mm512_storeu_ps(out + 16 * q, _mm512_add_ps(a[q], b[q]));
    }
}

#define TF_BATCH_DISPATCH(name, W)                                                              \
  void name(const W& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) {          \
    switch (bt / 16) {                                                                          \
      case 1: name##_v<1>(w, xt, bt, r0, r1, yt); break;                                        \
      case 2: name##_v<2>(w, xt, bt, r0, r1, yt); break;                                        \
      case 3: name##_v<3>(w, xt, bt, r0, r1, yt); break;                                        \
      default: name##_v<4>(w, xt, bt, r0, r1, yt); break;                                       \
    }                                                                                           \
  }
TF_BATCH_DISPATCH(csr_batch, Csr)
TF_BATCH_DISPATCH(nm_batch, NmPacked)
TF_BATCH_DISPATCH(bsr_batch, Bsr)
#undef TF_BATCH_DISPATCH

// BSR GEMV: 4x4 blocks load whole (16 values) against x broadcast 4 times, each 128-bit lane
// accumulating one block row; other shapes run each block row's dot products 16 wide.
void bsr_gemv_avx512(const Bsr& w, const float* x, size_t br0, size_t br1, float* y) {
  const size_t bsz = w.br * w.bc;
  if (w.br == 4 && w.bc == 4) {
    for (size_t R = br0; R < br1; ++R) {
      __m512 a = _mm512_setzero_ps(), b = _mm512_setzero_ps();
      size_t blk = w.block_row_ptr[R];
      const size_t end = w.block_row_ptr[R + 1];
      for (; blk + 2 <= end; blk += 2) {
        const __m512 x0 = _mm512_broadcast_f32x4(_mm_loadu_ps(x + size_t(w.block_col[blk]) * 4));
        const __m512 x1 = _mm512_broadcast_f32x4(_mm_loadu_ps(x + size_t(w.block_col[blk + 1]) * 4));
        a = _mm512_fmadd_ps(_mm512_loadu_ps(w.values + blk * 16), x0, a);
        b = _mm512_fmadd_ps(_mm512_loadu_ps(w.values + (blk + 1) * 16), x1, b);
      }
      if (blk < end)
        a = _mm512_fmadd_ps(_mm512_loadu_ps(w.values + blk * 16), _mm512_broadcast_f32x4(_mm_loadu_ps(x + size_t(w.block_col[blk]) * 4)), a);
      alignas(64) float lanes[16];
      _mm512_store_ps(lanes, _mm512_add_ps(a, b));
      for (int i = 0; i < 4; ++i) y[R * 4 + i] = lanes[4 * i] + lanes[4 * i + 1] + lanes[4 * i + 2] + lanes[4 * i + 3];
    }
    return;
  }
  for (size_t R = br0; R < br1; ++R)
    for (size_t i = 0; i < w.br; ++i) {
      __m512 a = _mm512_setzero_ps();
      for (size_t blk = w.block_row_ptr[R]; blk < w.block_row_ptr[R + 1]; ++blk) {
        const float* v = w.values + blk * bsz + i * w.bc;
        const float* xb = x + size_t(w.block_col[blk]) * w.bc;
        for (size_t j = 0; j < w.bc; j += 16) {
          const size_t left = w.bc - j;
          const __mmask16 m = left >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << left) - 1);
          a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, v + j), _mm512_maskz_loadu_ps(m, xb + j), a);
        }
      }
      y[R * w.br + i] = _mm512_reduce_add_ps(a);
    }
}

}  // namespace

const Kernels kAvx512 = {csr_gemv_avx512, nm_gemv_avx512, bsr_gemv_avx512, csr_batch, nm_batch, bsr_batch};

}  // namespace tf::spmm
