// Dense GEMV driver: the variant for the ISA (gemv.h kVariants) over column slices on the threads.
#include <algorithm>

#include "common/parallel.h"
#include "kernels/gemv/gemv.h"
#include "kernels/gemv/variants.h"

namespace tf::gemv {

void gemv_f32(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y, Isa isa) {
  const GemvSliceFn fn = select(kVariants, isa);
  // Slices of whole cache lines (16 floats); small products stay on the calling thread.
  constexpr size_t kLine = 16;
  const size_t lines = (n + kLine - 1) / kLine;
  const size_t grain = std::max<size_t>(1, (size_t(1) << 18) / std::max<size_t>(k, 1) / kLine);
  parallel_for(lines, grain, [&](size_t lb, size_t le) { fn(x, b, k, ldb, lb * kLine, std::min(n, le * kLine), y); });
}

}  // namespace tf::gemv
