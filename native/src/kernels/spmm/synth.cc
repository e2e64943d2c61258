// Random sparse operands for measurements and tests (xorshift, so x86 and qemu agree).
#include "kernels/spmm/synth.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tf::spmm {
namespace {

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed ? seed : 1) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  float value() { return float(int64_t(next() >> 40) - (int64_t(1) << 23)) / float(1 << 23); }
  size_t below(size_t n) { return size_t(next() % n); }
};

// k distinct sorted picks from [0, n) (partial Fisher-Yates on a reused permutation).
void pick(Rng& rng, std::vector<uint32_t>& perm, size_t k, std::vector<uint32_t>& out) {
  for (size_t i = 0; i < k; ++i) std::swap(perm[i], perm[i + rng.below(perm.size() - i)]);
  out.assign(perm.begin(), perm.begin() + k);
  std::sort(out.begin(), out.end());
}

}  // namespace

CsrData random_csr(size_t rows, size_t cols, double density, uint64_t seed) {
  CsrData w;
  w.rows = rows, w.cols = cols;
  Rng rng(seed);
  const size_t k = std::min(cols, size_t(std::llround(density * double(cols))));
  std::vector<uint32_t> perm(cols), picked;
  std::iota(perm.begin(), perm.end(), 0u);
  w.row_ptr.reserve(rows + 1);
  w.row_ptr.push_back(0);
  w.col_idx.reserve(rows * k), w.values.reserve(rows * k);
  for (size_t r = 0; r < rows; ++r) {
    pick(rng, perm, k, picked);
    for (uint32_t c : picked) {
      w.col_idx.push_back(c);
      w.values.push_back(rng.value());
    }
    w.row_ptr.push_back(uint32_t(w.col_idx.size()));
  }
  return w;
}

NmData random_nm(size_t rows, size_t cols, uint32_t n, uint32_t m, uint64_t seed) {
  NmData w;
  w.rows = rows, w.cols = cols, w.n = n, w.m = m;
  Rng rng(seed);
  std::vector<uint32_t> perm(m), picked;
  std::iota(perm.begin(), perm.end(), 0u);
  const size_t groups = cols / m;
  w.values.reserve(rows * groups * n), w.idx.reserve(rows * groups * n);
  for (size_t r = 0; r < rows; ++r)
    for (size_t g = 0; g < groups; ++g) {
      pick(rng, perm, n, picked);
      for (uint32_t c : picked) {
        w.idx.push_back(uint8_t(c));
        w.values.push_back(rng.value());
      }
    }
  return w;
}

BsrData random_bsr(size_t rows, size_t cols, size_t br, size_t bc, double density, uint64_t seed) {
  BsrData w;
  w.rows = rows, w.cols = cols, w.br = br, w.bc = bc;
  Rng rng(seed);
  const size_t bcols = cols / bc, k = std::min(bcols, size_t(std::llround(density * double(bcols))));
  std::vector<uint32_t> perm(bcols), picked;
  std::iota(perm.begin(), perm.end(), 0u);
  w.block_row_ptr.push_back(0);
  for (size_t R = 0; R < rows / br; ++R) {
    pick(rng, perm, k, picked);
    for (uint32_t c : picked) {
      w.block_col.push_back(c);
      for (size_t i = 0; i < br * bc; ++i) w.values.push_back(rng.value());
    }
    w.block_row_ptr.push_back(uint32_t(w.block_col.size()));
  }
  return w;
}

std::vector<float> dense_of(const CsrData& w) {
  std::vector<float> d(w.rows * w.cols, 0.0f);
  for (size_t r = 0; r < w.rows; ++r)
    for (size_t j = w.row_ptr[r]; j < w.row_ptr[r + 1]; ++j) d[r * w.cols + w.col_idx[j]] = w.values[j];
  return d;
}

std::vector<float> dense_of(const NmData& w) {
  std::vector<float> d(w.rows * w.cols, 0.0f);
  const size_t per = w.cols / w.m * w.n;
  for (size_t r = 0; r < w.rows; ++r)
    for (size_t e = 0; e < per; ++e) d[r * w.cols + (e / w.n) * w.m + w.idx[r * per + e]] = w.values[r * per + e];
  return d;
}

std::vector<float> dense_of(const BsrData& w) {
  std::vector<float> d(w.rows * w.cols, 0.0f);
  for (size_t R = 0; R < w.rows / w.br; ++R)
    for (size_t b = w.block_row_ptr[R]; b < w.block_row_ptr[R + 1]; ++b)
      for (size_t i = 0; i < w.br; ++i)
        for (size_t j = 0; j < w.bc; ++j)
          d[(R * w.br + i) * w.cols + w.block_col[b] * w.bc + j] = w.values[b * w.br * w.bc + i * w.bc + j];
  return d;
}

}  // namespace tf::spmm
