// Scalar reference of the 2:4 products: the order of fused multiply-adds every vector variant
// reproduces bit for bit (sp24.h).
#include <cmath>

#include "kernels/sp24/variants.h"

namespace tf::sp24 {
namespace {

inline float value_at(const Packed& w, size_t j) {
  return w.type == Values::F32 ? static_cast<const float*>(w.values)[j]
                               : half_to_float(static_cast<const uint16_t*>(w.values)[j]);
}

void gemv_scalar(const Packed& w, const float* x, size_t r0, size_t r1, float* y) {
  const size_t kr = w.kept_per_row();
  for (size_t r = r0; r < r1; ++r) {
    const uint8_t* ix = w.idx + r * w.idx_per_row();
    float s[kLanes] = {};
    for (size_t g = 0; g < w.cols / 4; ++g) {
      size_t c0, c1;
      group_cols(ix, g, &c0, &c1);
      const size_t j = 2 * g;
      s[j % kLanes] = std::fma(value_at(w, r * kr + j), x[c0], s[j % kLanes]);
      s[(j + 1) % kLanes] = std::fma(value_at(w, r * kr + j + 1), x[c1], s[(j + 1) % kLanes]);
    }
    y[r] = lane_tree_sum(s);
  }
}

void tile_scalar(const Packed& w, const float* xt, size_t r0, size_t r1, float* yt) {
  const size_t kr = w.kept_per_row();
  for (size_t r = r0; r < r1; ++r) {
    const uint8_t* ix = w.idx + r * w.idx_per_row();
    float acc[kTile] = {};
    for (size_t g = 0; g < w.cols / 4; ++g) {
      size_t c[2];
      group_cols(ix, g, &c[0], &c[1]);
      for (size_t t = 0; t < 2; ++t) {
        const float v = value_at(w, r * kr + 2 * g + t);
        const float* xr = xt + c[t] * kTile;
        for (size_t b = 0; b < kTile; ++b) acc[b] = std::fma(v, xr[b], acc[b]);
      }
    }
    for (size_t b = 0; b < kTile; ++b) yt[r * kTile + b] = acc[b];
  }
}

}  // namespace

const Kernels kScalar = {gemv_scalar, tile_scalar};

}  // namespace tf::sp24
