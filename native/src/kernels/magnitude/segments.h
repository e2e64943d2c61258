// Many tensors seen as one index space [0, total): a part of a parallel pass may start in one
// tensor and end in another.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/magnitude/magnitude.h"

namespace tf {
namespace mag {

class Segments {
 public:
  explicit Segments(const std::vector<Tensor>& t) : t_(t), start_(t.size() + 1, 0) {
    for (size_t i = 0; i < t.size(); ++i) start_[i + 1] = start_[i] + t[i].size;
  }
  uint64_t total() const { return start_.back(); }
  size_t count() const { return t_.size(); }
  // fn(tensor_index, pointer, n) for the pieces of the global range [b, e).
  template <typename Fn>
  void for_range(uint64_t b, uint64_t e, Fn&& fn) const {
    if (b >= e) return;
    size_t s = size_t(std::upper_bound(start_.begin(), start_.end(), b) - start_.begin()) - 1;
    while (b < e && s < t_.size()) {
      uint64_t off = b - start_[s];
      uint64_t n = std::min<uint64_t>(e, start_[s + 1]) - b;
      if (n) fn(s, t_[s].data + off, size_t(n));
      b += n;
      ++s;
    }
  }

 private:
  const std::vector<Tensor>& t_;
  std::vector<uint64_t> start_;
};

}  // namespace mag
}  // namespace tf
