// The bandwidth yardstick: a multithreaded memcpy. Every measuring kernel reports its GB/s
// as a ratio to this, measured in the same run.
#pragma once
#include <cstddef>

namespace tf::copy {

// dst[0, bytes) = src[0, bytes); split over the threads in page-aligned slices.
void copy_bytes(void* dst, const void* src, size_t bytes);

}  // namespace tf::copy
