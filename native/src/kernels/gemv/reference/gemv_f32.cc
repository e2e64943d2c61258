// The scalar GEMV slice kernel and the double-accumulating reference the tests compare with.
#include <algorithm>

#include "kernels/gemv/variants.h"

namespace tf::gemv {

void gemv_f32_slice_scalar(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y) {
  std::fill(y + j0, y + j1, 0.0f);
  for (size_t i = 0; i < k; ++i) {
    const float xi = x[i];
    const float* row = b + i * ldb;
    for (size_t j = j0; j < j1; ++j) y[j] += xi * row[j];
  }
}

void gemv_f32_ref(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y) {
  for (size_t j = 0; j < n; ++j) {
    double acc = 0;
    for (size_t i = 0; i < k; ++i) acc += double(x[i]) * double(b[i * ldb + j]);
    y[j] = float(acc);
  }
}

}  // namespace tf::gemv
