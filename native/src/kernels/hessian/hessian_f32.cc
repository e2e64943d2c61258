// H += alpha * XᵀX through the blocked sgemm (lower triangle, then mirrored) and the
// per-feature squared norms for Wanda.
#include <algorithm>
#include <vector>

#include "common/parallel.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/hessian/hessian.h"
#include "kernels/linalg/linalg.h"

namespace tf::hessian {
namespace {
// Samples per sgemm call: bounds the time between cancel checks (~dim² * 2048 * 2 flops).
constexpr size_t kSliceRows = 2048;
}  // namespace

void hessian_f32_accumulate(float* h, const float* x, size_t n_samples, size_t dim, float alpha, Isa isa,
                            const JobControl* ctl) {
  if (dim == 0) return;
  for (size_t r0 = 0; r0 < n_samples; r0 += kSliceRows) {
    check(ctl);
    const size_t rows = std::min(kSliceRows, n_samples - r0);
    gemm::SgemmArgs g;
    g.trans_a = true;  // op(A) = Xᵀ (dim x rows)
    g.m = dim, g.n = dim, g.k = rows, g.alpha = alpha;
    g.a = x + r0 * dim, g.lda = dim;
    g.b = x + r0 * dim, g.ldb = dim;
    g.beta = 1.0f, g.c = h, g.ldc = dim;
    g.ctl = ctl;
    gemm::sgemm(g, isa, gemm::Part::Lower);
    report(ctl, r0 + rows, n_samples, "hessian");
  }
  // Mirror: the upper triangle is the lower one's transpose, bit for bit.
  linalg::mirror_lower_to_upper_f32(h, dim, dim);
}

void feature_sqnorm_f32_accumulate(float* norms, const float* x, size_t n_samples, size_t dim,
                                   const JobControl* ctl) {
  if (dim == 0 || n_samples == 0) return;
  // ~256 KB of X per part at least; each part sums its samples into its own row of partials.
  const size_t grain = std::max<size_t>(1, (size_t(1) << 16) / dim);
  const size_t parts = parts_for(n_samples, grain);
  std::vector<double> partial(parts * dim, 0.0);
  parallel_parts(n_samples, parts, [&](size_t p, size_t b, size_t e) {
    double* acc = partial.data() + p * dim;
    std::vector<float> row(dim);
    constexpr size_t kBlock = 64;  // samples summed in float before folding into double
    for (size_t s0 = b; s0 < e; s0 += kBlock) {
      check(ctl);
      std::fill(row.begin(), row.end(), 0.0f);
      const size_t s1 = std::min(e, s0 + kBlock);
      for (size_t s = s0; s < s1; ++s) {
        const float* xs = x + s * dim;
        for (size_t j = 0; j < dim; ++j) row[j] += xs[j] * xs[j];
      }
      for (size_t j = 0; j < dim; ++j) acc[j] += row[j];
    }
  });
  for (size_t j = 0; j < dim; ++j) {
    double s = norms[j];
    for (size_t p = 0; p < parts; ++p) s += partial[p * dim + j];
    norms[j] = float(s);
  }
}

}  // namespace tf::hessian
