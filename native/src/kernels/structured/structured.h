// Scores and masks for structured pruning of a row-major [rows, cols] matrix:
//  - channel norms: L1 (sum |x|) or L2 (sqrt sum x^2) of every row or every column,
//    accumulated in double in index order (deterministic for any thread count);
//  - block masks: blocks of br x bc (edge blocks partial), scored by the mean-normalised
//    norm -- L1: mean |x|, L2: sqrt(mean x^2) -- so partial edge blocks compete fairly;
//    exactly floor(sparsity * blocks) lowest-scored blocks are pruned, ties prune the higher
//    block index first (lower index kept, as in N:M);
//  - Wanda scores |w_ij| * ||x_j||_2 with one activation norm per input feature; the input
//    dimension is `axis` (1: [out, in] rows, PyTorch Linear; 0: [in, out], ONNX MatMul B).
// NaN in the data -> BAD_INPUT.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/job.h"

namespace tf {
namespace structured {

enum class Norm { L1, L2 };

// out[rows] (per_row) or out[cols].
void channel_norms(const float* x, size_t rows, size_t cols, bool per_row, Norm norm, float* out,
                   const JobControl* ctl = nullptr);

struct BlockShape {
  size_t rows = 0, cols = 0, br = 1, bc = 1;
  size_t block_rows() const { return (rows + br - 1) / br; }
  size_t block_cols() const { return (cols + bc - 1) / bc; }
};

// scores[block_rows * block_cols] (row-major over blocks), mean-normalised as above.
void block_scores(const float* x, const BlockShape& s, Norm norm, float* scores, const JobControl* ctl = nullptr);
// mask[rows*cols] (1 keep); scores (optional, may be null) receives the block scores.
// Returns the number of pruned blocks.
size_t block_mask(const float* x, const BlockShape& s, Norm norm, double sparsity, uint8_t* mask, float* scores,
                  const JobControl* ctl = nullptr);

// out[rows*cols] = |w| * xnorm[input index]; out may be w.
void wanda_scores(const float* w, const float* xnorm, size_t rows, size_t cols, int axis, float* out,
                  const JobControl* ctl = nullptr);

}  // namespace structured
}  // namespace tf
