// Right-looking blocked Cholesky: factor a diagonal block in double, solve the panel below it
// by multiplying with the block's inverse transpose (one sgemm), update the trailing lower
// triangle with one symmetric sgemm (L21·L21ᵀ, lower part only).
#include <algorithm>
#include <cmath>
#include <vector>

#include "common/scratch.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/linalg/linalg.h"

namespace tf::linalg {
namespace {

// Diagonal block width: large enough that the trailing update (k = kNb) runs near the
// sgemm's peak, small enough that the double-precision block work stays a few percent.
constexpr size_t kNb = 192;

}  // namespace

bool cholesky_lower_f32(float* a, size_t n, size_t lda, Isa isa, const JobControl* ctl) {
  std::vector<double> blk(kNb * kNb);
  std::vector<float> inv_f(kNb * kNb);
  ScratchLease panel_lease = scratch<float>(n * kNb);  // pooled: the panel is up to n x kNb
  float* panel = panel_lease.as<float>();
  for (size_t j = 0; j < n; j += kNb) {
    check(ctl);
    const size_t jb = std::min(kNb, n - j);
    for (size_t r = 0; r < jb; ++r)
      for (size_t c = 0; c < jb; ++c) blk[r * jb + c] = c <= r ? a[(j + r) * lda + j + c] : 0.0;
    if (!cholesky_lower_ref(blk.data(), jb)) return false;
    for (size_t r = 0; r < jb; ++r)
      for (size_t c = 0; c < jb; ++c) a[(j + r) * lda + j + c] = float(blk[r * jb + c]);
    const size_t rest = n - j - jb;
    if (rest > 0) {
      trtri_block_double(blk.data(), jb);
      for (size_t i = 0; i < jb * jb; ++i) inv_f[i] = float(blk[i]);
      // L21 = A21 · L11⁻ᵀ (out of place: A21 is read while L21 is written).
      for (size_t r = 0; r < rest; ++r)
        std::copy(a + (j + jb + r) * lda + j, a + (j + jb + r) * lda + j + jb, panel + r * jb);
      gemm::SgemmArgs p;
      p.trans_b = true;
      p.m = rest, p.n = jb, p.k = jb;
      p.a = panel, p.lda = jb, p.b = inv_f.data(), p.ldb = jb;
      p.beta = 0.0f, p.c = a + (j + jb) * lda + j, p.ldc = lda;
      p.ctl = ctl;
      gemm::sgemm(p, isa);
      // A22 -= L21 · L21ᵀ, lower triangle only.
      gemm::SgemmArgs u;
      u.trans_b = true;
      u.m = rest, u.n = rest, u.k = jb, u.alpha = -1.0f;
      u.a = a + (j + jb) * lda + j, u.lda = lda, u.b = a + (j + jb) * lda + j, u.ldb = lda;
      u.beta = 1.0f, u.c = a + (j + jb) * lda + j + jb, u.ldc = lda;
      u.ctl = ctl;
      gemm::sgemm(u, isa, gemm::Part::Lower);
    }
    report(ctl, j + jb, n, "cholesky");
  }
  for (size_t i = 0; i < n; ++i) std::fill(a + i * lda + i + 1, a + i * lda + n, 0.0f);
  return true;
}

void mirror_lower_to_upper_f32(float* a, size_t n, size_t lda) {
  constexpr size_t kT = 64;  // tile: both the read and the write side stay in L1
  for (size_t i0 = 0; i0 < n; i0 += kT)
    for (size_t j0 = i0; j0 < n; j0 += kT)
      for (size_t i = i0; i < std::min(n, i0 + kT); ++i)
        for (size_t j = std::max(j0, i + 1); j < std::min(n, j0 + kT); ++j) a[i * lda + j] = a[j * lda + i];
}

}  // namespace tf::linalg
