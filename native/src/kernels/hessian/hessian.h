// Calibration statistics for the second-order and activation-aware methods:
//  - the layer Hessian H += alpha * XᵀX (SparseGPT, GPTQ), X = nSamples x dim row-major;
//  - per-feature squared norms ‖x_j‖² (Wanda scores |w_ij|·‖x_j‖₂ take their square root).
// Both accumulate into the caller's buffers, so calibration batches can stream through.
#pragma once
#include <cstddef>

#include "common/job.h"
#include "kernels/dispatch/cpu.h"

namespace tf::hessian {

// h (dim x dim) += alpha * XᵀX. The result is exactly symmetric: the lower triangle is
// computed (half the flops) and mirrored, so h must be symmetric on entry (zeros or an
// earlier result of this function). Samples go in slices of ~kSliceRows with a
// cancel check between them.
void hessian_f32_accumulate(float* h, const float* x, size_t n_samples, size_t dim, float alpha, Isa isa,
                            const JobControl* ctl = nullptr);
inline void hessian_f32_accumulate(float* h, const float* x, size_t n_samples, size_t dim, float alpha = 1.0f) {
  hessian_f32_accumulate(h, x, n_samples, dim, alpha, active_isa());
}

// Reference: double accumulation over all samples, every element computed.
void hessian_f32_accumulate_ref(float* h, const float* x, size_t n_samples, size_t dim, float alpha);

// norms[j] += sum_i x[i][j]^2, accumulated in double per call (one pass over X, multithreaded
// over sample slices). Memory-bound: the baseline build's SSE loop already streams at copy speed.
void feature_sqnorm_f32_accumulate(float* norms, const float* x, size_t n_samples, size_t dim,
                                   const JobControl* ctl = nullptr);
void feature_sqnorm_f32_accumulate_ref(float* norms, const float* x, size_t n_samples, size_t dim);

}  // namespace tf::hessian
