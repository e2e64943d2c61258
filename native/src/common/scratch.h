// Reusable scratch memory. On our machines a fresh page costs ~12 us to fault in (64 MB:
// ~200 ms, 40x a pass over it), so kernels lease scratch from a process-wide pool instead of
// allocating: the second call of a kernel touches no new pages.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tf {

class ScratchLease {
 public:
  ScratchLease() = default;
  explicit ScratchLease(size_t bytes);  // contents are uninitialised
  ~ScratchLease();
  ScratchLease(ScratchLease&& o) noexcept : p_(o.p_), cap_(o.cap_) { o.p_ = nullptr, o.cap_ = 0; }
  ScratchLease& operator=(ScratchLease&& o) noexcept;
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;

  template <typename T>
  T* as() const {
    return static_cast<T*>(p_);
  }
  size_t capacity() const { return cap_; }

 private:
  void* p_ = nullptr;
  size_t cap_ = 0;
};

// Leases at least `count` items of T (64-byte aligned, uninitialised).
template <typename T>
ScratchLease scratch(size_t count) {
  return ScratchLease(count * sizeof(T));
}

// Frees every cached block (tests, memory pressure).
void scratch_release_all();
// Bytes cached in the pool now.
size_t scratch_cached_bytes();

}  // namespace tf
