// Multithreaded memcpy: libc's memcpy already streams at the memory's speed on one core's
// slice (non-temporal stores past the cache size); threads add the second core's bandwidth.
#include <cstring>

#include "common/parallel.h"
#include "kernels/copy/copy.h"

namespace tf::copy {

void copy_bytes(void* dst, const void* src, size_t bytes) {
  constexpr size_t kPage = 4096, kMinSlice = size_t(1) << 20;  // below 1 MB a thread costs more
  const size_t pages = (bytes + kPage - 1) / kPage;
  parallel_for(pages, kMinSlice / kPage, [&](size_t b, size_t e) {
    const size_t lo = b * kPage, hi = e * kPage < bytes ? e * kPage : bytes;
    std::memcpy(static_cast<char*>(dst) + lo, static_cast<const char*>(src) + lo, hi - lo);
  });
}

}  // namespace tf::copy
