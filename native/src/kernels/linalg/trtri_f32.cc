// Blocked inverse of a lower triangular matrix, last diagonal block first (LAPACK trtri order):
// with the trailing part already inverted, the panel below block j becomes
//   A21 := -(Inv22 · L21) · Inv11,
// where Inv22 is lower triangular, so each row block of the first product needs only the
// columns up to its own diagonal (half the flops of a full product).
#include <algorithm>
#include <vector>

#include "common/scratch.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/linalg/linalg.h"

namespace tf::linalg {
namespace {
constexpr size_t kNb = 192;  // same blocking rationale as the Cholesky
}  // namespace

void trtri_lower_f32(float* a, size_t n, size_t lda, Isa isa, const JobControl* ctl) {
  if (n == 0) return;
  std::vector<double> blk(kNb * kNb);
  std::vector<float> inv_f(kNb * kNb);
  ScratchLease x_lease = scratch<float>(n * kNb);  // pooled, up to n x kNb
  float* x = x_lease.as<float>();
  const size_t nblocks = (n + kNb - 1) / kNb;
  for (size_t bi = nblocks; bi-- > 0;) {
    check(ctl);
    const size_t j = bi * kNb, jb = std::min(kNb, n - j), rest = n - j - jb;
    for (size_t r = 0; r < jb; ++r)
      for (size_t c = 0; c < jb; ++c) blk[r * jb + c] = c <= r ? a[(j + r) * lda + j + c] : 0.0;
    trtri_block_double(blk.data(), jb);
    for (size_t i = 0; i < jb * jb; ++i) inv_f[i] = float(blk[i]);
    if (rest > 0) {
      float* l21 = a + (j + jb) * lda + j;
      const float* inv22 = a + (j + jb) * lda + j + jb;
      for (size_t r0 = 0; r0 < rest; r0 += kNb) {
        const size_t r1 = std::min(rest, r0 + kNb);
        gemm::SgemmArgs g;
        g.m = r1 - r0, g.n = jb, g.k = r1;
        g.a = inv22 + r0 * lda, g.lda = lda, g.b = l21, g.ldb = lda;
        g.beta = 0.0f, g.c = x + r0 * jb, g.ldc = jb;
        g.ctl = ctl;
        gemm::sgemm(g, isa);
      }
      gemm::SgemmArgs g;
      g.m = rest, g.n = jb, g.k = jb, g.alpha = -1.0f;
      g.a = x, g.lda = jb, g.b = inv_f.data(), g.ldb = jb;
      g.beta = 0.0f, g.c = l21, g.ldc = lda;
      g.ctl = ctl;
      gemm::sgemm(g, isa);
    }
    for (size_t r = 0; r < jb; ++r)
      for (size_t c = 0; c < jb; ++c) a[(j + r) * lda + j + c] = inv_f[r * jb + c];
    report(ctl, n - j, n, "inverse");
  }
}

bool inverse_cholesky_upper_f32(float* h, size_t n, Isa isa, const JobControl* ctl) {
  // Reversing the row-major array maps (i, j) to (n-1-i, n-1-j): P·H·P with P the reversal.
  std::reverse(h, h + n * n);
  if (!cholesky_lower_f32(h, n, n, isa, ctl)) return false;  // P·H·P = Lr·Lrᵀ
  trtri_lower_f32(h, n, n, isa, ctl);                         // Lr⁻¹
  std::reverse(h, h + n * n);                                 // U = P·Lr⁻¹·P, upper
  return true;
}

}  // namespace tf::linalg
