// Mask build, in-place pruning, mask apply and nonzero counts: parallel streaming passes over
// the per-ISA loops. Ties at the threshold are noted by the same pass (positions per part), so
// pruning the first k of them touches only those positions afterwards.
#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "common/chunked.h"
#include "common/parallel.h"
#include "common/error.h"
#include "common/float_bits.h"
#include "kernels/magnitude/kernels.h"
#include "kernels/magnitude/variants.h"
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

// Per-part tie records of one masked pass; settle() prunes the first `ties` equal keys in
// index order: the noted positions when a part kept them all, else a scan of that part only.
class Ties {
 public:
  Ties(size_t parts, uint64_t ties) : want_(ties), parts_(ties ? parts : 0) {
    const size_t cap = size_t(std::min<uint64_t>(ties, kCap));
    for (auto& p : parts_) p.pos.resize(cap);
  }
  // The list for one chunk [b, e) of a part (null when no ties are wanted).
  TieList* at(size_t part, size_t b, size_t e) {
    if (parts_.empty()) return nullptr;
    Part& p = parts_[part];
    if (p.begin == p.end) p.begin = b;
    p.end = e;
    p.list.pos = p.pos.data();
    p.list.cap = p.pos.size();
    p.list.base = b;
    return &p.list;
  }
  // prune(i) for the first `want` tie positions; `is_tie(i)` for the rare rescans.
  // Parts are disjoint, so once each part's share is known they settle in parallel (the
  // rescans matter when the threshold is 0 and the ties are millions of zeros).
  template <typename Prune, typename IsTie>
  uint64_t settle(Prune prune, IsTie is_tie) {
    uint64_t used = 0;
    std::vector<uint64_t> need(parts_.size(), 0);
    for (size_t q = 0; q < parts_.size() && used < want_; ++q) {
      need[q] = std::min<uint64_t>(want_ - used, parts_[q].list.count);
      used += need[q];
    }
    auto one = [&](size_t q) {
      const Part& p = parts_[q];
      if (need[q] <= p.list.len) {
        for (uint64_t j = 0; j < need[q]; ++j) prune(p.pos[j]);
      } else {
        uint64_t done = 0;
        for (size_t i = p.begin; i < p.end && done < need[q]; ++i)
          if (is_tie(i)) prune(i), ++done;
      }
    };
    bool rescan = false;
    for (size_t q = 0; q < parts_.size(); ++q) rescan = rescan || need[q] > parts_[q].list.len;
    if (rescan) {
      parallel_parts(parts_.size(), parts_.size(), [&](size_t q, size_t, size_t) { one(q); });
    } else {
      for (size_t q = 0; q < parts_.size(); ++q) one(q);  // noted positions only: no threads
    }
    return used;
  }

 private:
  static constexpr uint64_t kCap = uint64_t(1) << 16;
  struct Part {
    std::vector<uint64_t> pos;
    TieList list;
    size_t begin = 0, end = 0;
  };
  uint64_t want_;
  std::vector<Part> parts_;
};

}  // namespace

uint64_t build_mask(const float* w, size_t n, float threshold, uint64_t ties, uint8_t* mask, const JobControl* ctl) {
  const uint32_t t = threshold_key(threshold);
  const Kernels& k = kernels();
  std::atomic<bool> nan{false};
  ChunkPlan plan;
  plan.stage = "mask";
  Ties tl(chunk_parts(n, plan), ties);
  parallel_chunks(n, plan, ctl, [&](size_t part, size_t b, size_t e) {
    if (key_is_nan(k.mask_ge(w + b, e - b, t, mask + b, tl.at(part, b, e)))) nan = true;
  });
  if (nan) throw_nan();
  return tl.settle([&](uint64_t i) { mask[i] = 0; }, [&](size_t i) { return abs_key(w[i]) == t; });
}

uint64_t prune_by_threshold(float* w, size_t n, float threshold, uint64_t ties, const JobControl* ctl) {
  const uint32_t t = threshold_key(threshold);
  const Kernels& k = kernels();
  std::atomic<bool> nan{false};
  ChunkPlan plan;
  plan.stage = "prune";
  Ties tl(chunk_parts(n, plan), ties);
  parallel_chunks(n, plan, ctl, [&](size_t part, size_t b, size_t e) {
    if (key_is_nan(k.prune_lt(w + b, e - b, t, tl.at(part, b, e)))) nan = true;
  });
  if (nan) throw_nan();
  return tl.settle([&](uint64_t i) { w[i] = 0.f; }, [&](size_t i) { return abs_key(w[i]) == t; });
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
