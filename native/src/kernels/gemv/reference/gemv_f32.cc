// Dense GEMV driver (column slices over threads) and the scalar kernels.
#include <algorithm>

#include "common/parallel.h"
#include "kernels/gemv/gemv.h"

namespace tf::gemv {

void gemv_f32_slice_scalar(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y) {
  std::fill(y + j0, y + j1, 0.0f);
  for (size_t i = 0; i < k; ++i) {
    const float xi = x[i];
    const float* row = b + i * ldb;
    for (size_t j = j0; j < j1; ++j) y[j] += xi * row[j];
  }
}

void gemv_f32(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y, Isa isa) {
  IsaTable<GemvSliceFn> t;
  t.scalar = gemv_f32_slice_scalar;
#if defined(__x86_64__) || defined(_M_X64)
  t.avx2 = gemv_f32_slice_avx2;
  t.avx512 = gemv_f32_slice_avx512;
#endif
#if defined(__aarch64__)
  t.neon = gemv_f32_slice_neon;
#endif
  const GemvSliceFn fn = t.get(isa);
  // Slices of whole cache lines (16 floats); small products stay on the calling thread.
  constexpr size_t kLine = 16;
  const size_t lines = (n + kLine - 1) / kLine;
  const size_t grain = std::max<size_t>(1, (size_t(1) << 18) / std::max<size_t>(k, 1) / kLine);
  parallel_for(lines, grain, [&](size_t lb, size_t le) { fn(x, b, k, ldb, lb * kLine, std::min(n, le * kLine), y); });
}

void gemv_f32_ref(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y) {
  for (size_t j = 0; j < n; ++j) {
    double acc = 0;
    for (size_t i = 0; i < k; ++i) acc += double(x[i]) * double(b[i * ldb + j]);
    y[j] = float(acc);
  }
}

}  // namespace tf::gemv
