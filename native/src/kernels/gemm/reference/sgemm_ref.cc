// The reference product the tests hold every variant to: a plain triple loop that
// accumulates in double, so its own rounding is far below the tolerances.
#include "kernels/gemm/sgemm.h"

namespace tf::gemm {

void sgemm_ref(const SgemmArgs& g) {
  for (size_t i = 0; i < g.m; ++i) {
    for (size_t j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (size_t k = 0; k < g.k; ++k) {
        double a = g.trans_a ? g.a[k * g.lda + i] : g.a[i * g.lda + k];
        double b = g.trans_b ? g.b[j * g.ldb + k] : g.b[k * g.ldb + j];
        acc += a * b;
      }
      float& c = g.c[i * g.ldc + j];
      c = g.beta == 0.0f ? float(g.alpha * acc) : float(g.alpha * acc + double(g.beta) * c);
    }
  }
}

}  // namespace tf::gemm
