// The double-accumulating definitions of XᵀX and the per-feature squared norms that the
// drivers (hessian_f32.cc) are tested against.
#include "kernels/hessian/hessian.h"

namespace tf::hessian {

void hessian_f32_accumulate_ref(float* h, const float* x, size_t n_samples, size_t dim, float alpha) {
  for (size_t i = 0; i < dim; ++i)
    for (size_t j = 0; j < dim; ++j) {
      double acc = 0;
      for (size_t s = 0; s < n_samples; ++s) acc += double(x[s * dim + i]) * double(x[s * dim + j]);
      h[i * dim + j] = float(double(h[i * dim + j]) + double(alpha) * acc);
    }
}

void feature_sqnorm_f32_accumulate_ref(float* norms, const float* x, size_t n_samples, size_t dim) {
  for (size_t j = 0; j < dim; ++j) {
    double s = norms[j];
    for (size_t i = 0; i < n_samples; ++i) s += double(x[i * dim + j]) * double(x[i * dim + j]);
    norms[j] = float(s);
  }
}

}  // namespace tf::hessian
