// Packing and the threaded driver of the packed-B products (variants: pgemm.h kVariants).
#include "kernels/pgemm/pgemm.h"
#include "kernels/pgemm/variants.h"

#include <algorithm>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "common/scratch.h"

namespace tf::pgemm {

PackedB pack_b(const float* b, size_t k, size_t n, size_t ldb) {
  if (k == 0 || n == 0) throw bad_input("packed weights need k, n >= 1", "weights");
  if (ldb < n) throw bad_input("ldb (" + std::to_string(ldb) + ") must be >= n (" + std::to_string(n) + ")", "ldb");
  PackedB p;
  p.k = k, p.n = n;
  p.panels.assign(p.panel_count() * k * kPanel, 0.f);
  parallel_for(p.panel_count(), 1, [&](size_t p0, size_t p1) {
    for (size_t pi = p0; pi < p1; ++pi) {
      float* dst = p.panels.data() + pi * k * kPanel;
      const size_t j0 = pi * kPanel, cols = std::min(kPanel, n - j0);
      for (size_t kk = 0; kk < k; ++kk)
        for (size_t c = 0; c < cols; ++c) dst[kk * kPanel + c] = b[kk * ldb + j0 + c];
    }
  });
  return p;
}

namespace {

void run(const Kernels& kern, bool threaded, const float* a, size_t m, size_t lda, const PackedB& b, float* c,
         size_t ldc, const JobControl* ctl) {
  const size_t mr = kern.mr_max, k = b.k, panels = b.panel_count();
  // Pooled scratch: a fresh 256 KB panel of A would fault in more pages per call than it is worth.
  ScratchLease ap_lease = scratch<float>(k * mr);
  float* ap = ap_lease.as<float>();
  for (size_t i0 = 0; i0 < m; i0 += mr) {
    check(ctl);
    const size_t rows = std::min(mr, m - i0);
    for (size_t kk = 0; kk < k; ++kk)
      for (size_t r = 0; r < mr; ++r) ap[kk * mr + r] = r < rows ? a[(i0 + r) * lda + kk] : 0.f;
    auto body = [&](size_t p0, size_t p1) {
      for (size_t p = p0; p < p1; ++p)
        kern.panel(ap, mr, rows, b.panel(p), k, c + i0 * ldc + p * kPanel, ldc, std::min(kPanel, b.n - p * kPanel));
    };
    if (threaded)
      parallel_for(panels, std::max<size_t>(1, (size_t(1) << 15) / std::max<size_t>(1, k * rows)), body);
    else
      body(0, panels);
  }
}

}  // namespace

void gemm(const float* a, size_t m, size_t lda, const PackedB& b, float* c, size_t ldc, Isa isa, const JobControl* ctl) {
  if (m == 0) return;
  if (lda < b.k || ldc < b.n) throw bad_input("lda must be >= k and ldc >= n", "lda");
  run(kernels(isa), true, a, m, lda, b, c, ldc, ctl);
}

void gemm_ref(const float* a, size_t m, size_t lda, const PackedB& b, float* c, size_t ldc) {
  if (m == 0) return;
  run(kScalar, false, a, m, lda, b, c, ldc, nullptr);
}

}  // namespace tf::pgemm
