// Mask build, in-place pruning, mask apply and nonzero counts: parallel streaming passes over
// the per-ISA loops. Ties at the threshold (rare except at 0) are settled by a sequential
// fix-up scan after the vector pass, so the fast path never branches on them.
#include <atomic>
#include <string>
#include <vector>

#include "common/chunked.h"
#include "common/error.h"
#include "common/float_bits.h"
#include "kernels/magnitude/kernels.h"
#include "kernels/magnitude/magnitude.h"

namespace tf {
namespace mag {
namespace {

uint32_t threshold_key(float threshold) {
  uint32_t t = abs_key(threshold);
  if (!(threshold >= 0.f) || key_is_nan(t))
    throw bad_input("threshold must be a non-negative number (Infinity allowed), got " + std::to_string(threshold),
                    "threshold");
  return t;
}

[[noreturn]] void throw_nan() { throw bad_input("weights contain NaN", "weights"); }

}  // namespace

uint64_t build_mask(const float* w, size_t n, float threshold, uint64_t ties, uint8_t* mask, const JobControl* ctl) {
  const uint32_t t = threshold_key(threshold);
  const Kernels& k = kernels();
  std::atomic<bool> nan{false};
  ChunkPlan plan;
  plan.stage = "mask";
  parallel_chunks(n, plan, ctl, [&](size_t, size_t b, size_t e) {
    if (key_is_nan(k.mask_ge(w + b, e - b, t, mask + b))) nan = true;
  });
  if (nan) throw_nan();
  uint64_t used = 0;
  for (size_t i = 0; i < n && used < ties; ++i)
    if (abs_key(w[i]) == t) {
      mask[i] = 0;
      ++used;
    }
  return used;
}

uint64_t prune_by_threshold(float* w, size_t n, float threshold, uint64_t ties, const JobControl* ctl) {
  const uint32_t t = threshold_key(threshold);
  const Kernels& k = kernels();
  std::atomic<bool> nan{false};
  ChunkPlan plan;
  plan.stage = "prune";
  parallel_chunks(n, plan, ctl, [&](size_t, size_t b, size_t e) {
    if (key_is_nan(k.prune_lt(w + b, e - b, t))) nan = true;
  });
  if (nan) throw_nan();
  uint64_t used = 0;
  for (size_t i = 0; i < n && used < ties; ++i)
    if (abs_key(w[i]) == t) {
      w[i] = 0.f;
      ++used;
    }
  return used;
}

void apply_mask(float* w, const uint8_t* mask, size_t n, const JobControl* ctl) {
  const Kernels& k = kernels();
  ChunkPlan plan;
  plan.stage = "apply mask";
  parallel_chunks(n, plan, ctl, [&](size_t, size_t b, size_t e) { k.apply_mask(w + b, mask + b, e - b); });
}

uint64_t count_nonzero(const float* w, size_t n) {
  const Kernels& k = kernels();
  ChunkPlan plan;
  std::vector<uint64_t> sums(chunk_parts(n, plan), 0);
  parallel_chunks(n, plan, nullptr, [&](size_t part, size_t b, size_t e) { sums[part] += k.nonzero_f32(w + b, e - b); });
  uint64_t s = 0;
  for (uint64_t x : sums) s += x;
  return s;
}

uint64_t count_nonzero_mask(const uint8_t* mask, size_t n) {
  const Kernels& k = kernels();
  ChunkPlan plan;
  plan.grain = size_t(1) << 18;
  plan.chunk = size_t(1) << 20;
  std::vector<uint64_t> sums(chunk_parts(n, plan), 0);
  parallel_chunks(n, plan, nullptr, [&](size_t part, size_t b, size_t e) { sums[part] += k.nonzero_u8(mask + b, e - b); });
  uint64_t s = 0;
  for (uint64_t x : sums) s += x;
  return s;
}

}  // namespace mag
}  // namespace tf
