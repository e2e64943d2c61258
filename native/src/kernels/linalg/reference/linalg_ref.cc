// The unblocked double-precision definitions the blocked float drivers (cholesky_f32.cc,
// trtri_f32.cc) are tested against; the drivers also use them for their diagonal blocks.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/linalg/linalg.h"

namespace tf::linalg {

// Unblocked lower Cholesky in double; false on a bad pivot (also the blocked driver's diagonal step).
bool cholesky_lower_ref(double* a, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0.0) || !std::isfinite(d)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / d;
    }
    for (size_t i = 0; i < j; ++i) a[i * n + j] = 0.0;
  }
  return true;
}

// Inverse of a lower triangular matrix in double (column by column forward substitution).
void trtri_block_double(double* a, size_t n) {
  std::vector<double> inv(n * n, 0.0);
  for (size_t j = 0; j < n; ++j) {
    inv[j * n + j] = 1.0 / a[j * n + j];
    for (size_t i = j + 1; i < n; ++i) {
      double s = 0.0;
      for (size_t k = j; k < i; ++k) s += a[i * n + k] * inv[k * n + j];
      inv[i * n + j] = -s / a[i * n + i];
    }
  }
  std::copy(inv.begin(), inv.end(), a);
}

void trtri_lower_ref(double* a, size_t n) { trtri_block_double(a, n); }

}  // namespace tf::linalg
