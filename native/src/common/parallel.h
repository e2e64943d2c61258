// Fork-join parallel loop over [0, n) in chunks of at least `grain` items. Threads come from
// env TWINFORGE_THREADS, else std::thread::hardware_concurrency(). An exception thrown in any
// chunk (e.g. tf::Cancelled) is rethrown in the caller after all threads joined.
#pragma once
#include <cstddef>
#include <functional>

namespace tf {

// Number of threads parallel_for may use (>= 1).
size_t num_threads();
// Overrides the thread count for this process (0 = back to env / hardware default).
void set_num_threads(size_t n);

// Calls fn(begin, end) on disjoint ranges covering [0, n). Ranges are contiguous and at most
// num_threads() of them run at once; with n <= grain everything runs inline on the caller.
void parallel_for(size_t n, size_t grain, const std::function<void(size_t begin, size_t end)>& fn);

// Like parallel_for but splits into exactly `parts` ranges (parts <= num_threads() recommended);
// fn gets the part index too, so per-thread scratch (histograms) can be indexed by it.
void parallel_parts(size_t n, size_t parts, const std::function<void(size_t part, size_t begin, size_t end)>& fn);

// How many parts parallel_for would use for n items with this grain.
size_t parts_for(size_t n, size_t grain);

}  // namespace tf
