// Sparse format packing and unpacking: scalar loops (index bookkeeping, not bandwidth-bound
// arithmetic), parallel over rows or over 8-aligned ranges with per-part prefix counts.
#include "kernels/sparse_formats/sparse_formats.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "common/chunked.h"
#include "common/error.h"
#include "common/float_bits.h"
#include "common/parallel.h"

namespace tf {
namespace sparse {
namespace {

inline bool nz(float x) { return abs_key(x) != 0; }

ChunkPlan rows_plan(size_t cols, const char* stage) {
  ChunkPlan plan;
  plan.stage = stage;
  plan.align = std::max<size_t>(cols, 1);
  return plan;
}

template <typename Fn>
void for_rows(size_t rows, size_t cols, const char* stage, Fn&& fn) {
  if (cols == 0) {
    for (size_t r = 0; r < rows; ++r) fn(r);
    return;
  }
  parallel_chunks(rows * cols, rows_plan(cols, stage), nullptr, [&](size_t, size_t b, size_t e) {
    for (size_t r = b / cols; r < e / cols; ++r) fn(r);
  });
}

}  // namespace

void pack24(const float* w, size_t rows, size_t cols, float* values, uint8_t* meta) {
  if (cols % 4) throw bad_input("2:4 packing needs cols % 4 == 0, got cols = " + std::to_string(cols), "cols");
  const size_t mb = meta24_row_bytes(cols), groups = cols / 4;
  std::atomic<int64_t> bad_at{-1};
  for_rows(rows, cols, "pack 2:4", [&](size_t r) {
    const float* x = w + r * cols;
    float* v = values + r * (cols / 2);
    uint8_t* m = meta + r * mb;
    std::fill(m, m + mb, uint8_t(0));
    for (size_t g = 0; g < groups; ++g) {
      int idx[2], k = 0;
      for (int i = 0; i < 4; ++i)
        if (nz(x[4 * g + i])) {
          if (k == 2) {
            int64_t expected = -1;
            bad_at.compare_exchange_strong(expected, int64_t(r * groups + g));
            k = 3;
            break;
          }
          idx[k++] = i;
        }
      if (k == 3) continue;
      // Fill missing slots with the lowest unused positions, keeping idx0 < idx1.
      for (int i = 0; k < 2 && i < 4; ++i)
        if ((k == 0 || idx[0] != i)) idx[k++] = i;
      if (idx[0] > idx[1]) std::swap(idx[0], idx[1]);
      v[2 * g] = x[4 * g + idx[0]];
      v[2 * g + 1] = x[4 * g + idx[1]];
      m[g / 2] |= uint8_t((idx[0] | (idx[1] << 2)) << (4 * (g % 2)));
    }
  });
  if (bad_at >= 0) {
    size_t at = size_t(bad_at.load());
    throw bad_input("weights are not 2:4 sparse: row " + std::to_string(at / groups) + ", group " +
                        std::to_string(at % groups) + " has more than 2 nonzeros",
                    "weights");
  }
}

void unpack24(const float* values, const uint8_t* meta, size_t rows, size_t cols, float* out) {
  if (cols % 4) throw bad_input("2:4 unpacking needs cols % 4 == 0, got cols = " + std::to_string(cols), "cols");
  const size_t mb = meta24_row_bytes(cols), groups = cols / 4;
  std::atomic<bool> bad{false};
  for_rows(rows, cols, "unpack 2:4", [&](size_t r) {
    float* y = out + r * cols;
    const float* v = values + r * (cols / 2);
    const uint8_t* m = meta + r * mb;
    std::fill(y, y + cols, 0.f);
    for (size_t g = 0; g < groups; ++g) {
      unsigned bits = (m[g / 2] >> (4 * (g % 2))) & 15u;
      unsigned i0 = bits & 3u, i1 = bits >> 2;
      if (i0 >= i1) bad = true;
      y[4 * g + i0] = v[2 * g];
      y[4 * g + i1] = v[2 * g + 1];
    }
  });
  if (bad) throw bad_input("2:4 metadata has a group whose indices are not increasing", "meta");
}

uint64_t nonzeros(const float* w, size_t n) {
  ChunkPlan plan;
  std::vector<uint64_t> sums(chunk_parts(n, plan), 0);
  parallel_chunks(n, plan, nullptr, [&](size_t p, size_t b, size_t e) {
    uint64_t s = 0;
    for (size_t i = b; i < e; ++i) s += nz(w[i]);
    sums[p] += s;
  });
  uint64_t s = 0;
  for (auto x : sums) s += x;
  return s;
}

namespace {

// Part p of `parts` over n items, boundaries on multiples of 8 (whole bitmap bytes).
inline void part_range(size_t n, size_t parts, size_t p, size_t* b, size_t* e) {
  size_t units = (n + 7) / 8;
  *b = std::min(n, units * p / parts * 8);
  *e = std::min(n, units * (p + 1) / parts * 8);
}

// offset[p] = sum of count(b, e) over the parts before p (parts as part_range splits n), so each
// part of a bitmap pass knows where its values start.
template <typename Count>
std::vector<uint64_t> part_offsets(size_t n, size_t parts, Count count) {
  std::vector<uint64_t> offset(parts + 1, 0);
  parallel_parts(parts, parts, [&](size_t p, size_t, size_t) {
    size_t b, e;
    part_range(n, parts, p, &b, &e);
    offset[p + 1] = count(b, e);
  });
  for (size_t p = 0; p < parts; ++p) offset[p + 1] += offset[p];
  return offset;
}

}  // namespace

void pack_bitmap(const float* w, size_t n, uint8_t* bitmap, float* values) {
  const size_t parts = std::max<size_t>(1, parts_for((n + 7) / 8, 8192));
  const std::vector<uint64_t> offset = part_offsets(n, parts, [&](size_t b, size_t e) {
    uint64_t c = 0;
    for (size_t i = b; i < e; ++i) c += nz(w[i]);
    return c;
  });
  parallel_parts(parts, parts, [&](size_t p, size_t, size_t) {
    size_t b, e;
    part_range(n, parts, p, &b, &e);
    float* v = values + offset[p];
    for (size_t i = b; i < e; i += 8) {
      uint8_t byte = 0;
      for (size_t j = i; j < std::min(e, i + 8); ++j)
        if (nz(w[j])) {
          byte = uint8_t(byte | (1u << (j - i)));
          *v++ = w[j];
        }
      bitmap[i / 8] = byte;
    }
  });
}

void unpack_bitmap(const uint8_t* bitmap, const float* values, size_t nvalues, size_t n, float* out) {
  const size_t parts = std::max<size_t>(1, parts_for((n + 7) / 8, 8192));
  const std::vector<uint64_t> offset = part_offsets(n, parts, [&](size_t b, size_t e) {
    uint64_t c = 0;
    for (size_t i = b; i < e; i += 8) {
      unsigned valid = unsigned(std::min<size_t>(8, e - i));
      c += unsigned(__builtin_popcount(bitmap[i / 8] & ((1u << valid) - 1)));
    }
    return c;
  });
  if (offset[parts] != nvalues)
    throw bad_input("bitmap marks " + std::to_string(offset[parts]) + " nonzeros but values has " + std::to_string(nvalues),
                    "values");
  parallel_parts(parts, parts, [&](size_t p, size_t, size_t) {
    size_t b, e;
    part_range(n, parts, p, &b, &e);
    const float* v = values + offset[p];
    for (size_t i = b; i < e; ++i) out[i] = (bitmap[i / 8] >> (i % 8)) & 1u ? *v++ : 0.f;
  });
}

namespace {

// row_ptr = exclusive prefix sum of per-row counts (int32, as ONNX Runtime's sparse tensors).
uint64_t row_ptr_of(const std::vector<uint64_t>& counts, int32_t* row_ptr, const char* format, const char* what) {
  uint64_t total = 0;
  row_ptr[0] = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    total += counts[r];
    if (total > 0x7FFFFFFFull)
      throw Error("UNSUPPORTED", std::string(format) + " with int32 indices holds < 2^31 " + what, ErrorKind::RangeError, "weights");
    row_ptr[r + 1] = int32_t(total);
  }
  return total;
}

// A caller's compressed-row index (CSR: one value per entry, BSR: one block): rowPtr starts at 0,
// never decreases and ends at `entries`; every colIdx is inside [0, col_limit).
void check_row_index(const int32_t* row_ptr, const int32_t* col_idx, size_t groups, size_t entries, size_t col_limit,
                     const char* what, const char* limit) {
  if (row_ptr[0] != 0) throw bad_input("rowPtr[0] must be 0", "rowPtr");
  for (size_t r = 0; r < groups; ++r)
    if (row_ptr[r + 1] < row_ptr[r]) throw bad_input("rowPtr must be non-decreasing (at row " + std::to_string(r) + ")", "rowPtr");
  if (size_t(row_ptr[groups]) != entries)
    throw bad_input("rowPtr's last entry is " + std::to_string(row_ptr[groups]) + " but there are " + std::to_string(entries) + " " +
                        what,
                    "rowPtr");
  for (size_t k = 0; k < entries; ++k)
    if (col_idx[k] < 0 || size_t(col_idx[k]) >= col_limit)
      throw bad_input("colIdx[" + std::to_string(k) + "] = " + std::to_string(col_idx[k]) + " is outside [0, " + limit + ")", "colIdx");
}

// Whether block (R, C) of a br x bc blocking holds a nonzero.
bool block_nonzero(const float* w, size_t cols, size_t R, size_t C, size_t br, size_t bc) {
  for (size_t r = R * br; r < (R + 1) * br; ++r)
    for (size_t j = C * bc; j < (C + 1) * bc; ++j)
      if (nz(w[r * cols + j])) return true;
  return false;
}

}  // namespace

uint64_t csr_row_ptr(const float* w, size_t rows, size_t cols, int32_t* row_ptr) {
  std::vector<uint64_t> counts(rows);
  for_rows(rows, cols, "csr count", [&](size_t r) {
    uint64_t c = 0;
    for (size_t j = 0; j < cols; ++j) c += nz(w[r * cols + j]);
    counts[r] = c;
  });
  return row_ptr_of(counts, row_ptr, "CSR", "nonzeros");
}

void pack_csr(const float* w, size_t rows, size_t cols, const int32_t* row_ptr, int32_t* col_idx, float* values) {
  for_rows(rows, cols, "pack csr", [&](size_t r) {
    size_t k = size_t(row_ptr[r]);
    for (size_t j = 0; j < cols; ++j) {
      float x = w[r * cols + j];
      if (nz(x)) {
        col_idx[k] = int32_t(j);
        values[k++] = x;
      }
    }
  });
}

void unpack_csr(const int32_t* row_ptr, const int32_t* col_idx, const float* values, size_t nnz, size_t rows,
                size_t cols, float* out) {
  check_row_index(row_ptr, col_idx, rows, nnz, cols, "values", "cols");
  for_rows(rows, cols, "unpack csr", [&](size_t r) {
    float* y = out + r * cols;
    std::fill(y, y + cols, 0.f);
    for (int32_t k = row_ptr[r]; k < row_ptr[r + 1]; ++k) y[col_idx[k]] = values[k];
  });
}

static void check_bsr(size_t rows, size_t cols, size_t br, size_t bc) {
  if (br == 0 || bc == 0) throw bad_input("block sizes must be >= 1", "blockRows");
  if (rows % br || cols % bc)
    throw bad_input("BSR needs rows % blockRows == 0 and cols % blockCols == 0 (got " + std::to_string(rows) + "x" +
                        std::to_string(cols) + " with blocks " + std::to_string(br) + "x" + std::to_string(bc) + ")",
                    "blockRows");
}

uint64_t bsr_row_ptr(const float* w, size_t rows, size_t cols, size_t br, size_t bc, int32_t* row_ptr) {
  check_bsr(rows, cols, br, bc);
  const size_t nbr = rows / br, nbc = cols / bc;
  std::vector<uint64_t> counts(nbr);
  for_rows(nbr, cols * br, "bsr count", [&](size_t R) {
    uint64_t c = 0;
    for (size_t C = 0; C < nbc; ++C) {
      c += block_nonzero(w, cols, R, C, br, bc);
    }
    counts[R] = c;
  });
  return row_ptr_of(counts, row_ptr, "BSR", "blocks");
}

void pack_bsr(const float* w, size_t rows, size_t cols, size_t br, size_t bc, const int32_t* row_ptr, int32_t* col_idx,
              float* values) {
  check_bsr(rows, cols, br, bc);
  const size_t nbr = rows / br, nbc = cols / bc;
  for_rows(nbr, cols * br, "pack bsr", [&](size_t R) {
    size_t k = size_t(row_ptr[R]);
    for (size_t C = 0; C < nbc; ++C) {
      if (!block_nonzero(w, cols, R, C, br, bc)) continue;
      col_idx[k] = int32_t(C);
      float* v = values + k * br * bc;
      for (size_t r = 0; r < br; ++r)
        for (size_t j = 0; j < bc; ++j) v[r * bc + j] = w[(R * br + r) * cols + C * bc + j];
      ++k;
    }
  });
}

void unpack_bsr(const int32_t* row_ptr, const int32_t* col_idx, const float* values, size_t nnzb, size_t rows,
                size_t cols, size_t br, size_t bc, float* out) {
  check_bsr(rows, cols, br, bc);
  const size_t nbr = rows / br, nbc = cols / bc;
  check_row_index(row_ptr, col_idx, nbr, nnzb, nbc, "blocks", "cols/blockCols");
  for_rows(nbr, cols * br, "unpack bsr", [&](size_t R) {
    std::fill(out + R * br * cols, out + (R + 1) * br * cols, 0.f);
    for (int32_t k = row_ptr[R]; k < row_ptr[R + 1]; ++k) {
      const float* v = values + size_t(k) * br * bc;
      size_t C = size_t(col_idx[k]);
      for (size_t r = 0; r < br; ++r)
        for (size_t j = 0; j < bc; ++j) out[(R * br + r) * cols + C * bc + j] = v[r * bc + j];
    }
  });
}

}  // namespace sparse
}  // namespace tf
