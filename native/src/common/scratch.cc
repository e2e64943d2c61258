#include "common/scratch.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace tf {
namespace {

// Blocks above this stay out of the pool (returned to the OS) so it never hoards memory.
constexpr size_t kMaxCached = size_t(512) << 20;

struct Block {
  void* p;
  size_t cap;
};

struct Pool {
  std::mutex mu;
  std::vector<Block> free;
  size_t cached = 0;
};

Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: leases may be released during static teardown
  return *p;
}

}  // namespace

ScratchLease::ScratchLease(size_t bytes) {
  bytes = bytes ? bytes : 64;
  Pool& pl = pool();
  {
    std::lock_guard<std::mutex> lock(pl.mu);
    size_t best = pl.free.size();
    for (size_t i = 0; i < pl.free.size(); ++i)
      if (pl.free[i].cap >= bytes && (best == pl.free.size() || pl.free[i].cap < pl.free[best].cap)) best = i;
    if (best != pl.free.size()) {
      p_ = pl.free[best].p;
      cap_ = pl.free[best].cap;
      pl.cached -= cap_;
      pl.free.erase(pl.free.begin() + long(best));
      return;
    }
  }
  size_t cap = (bytes + bytes / 4 + 63) & ~size_t(63);  // headroom so slightly larger asks reuse it
  p_ = std::aligned_alloc(64, cap);
  if (!p_) throw std::bad_alloc();
  cap_ = cap;
}

ScratchLease& ScratchLease::operator=(ScratchLease&& o) noexcept {
  if (this != &o) {
    this->~ScratchLease();
    p_ = o.p_;
    cap_ = o.cap_;
    o.p_ = nullptr;
    o.cap_ = 0;
  }
  return *this;
}

ScratchLease::~ScratchLease() {
  if (!p_) return;
  Pool& pl = pool();
  std::lock_guard<std::mutex> lock(pl.mu);
  if (cap_ <= kMaxCached) {
    pl.free.push_back({p_, cap_});
    pl.cached += cap_;
    // Drop the largest blocks while over budget.
    while (pl.cached > kMaxCached && !pl.free.empty()) {
      size_t big = 0;
      for (size_t i = 1; i < pl.free.size(); ++i)
        if (pl.free[i].cap > pl.free[big].cap) big = i;
      pl.cached -= pl.free[big].cap;
      std::free(pl.free[big].p);
      pl.free.erase(pl.free.begin() + long(big));
    }
  } else {
    std::free(p_);
  }
  p_ = nullptr;
}

void scratch_release_all() {
  Pool& pl = pool();
  std::lock_guard<std::mutex> lock(pl.mu);
  for (auto& b : pl.free) std::free(b.p);
  pl.free.clear();
  pl.cached = 0;
}

size_t scratch_cached_bytes() {
  Pool& pl = pool();
  std::lock_guard<std::mutex> lock(pl.mu);
  return pl.cached;
}

}  // namespace tf
