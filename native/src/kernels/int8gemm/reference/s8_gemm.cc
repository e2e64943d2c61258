// int8 GEMM driver (B rows split over threads), the scalar slice kernel and the reference.
#include <algorithm>

#include "common/parallel.h"
#include "kernels/int8gemm/int8gemm.h"

namespace tf::int8gemm {

void s8_gemm_slice_scalar(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                          size_t n1) {
  for (size_t j = n0; j < n1; ++j)
    for (size_t i = 0; i < m; ++i) {
      int32_t acc = 0;
      const int8_t* ar = a + i * k;
      const int8_t* br = b + j * k;
      for (size_t t = 0; t < k; ++t) acc += int32_t(ar[t]) * int32_t(br[t]);
      c[i * n + j] = acc;
    }
}

void s8_gemm(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, Isa isa) {
  IsaTable<S8SliceFn> t;
  t.scalar = s8_gemm_slice_scalar;
#if defined(__x86_64__) || defined(_M_X64)
  t.avx2 = s8_gemm_slice_avx2;
  t.avx512 = s8_gemm_slice_avx512vnni;
#endif
#if defined(__aarch64__)
  t.neon = s8_gemm_slice_neon_sdot;
#endif
  const S8SliceFn fn = t.get(isa);
  if (m == 0 || n == 0) return;
  // Slices of 4 weight rows (the register tile); ~256K multiply-adds per thread at least.
  const size_t quads = (n + 3) / 4;
  const size_t grain = std::max<size_t>(1, (size_t(1) << 18) / std::max<size_t>(1, m * k * 4));
  parallel_for(quads, grain, [&](size_t q0, size_t q1) { fn(a, b, c, m, n, k, q0 * 4, std::min(n, q1 * 4)); });
}

void s8_gemm_ref(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (size_t t = 0; t < k; ++t) acc += int64_t(a[i * k + t]) * b[j * k + t];
      c[i * n + j] = int32_t(acc);
    }
}

}  // namespace tf::int8gemm
