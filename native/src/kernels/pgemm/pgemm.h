// Dense fp32 products against a constant weight packed once: C[m, n] = A[m, k] · B[k, n]
// (ONNX MatMul layout, B row-major [k, n]). Weights do not change between calls, so B is
// packed at load time into 16-column panels [ceil(n/16)][k][16] (zero padded) that a call
// streams once, front to back; the rows of A sit in registers as broadcasts. Built for the
// small batches of inference (m up to a few dozen), where a blocked sgemm re-packs B every
// call and spends more time packing than multiplying.
//
// Every output is one chain of fused multiply-adds over k in order (c = fma(a, b, c) from 0),
// so every ISA's variant is bit-exact against the scalar reference.
#pragma once
#include <cstddef>
#include <type_traits>
#include <vector>

#include "common/job.h"
#include "kernels/dispatch/cpu.h"

namespace tf::pgemm {

constexpr size_t kPanel = 16;  // columns per packed panel

struct PackedB {
  size_t k = 0, n = 0;
  std::vector<float> panels;  // [ceil(n/16)][k][16]
  size_t panel_count() const { return (n + kPanel - 1) / kPanel; }
  const float* panel(size_t p) const { return panels.data() + p * k * kPanel; }
};

// Packs B [k, n] with row stride ldb (>= n). k, n >= 1.
PackedB pack_b(const float* b, size_t k, size_t n, size_t ldb);

// C[m, n] (row stride ldc) = A[m, k] (row stride lda) · B on the given ISA; rows of A are
// taken in blocks of the ISA's register tile, panels split over the threads.
void gemm(const float* a, size_t m, size_t lda, const PackedB& b, float* c, size_t ldc, Isa isa,
          const JobControl* ctl = nullptr);
// The scalar reference (single-threaded, same order of operations).
void gemm_ref(const float* a, size_t m, size_t lda, const PackedB& b, float* c, size_t ldc);

// ---- per-ISA pieces (internal) ------------------------------------------------------------
// rows (1..mr_max) rows of A packed as ap[k][mr_max]; one B panel [k][16]; writes C[rows][cols].
using PanelFn = void (*)(const float* ap, size_t mr_max, size_t rows, const float* bp, size_t k, float* c,
                         size_t ldc, size_t cols);
// Calls fn(std::integral_constant<int, R>{}) for R == rows, 1 <= R <= Max: a variant's panel
// turns the row count into its register tile's compile-time size with
//   with_rows<6>(rows, [&](auto r) { panel_rows<decltype(r)::value>(...); });
template <int Max, int R = 1, typename Fn>
inline void with_rows(size_t rows, Fn&& fn) {
  if constexpr (R <= Max) {
    if (rows == size_t(R)) return fn(std::integral_constant<int, R>{});
    with_rows<Max, R + 1>(rows, fn);
  }
}
struct Kernels {
  PanelFn panel;
  size_t mr_max;  // rows per register tile
};

}  // namespace tf::pgemm
