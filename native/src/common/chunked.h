// parallel_for for long streaming kernels: each thread walks its contiguous part in chunks,
// polling the job's cancel flag and reporting progress between chunks, so a cancel lands
// within one chunk (~0.1 ms for 1 MB) and progress moves smoothly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "common/job.h"

namespace tf {

struct ChunkPlan {
  size_t chunk = size_t(1) << 18;  // items per poll (256 K floats = 1 MB)
  size_t grain = size_t(1) << 16;  // fewer items than this per thread is not worth a thread
  const char* stage = "work";
  uint64_t progress_base = 0;       // added to done (several passes share one total)
  uint64_t progress_total = 0;      // 0: n
  size_t align = 1;                 // part boundaries are multiples of this (groups, rows, vectors)
};

// Number of parts parallel_chunks will use for n items (for per-part scratch).
size_t chunk_parts(size_t n, const ChunkPlan& plan);

// Calls fn(part, begin, end) for consecutive chunks of each part; parts run in parallel.
void parallel_chunks(size_t n, const ChunkPlan& plan, const JobControl* ctl,
                     const std::function<void(size_t part, size_t begin, size_t end)>& fn);

}  // namespace tf
