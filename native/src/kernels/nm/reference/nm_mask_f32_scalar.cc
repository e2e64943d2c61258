// Scalar reference of the N:M selection: rank each element in its group by how many others
// beat it (greater, or equal with a lower index) and keep ranks below N.
#include <algorithm>

#include "common/float_bits.h"
#include "kernels/nm/variants.h"

namespace tf {
namespace nm {

uint32_t contig_scalar(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask) {
  uint32_t mx = 0;
  int32_t k[16];
  for (size_t g = 0; g < groups; ++g, s += m, mask += m) {
    for (int i = 0; i < m; ++i) {
      k[i] = order_key(s[i], magnitude);
      mx = std::max(mx, abs_key(s[i]));
    }
    for (int i = 0; i < m; ++i) {
      int rank = 0;
      for (int j = 0; j < i; ++j) rank += k[j] >= k[i];
      for (int j = i + 1; j < m; ++j) rank += k[j] > k[i];
      mask[i] = rank < keep;
    }
  }
  return mx;
}

uint32_t strided_scalar(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask) {
  uint32_t mx = 0;
  int32_t k[16];
  for (size_t c = 0; c < cols; ++c) {
    for (int i = 0; i < t; ++i) {
      float x = s[size_t(i) * stride + c];
      k[i] = order_key(x, magnitude);
      mx = std::max(mx, abs_key(x));
    }
    for (int i = 0; i < t; ++i) {
      int rank = 0;
      for (int j = 0; j < i; ++j) rank += k[j] >= k[i];
      for (int j = i + 1; j < t; ++j) rank += k[j] > k[i];
      mask[size_t(i) * stride + c] = rank < keep;
    }
  }
  return mx;
}

const Kernels kScalar = {contig_scalar, strided_scalar};

}  // namespace nm
}  // namespace tf
