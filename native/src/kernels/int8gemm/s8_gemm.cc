// int8 GEMM driver: the variant for the ISA (int8gemm.h kVariants) over slices of B rows on the threads.
#include <algorithm>

#include "common/parallel.h"
#include "kernels/int8gemm/int8gemm.h"
#include "kernels/int8gemm/variants.h"

namespace tf::int8gemm {

void s8_gemm(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, Isa isa) {
  const S8SliceFn fn = select(kVariants, isa);
  if (m == 0 || n == 0) return;
  // Slices of 4 weight rows (the register tile); ~256K multiply-adds per thread at least.
  const size_t quads = (n + 3) / 4;
  const size_t grain = std::max<size_t>(1, (size_t(1) << 18) / std::max<size_t>(1, m * k * 4));
  parallel_for(quads, grain, [&](size_t q0, size_t q1) { fn(a, b, c, m, n, k, q0 * 4, std::min(n, q1 * 4)); });
}

}  // namespace tf::int8gemm
