#include "common/chunked.h"

#include <algorithm>
#include <atomic>

#include "common/parallel.h"

namespace tf {

size_t chunk_parts(size_t n, const ChunkPlan& plan) {
  size_t align = std::max<size_t>(plan.align, 1);
  size_t units = (n + align - 1) / align;
  size_t grain_units = std::max<size_t>(1, plan.grain / align);
  return parts_for(units, grain_units);
}

void parallel_chunks(size_t n, const ChunkPlan& plan, const JobControl* ctl,
                     const std::function<void(size_t, size_t, size_t)>& fn) {
  if (n == 0) {
    check(ctl);
    return;
  }
  const size_t align = std::max<size_t>(plan.align, 1);
  const size_t units = (n + align - 1) / align;
  const size_t parts = chunk_parts(n, plan);
  const size_t chunk_units = std::max<size_t>(1, plan.chunk / align);
  const uint64_t total = plan.progress_total ? plan.progress_total : n;
  std::atomic<uint64_t> done{0};
  parallel_parts(units, parts, [&](size_t part, size_t ub, size_t ue) {
    for (size_t u = ub; u < ue; u += chunk_units) {
      check(ctl);
      size_t b = u * align, e = std::min(std::min(u + chunk_units, ue) * align, n);
      fn(part, b, e);
      if (ctl) {
        uint64_t d = done.fetch_add(e - b, std::memory_order_relaxed) + (e - b);
        report(ctl, plan.progress_base + d, total, plan.stage);
      }
    }
  });
  check(ctl);
}

}  // namespace tf
