// Dense fp32 matrix products, row-major: C = alpha * op(A) * op(B) + beta * C.
// One blocked, packed, multithreaded driver (sgemm_blocked.cc) runs a per-ISA register-tile
// microkernel; the solvers (Hessian, Cholesky, triangular inverse, SparseGPT/GPTQ lazy batch
// updates) and the measuring kernels all go through it.
#pragma once
#include <cstddef>

#include "common/job.h"
#include "kernels/dispatch/cpu.h"

namespace tf::gemm {

// op(A) is M x K: A[i*lda + k], or A[k*lda + i] when trans_a. op(B) is K x N: B[k*ldb + j],
// or B[j*ldb + k] when trans_b. beta == 0 overwrites C without reading it (NaN in C is dropped).
struct SgemmArgs {
  bool trans_a = false;
  bool trans_b = false;
  size_t m = 0, n = 0, k = 0;
  float alpha = 1.0f;
  const float* a = nullptr;
  size_t lda = 0;
  const float* b = nullptr;
  size_t ldb = 0;
  float beta = 0.0f;
  float* c = nullptr;
  size_t ldc = 0;
  // Polled once per output tile (~1 ms of work at most): long products stay cancellable.
  const JobControl* ctl = nullptr;
};

// Which part of C to compute: all of it, or only tiles touching the lower triangle (j <= i),
// for symmetric products (XᵀX, L·Lᵀ); elements above the diagonal inside diagonal tiles are
// written too, elements of tiles strictly above are left alone.
enum class Part { Full, Lower };

// Blocked, multithreaded product with the microkernel of `isa` (falls back to scalar).
void sgemm(const SgemmArgs& args, Isa isa, Part part = Part::Full);
inline void sgemm(const SgemmArgs& args) { sgemm(args, active_isa()); }

// Plain triple loop in double accumulation: the reference the tests compare against.
void sgemm_ref(const SgemmArgs& args);

// --- microkernel contract (internal to the gemm group and its tests) -------------------------
// Computes the mr x nr tile C = alpha * Apanel * Bpanel + beta * C where Apanel is packed as
// [kc][MR] and Bpanel as [kc][NR] (zero padded); only the top-left mr x nr of the tile is
// stored. beta == 0 does not read C.
using SgemmUkernel = void (*)(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc,
                              size_t mr, size_t nr, float alpha, float beta);

struct SgemmUkernelInfo {
  SgemmUkernel fn;
  size_t mr, nr;  // register tile
  size_t kc;      // depth of one packed slice (fits L1 with one B micro-panel)
  size_t mc;      // rows of one packed A block (fits L2)
  size_t nc;      // columns of one packed B block (fits L2/L3 share)
};

}  // namespace tf::gemm
