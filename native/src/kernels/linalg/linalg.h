// Dense fp32 linear algebra for the layer solvers, row-major, blocked so that nearly all the
// flops run in the blocked sgemm; the small diagonal blocks are done in double.
#pragma once
#include <cstddef>

#include "common/job.h"
#include "kernels/dispatch/cpu.h"

namespace tf::linalg {

// In-place lower Cholesky factor of the symmetric positive definite n x n matrix a
// (only its lower triangle is read): a = L·Lᵀ, L in the lower triangle, the upper one zeroed.
// Returns false when a pivot is not positive and finite (a is then left partly factored).
bool cholesky_lower_f32(float* a, size_t n, size_t lda, Isa isa, const JobControl* ctl = nullptr);

// In-place inverse of a lower triangular matrix with a nonzero diagonal (upper stays zero).
void trtri_lower_f32(float* a, size_t n, size_t lda, Isa isa, const JobControl* ctl = nullptr);

// h (n x n, lda = n, symmetric positive definite) is replaced by U, the upper Cholesky factor of
// its inverse (h⁻¹ = UᵀU), which the OBS column sweeps of SparseGPT/GPTQ read row by row.
// Computed as the inverse of the reversed-order factor (h = R·Rᵀ, R upper, U = R⁻¹): one
// Cholesky and one triangular inverse instead of the three factorizations of the papers'
// code, and the inverse is never formed. Returns false when h is not positive definite.
bool inverse_cholesky_upper_f32(float* h, size_t n, Isa isa, const JobControl* ctl = nullptr);

// a[i][j] = a[j][i] for j > i (cache-blocked transpose of the lower triangle into the upper).
void mirror_lower_to_upper_f32(float* a, size_t n, size_t lda);

// Unblocked inverse of a small lower triangular block in double (the blocked kernels' base case).
void trtri_block_double(double* a, size_t n);

// References for the tests: unblocked, double accumulation.
bool cholesky_lower_ref(double* a, size_t n);
void trtri_lower_ref(double* a, size_t n);

}  // namespace tf::linalg
