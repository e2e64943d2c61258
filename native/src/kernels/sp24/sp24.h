// 2:4 packed weights and their products: the format that makes 2:4 sparsity pay on a CPU.
//
// W is [rows = outputs, cols = inputs] (PyTorch Linear / ONNX Gemm transB), cols % 4 == 0,
// and every group of 4 consecutive inputs of a row holds at most 2 nonzeros. Packed per row:
//   values  [rows][cols/2]          the two kept weights of each group, in column order,
//                                   fp32 or fp16 (IEEE binary16, upcast exactly in registers);
//   idx     [rows][ceil(cols/8)]    4 bits per group, two groups per byte (group 2j in the low
//                                   nibble of byte j): bits 0-1 = position of the first kept
//                                   value in its group, bits 2-3 = the second (first < second).
// This is the layout of sparse::pack24 (the .twsp 2:4 section: values + meta), so exported
// weights run as they are stored; fp16 values are the same slots converted.
// So 4 weights take 8.5 bytes (fp32 values, 53% of dense) or 4.5 bytes (fp16, 28%).
//
// Products: Y[batch, rows] = X[batch, cols] · Wᵀ. Each variant is bit-exact against the
// scalar reference, which fixes the order of the fused multiply-adds:
//   batch == 1 (GEMV): kept value j of a row goes to lane j % 16 (s = fma(v, x, s)); the 16
//     lanes are summed as a tree (lane l += lane l+8, then +4, +2, +1);
//   batch  > 1 (GEMM): each output is one chain over the row's kept values in order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/job.h"
#include "kernels/dispatch/cpu.h"

namespace tf::sp24 {

enum class Values { F32, F16 };

struct Packed {
  size_t rows = 0, cols = 0;
  Values type = Values::F32;
  const void* values = nullptr;  // float[rows][cols/2] or uint16_t (binary16) [rows][cols/2]
  const uint8_t* idx = nullptr;  // [rows][ceil(cols/8)]
  size_t kept_per_row() const { return cols / 2; }
  size_t idx_per_row() const { return (cols / 4 + 1) / 2; }
  size_t value_bytes() const { return type == Values::F32 ? 4 : 2; }
  size_t bytes() const { return rows * (kept_per_row() * value_bytes() + idx_per_row()); }
};

// Owned packed weights.
struct PackedData {
  size_t rows = 0, cols = 0;
  Values type = Values::F32;
  std::vector<float> f32;
  std::vector<uint16_t> f16;
  std::vector<uint8_t> idx;
  Packed view() const {
    Packed p;
    p.rows = rows, p.cols = cols, p.type = type, p.idx = idx.data();
    p.values = type == Values::F32 ? static_cast<const void*>(f32.data()) : static_cast<const void*>(f16.data());
    return p;
  }
};

// Throws BAD_INPUT unless cols is a positive multiple of 4.
void validate_shape(size_t rows, size_t cols);
// Packs a dense row-major [rows, cols] matrix that is 2:4 sparse along its rows. A group with
// more than 2 nonzeros (or a NaN) is BAD_INPUT naming the row and group; groups with fewer keep
// zeros at the first free positions. fp16 rounds to nearest even (overflow -> BAD_INPUT).
PackedData pack(const float* w, size_t rows, size_t cols, Values type);
// The dense matrix back (zeros where pruned; fp16 values upcast).
std::vector<float> unpack(const Packed& p);
// Checks a caller's packed arrays (index nibbles with first < second): BAD_INPUT otherwise.
void validate_idx(const Packed& p);

// Y[batch, rows] = X[batch, cols] · Wᵀ on the given ISA (rows split over the threads).
void gemm(const Packed& w, const float* x, size_t batch, float* y, Isa isa, const JobControl* ctl = nullptr);
// The scalar reference of the same order of operations (single-threaded).
void gemm_ref(const Packed& w, const float* x, size_t batch, float* y);

// binary16 <-> fp32 in software: exact upcast, round-to-nearest-even downcast (inf on overflow).
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

// ---- per-ISA pieces (internal) ------------------------------------------------------------
constexpr size_t kLanes = 16;  // GEMV lanes
constexpr size_t kTile = 16;   // GEMM batch columns per tile (xt is [cols][kTile], zero-padded)
struct Kernels {
  // GEMV over output rows [r0, r1).
  void (*gemv)(const Packed& w, const float* x, size_t r0, size_t r1, float* y);
  // GEMM tile: xt [cols][kTile]; yt [rows r0..r1)[kTile].
  void (*tile)(const Packed& w, const float* xt, size_t r0, size_t r1, float* yt);
};

// The entry points every variant shares, from its fp32/fp16 GEMV and its R-row GEMM tiles
// (functions of the variant's file, so they compile with its ISA flags):
//   const Kernels kAvx2 = Entry<4, tile_rows<4, false>, tile_rows<1, false>, tile_rows<4, true>,
//                               tile_rows<1, true>, gemv_avx2<false>, gemv_avx2<true>>::kernels;
// The value type is picked per call; the tile walks Block rows at a time, then single rows.
using GemvFn = void (*)(const Packed& w, const float* x, size_t r0, size_t r1, float* y);
using RowsFn = void (*)(const Packed& w, const float* xt, size_t r, float* yt);
template <size_t Block, RowsFn Many32, RowsFn One32, RowsFn Many16, RowsFn One16, GemvFn Gemv32, GemvFn Gemv16>
struct Entry {
  static void gemv(const Packed& w, const float* x, size_t r0, size_t r1, float* y) {
    w.type == Values::F16 ? Gemv16(w, x, r0, r1, y) : Gemv32(w, x, r0, r1, y);
  }
  template <RowsFn Many, RowsFn One>
  static void rows(const Packed& w, const float* xt, size_t r0, size_t r1, float* yt) {
    size_t r = r0;
    for (; r + Block <= r1; r += Block) Many(w, xt, r, yt);
    for (; r < r1; ++r) One(w, xt, r, yt);
  }
  static void tile(const Packed& w, const float* xt, size_t r0, size_t r1, float* yt) {
    w.type == Values::F16 ? rows<Many16, One16>(w, xt, r0, r1, yt) : rows<Many32, One32>(w, xt, r0, r1, yt);
  }
  static constexpr Kernels kernels = {gemv, tile};
};

// The two column positions of kept values 2g and 2g+1 of a row (g = group).
inline void group_cols(const uint8_t* idx_row, size_t g, size_t* c0, size_t* c1) {
  const unsigned nib = (idx_row[g >> 1] >> ((g & 1) * 4)) & 0xF;
  *c0 = 4 * g + (nib & 3);
  *c1 = 4 * g + (nib >> 2);
}

// Lane tree sum shared by every GEMV variant's tail.
inline float lane_tree_sum(float* s) {
  for (size_t h = kLanes / 2; h >= 1; h /= 2)
    for (size_t l = 0; l < h; ++l) s[l] = s[l] + s[l + h];
  return s[0];
}

}  // namespace tf::sp24
