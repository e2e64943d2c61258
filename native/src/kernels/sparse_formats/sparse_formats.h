// Deployable sparse formats of a row-major [rows, cols] fp32 matrix, and back. "Nonzero"
// means w != 0 (-0 is zero; NaN is kept as a value). Packing is exact: unpack(pack(w)) == w
// up to the sign of zeros.
//  2:4 compressed: every group of 4 along a row keeps 2 slots (cols % 4 == 0). values
//    [rows, cols/2] in slot order; meta [rows, ceil(cols/8)] bytes: per group 4 bits
//    idx0 | idx1 << 2 (idx0 < idx1), group 2k in the low nibble of byte k. A group with fewer
//    than 2 nonzeros fills the lowest free positions (with their zero values); more than 2
//    is BAD_INPUT (not 2:4 sparse).
//  bitmap: bit i (LSB first within each byte) = w[i] != 0; values = the nonzeros in order.
//  CSR: int32 rowPtr [rows+1], colIdx [nnz], values [nnz] (nnz < 2^31).
//  BSR: blocks br x bc (rows % br == cols % bc == 0); a block is stored when any element is
//    nonzero; rowPtr [rows/br + 1] over block rows, colIdx = block column, values
//    [nnzb, br, bc] row-major within the block.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/job.h"

namespace tf {
namespace sparse {

inline size_t meta24_row_bytes(size_t cols) { return (cols / 4 + 1) / 2; }
void pack24(const float* w, size_t rows, size_t cols, float* values, uint8_t* meta);
void unpack24(const float* values, const uint8_t* meta, size_t rows, size_t cols, float* out);

// Number of nonzeros (what pack_bitmap's values need).
uint64_t nonzeros(const float* w, size_t n);
void pack_bitmap(const float* w, size_t n, uint8_t* bitmap, float* values);
// Throws BAD_INPUT when the bitmap's popcount differs from nvalues.
void unpack_bitmap(const uint8_t* bitmap, const float* values, size_t nvalues, size_t n, float* out);

// Fills row_ptr[rows+1]; returns nnz (BAD_INPUT if >= 2^31).
uint64_t csr_row_ptr(const float* w, size_t rows, size_t cols, int32_t* row_ptr);
void pack_csr(const float* w, size_t rows, size_t cols, const int32_t* row_ptr, int32_t* col_idx, float* values);
// Validates row_ptr (starts at 0, non-decreasing, ends at nnz) and col_idx (< cols).
void unpack_csr(const int32_t* row_ptr, const int32_t* col_idx, const float* values, size_t nnz, size_t rows,
                size_t cols, float* out);

uint64_t bsr_row_ptr(const float* w, size_t rows, size_t cols, size_t br, size_t bc, int32_t* row_ptr);
void pack_bsr(const float* w, size_t rows, size_t cols, size_t br, size_t bc, const int32_t* row_ptr, int32_t* col_idx,
              float* values);
void unpack_bsr(const int32_t* row_ptr, const int32_t* col_idx, const float* values, size_t nnzb, size_t rows,
                size_t cols, size_t br, size_t bc, float* out);

}  // namespace sparse
}  // namespace tf
