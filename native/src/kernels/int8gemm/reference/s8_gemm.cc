// The scalar int8 slice kernel and the int64-accumulating reference the tests compare with.
#include "kernels/int8gemm/variants.h"

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

void s8_gemm_ref(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (size_t t = 0; t < k; ++t) acc += int64_t(a[i * k + t]) * b[j * k + t];
      c[i * n + j] = int32_t(acc);
    }
}

}  // namespace tf::int8gemm
