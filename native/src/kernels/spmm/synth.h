// Random sparse weights in the spmm formats, owned by value: the measuring calls, the bench
// binary and the tests build their operands with these (same seed -> same matrix everywhere).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/spmm/spmm.h"

namespace tf::spmm {

struct CsrData {
  size_t rows = 0, cols = 0;
  std::vector<uint32_t> row_ptr, col_idx;
  std::vector<float> values;
  Csr view() const { return {rows, cols, row_ptr.data(), col_idx.data(), values.data()}; }
  size_t bytes() const { return row_ptr.size() * 4 + col_idx.size() * 4 + values.size() * 4; }
};

struct NmData {
  size_t rows = 0, cols = 0;
  uint32_t n = 0, m = 0;
  std::vector<float> values;
  std::vector<uint8_t> idx;
  NmPacked view() const { return {rows, cols, n, m, values.data(), idx.data()}; }
  size_t bytes() const { return values.size() * 4 + idx.size(); }
};

struct BsrData {
  size_t rows = 0, cols = 0, br = 0, bc = 0;
  std::vector<uint32_t> block_row_ptr, block_col;
  std::vector<float> values;
  Bsr view() const { return {rows, cols, br, bc, block_row_ptr.data(), block_col.data(), values.data()}; }
  size_t bytes() const { return block_row_ptr.size() * 4 + block_col.size() * 4 + values.size() * 4; }
};

// Each row keeps round(density * cols) random columns (constant fan-in, as N:M and SRigL give).
CsrData random_csr(size_t rows, size_t cols, double density, uint64_t seed);
NmData random_nm(size_t rows, size_t cols, uint32_t n, uint32_t m, uint64_t seed);
// Each block row keeps round(density * cols/bc) random blocks.
BsrData random_bsr(size_t rows, size_t cols, size_t br, size_t bc, double density, uint64_t seed);

// Dense [rows x cols] equivalents (zeros where pruned), for dense baselines and tests.
std::vector<float> dense_of(const CsrData& w);
std::vector<float> dense_of(const NmData& w);
std::vector<float> dense_of(const BsrData& w);

}  // namespace tf::spmm
