// N:M masks: in every group of M consecutive scores along the input dimension keep the N
// largest (by |score| when `magnitude`, else by signed value); ties keep the lower index.
//   axis 1: groups run along a row of a row-major [rows, cols] matrix (PyTorch Linear,
//           ONNX Gemm with transB: weights [out, in]);
//   axis 0: groups run down a column (ONNX MatMul B: weights [in, out]).
// When the group axis length is not a multiple of M, the last group has t < M elements and
// keeps ceil(N*t/M) of them (the same density, rounded up so no short group is emptied).
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/job.h"

namespace tf {
namespace nm {

struct Shape {
  size_t rows = 0, cols = 0;
  int n = 2, m = 4;
  int axis = 1;
  bool magnitude = true;
};

// Throws BAD_INPUT unless 1 <= n < m <= 16 and axis is 0 or 1.
void validate(const Shape& s);
// How many elements a tail group of t keeps.
inline int tail_keep(int n, int m, int t) { return (n * t + m - 1) / m; }

// mask[rows*cols] = 1 keep / 0 prune. NaN scores -> BAD_INPUT (mask then unspecified).
void nm_mask(const float* scores, const Shape& s, uint8_t* mask, const JobControl* ctl = nullptr);

}  // namespace nm
}  // namespace tf
