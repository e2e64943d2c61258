// Magnitude pruning over many tensors: the exact k-th largest |w| (global threshold) by
// sampling + one streaming pass + selection among the few in-band candidates (a radix
// fallback keeps it exact for any data), mask build/apply, nonzero counts.
// NaN weights are a BAD_INPUT error (tf::Error) found during the pass that reads them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/job.h"

namespace tf {
namespace mag {

struct Tensor {
  const float* data;
  size_t size;
};

struct KthResult {
  float value = 0;      // the k-th largest |w|
  uint64_t below = 0;   // how many |w| < value
  uint64_t equal = 0;   // how many |w| == value
  bool fallback = false;  // the sample band missed: the radix fallback ran (2 extra passes)
};

// k-th largest |w| over the concatenation of tensors, 1 <= k <= total size (else BAD_INPUT).
KthResult kth_largest_abs(const std::vector<Tensor>& tensors, uint64_t k, const JobControl* ctl = nullptr);

struct GlobalThreshold {
  float threshold = 0;         // the smallest kept |w|
  uint64_t prune_count = 0;    // floor(sparsity * total)
  uint64_t ties_to_prune = 0;  // how many |w| == threshold to prune too (the first ones, in tensor order)
  uint64_t total = 0;
  bool fallback = false;
};

// The global magnitude threshold for 0 <= sparsity < 1: pruning every |w| < threshold plus the
// first ties_to_prune elements with |w| == threshold (tensor order, then index) prunes exactly
// prune_count weights.
GlobalThreshold global_threshold(const std::vector<Tensor>& tensors, double sparsity, const JobControl* ctl = nullptr);

// mask[i] = 1 (keep) where |w| > threshold, or |w| == threshold once `ties_to_prune` equal
// elements (in index order) have been pruned; 0 elsewhere. Returns the ties pruned here.
// NaN -> BAD_INPUT (mask contents then unspecified).
uint64_t build_mask(const float* w, size_t n, float threshold, uint64_t ties_to_prune, uint8_t* mask,
                    const JobControl* ctl = nullptr);
// The same rule applied in place: zeroes the pruned weights. Returns the ties pruned here.
uint64_t prune_by_threshold(float* w, size_t n, float threshold, uint64_t ties_to_prune,
                            const JobControl* ctl = nullptr);
// w[i] = mask[i] ? w[i] : 0 in place.
void apply_mask(float* w, const uint8_t* mask, size_t n, const JobControl* ctl = nullptr);
// Elements with w != 0 (-0 counts as zero, NaN as nonzero).
uint64_t count_nonzero(const float* w, size_t n);
// Nonzero bytes of a mask.
uint64_t count_nonzero_mask(const uint8_t* mask, size_t n);

}  // namespace mag
}  // namespace tf
