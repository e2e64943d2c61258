// Portable bodies of the sparse kernels (spmm.h), included by one file per ISA inside an
// anonymous namespace so the fixed-shape loops compile to that ISA's vectors. Reductions
// keep kLanes independent partial sums so they vectorize without reassociation flags.
#include <cstring>

#include "kernels/spmm/spmm.h"

namespace {

using tf::spmm::Bsr;
using tf::spmm::Csr;
using tf::spmm::kBatchTile;
using tf::spmm::NmPacked;

constexpr size_t kLanes = 16;

inline float lanes_sum(const float* s) {
  float t = 0.0f;
  for (size_t l = 0; l < kLanes; ++l) t += s[l];
  return t;
}

[[maybe_unused]] void csr_gemv_portable(const Csr& w, const float* x, size_t r0, size_t r1, float* y) {
  for (size_t r = r0; r < r1; ++r) {
    float s[kLanes] = {};
    const size_t b = w.row_ptr[r], e = w.row_ptr[r + 1];
    size_t j = b;
    for (; j + kLanes <= e; j += kLanes)
      for (size_t l = 0; l < kLanes; ++l) s[l] += w.values[j + l] * x[w.col_idx[j + l]];
    for (size_t l = 0; j < e; ++j, ++l) s[l] += w.values[j] * x[w.col_idx[j]];
    y[r] = lanes_sum(s);
  }
}

[[maybe_unused]] void nm_gemv_portable(const NmPacked& w, const float* x, size_t r0, size_t r1, float* y) {
  const size_t per = w.per_row(), groups = w.cols / w.m;
  for (size_t r = r0; r < r1; ++r) {
    const float* v = w.values + r * per;
    const uint8_t* ix = w.idx + r * per;
    float s[kLanes] = {};
    size_t l = 0;
    for (size_t g = 0; g < groups; ++g) {
      const float* xg = x + g * w.m;
      for (uint32_t t = 0; t < w.n; ++t, ++l) {
        if (l == kLanes) l = 0;
        s[l] += v[g * w.n + t] * xg[ix[g * w.n + t]];
      }
    }
    y[r] = lanes_sum(s);
  }
}

// Block rows [br0, br1) for one activation row: each block's br x bc values against x.
[[maybe_unused]] void bsr_gemv_portable(const Bsr& w, const float* x, size_t br0, size_t br1, float* y) {
  const size_t bsz = w.br * w.bc;
  for (size_t R = br0; R < br1; ++R) {
    float* out = y + R * w.br;
    for (size_t i = 0; i < w.br; ++i) out[i] = 0.0f;
    for (size_t blk = w.block_row_ptr[R]; blk < w.block_row_ptr[R + 1]; ++blk) {
      const float* v = w.values + blk * bsz;
      const float* xb = x + size_t(w.block_col[blk]) * w.bc;
      for (size_t i = 0; i < w.br; ++i) {
        float s = 0.0f;
        for (size_t j = 0; j < w.bc; ++j) s += v[i * w.bc + j] * xb[j];
        out[i] += s;
      }
    }
  }
}

[[maybe_unused]] void csr_batch_portable(const Csr& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) {
  for (size_t r = r0; r < r1; ++r) {
    float acc[kBatchTile] = {};
    for (size_t j = w.row_ptr[r]; j < w.row_ptr[r + 1]; ++j) {
      const float v = w.values[j];
      const float* xr = xt + size_t(w.col_idx[j]) * bt;
      for (size_t b = 0; b < bt; ++b) acc[b] += v * xr[b];
    }
    std::memcpy(yt + r * bt, acc, bt * sizeof(float));
  }
}

[[maybe_unused]] void nm_batch_portable(const NmPacked& w, const float* xt, size_t bt, size_t r0, size_t r1, float* yt) {
  const size_t per = w.per_row(), groups = w.cols / w.m;
  for (size_t r = r0; r < r1; ++r) {
    float acc[kBatchTile] = {};
    const float* v = w.values + r * per;
    const uint8_t* ix = w.idx + r * per;
    for (size_t g = 0; g < groups; ++g)
      for (uint32_t t = 0; t < w.n; ++t) {
        const float vv = v[g * w.n + t];
        const float* xr = xt + (g * w.m + ix[g * w.n + t]) * bt;
        for (size_t b = 0; b < bt; ++b) acc[b] += vv * xr[b];
      }
    std::memcpy(yt + r * bt, acc, bt * sizeof(float));
  }
}

// Block rows [br0, br1): every block multiplies its br x bc values into br accumulator rows.
[[maybe_unused]] void bsr_batch_portable(const Bsr& w, const float* xt, size_t bt, size_t br0, size_t br1, float* yt) {
  const size_t bsz = w.br * w.bc;
  for (size_t R = br0; R < br1; ++R) {
    float* out = yt + R * w.br * bt;
    std::memset(out, 0, w.br * bt * sizeof(float));
    for (size_t blk = w.block_row_ptr[R]; blk < w.block_row_ptr[R + 1]; ++blk) {
      const float* v = w.values + blk * bsz;
      const float* xb = xt + size_t(w.block_col[blk]) * w.bc * bt;
      for (size_t i = 0; i < w.br; ++i) {
        float* acc = out + i * bt;
        for (size_t j = 0; j < w.bc; ++j) {
          const float vv = v[i * w.bc + j];
          const float* xr = xb + j * bt;
          for (size_t b = 0; b < bt; ++b) acc[b] += vv * xr[b];
        }
      }
    }
  }
}

}  // namespace
