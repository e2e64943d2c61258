#include "common/parallel.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tf {
namespace {

std::atomic<size_t> g_override{0};

size_t default_threads() {
  static const size_t n = [] {
    if (const char* env = std::getenv("TWINFORGE_THREADS")) {
      long v = std::strtol(env, nullptr, 10);
      if (v > 0) return static_cast<size_t>(std::min<long>(v, 1024));
    }
    unsigned hc = std::thread::hardware_concurrency();
    return static_cast<size_t>(hc ? hc : 1);
  }();
  return n;
}

}  // namespace

size_t num_threads() {
  size_t o = g_override.load(std::memory_order_relaxed);
  return o ? o : default_threads();
}

void set_num_threads(size_t n) { g_override.store(n, std::memory_order_relaxed); }

size_t parts_for(size_t n, size_t grain) {
  if (n == 0) return 0;
  grain = std::max<size_t>(grain, 1);
  size_t by_grain = (n + grain - 1) / grain;
  return std::max<size_t>(1, std::min(num_threads(), by_grain));
}

void parallel_parts(size_t n, size_t parts, const std::function<void(size_t, size_t, size_t)>& fn) {
  if (n == 0 || parts == 0) return;
  parts = std::min(parts, n);
  if (parts == 1) {
    fn(0, 0, n);
    return;
  }
  // Threads are spawned per call: a call costs ~20-50 us, noise next to the >= 1 MB passes
  // that are split at all, and it keeps the core free of a global pool (fork/ASan friendly).
  std::exception_ptr first_error;
  std::mutex mu;
  auto run = [&](size_t p) {
    size_t b = n * p / parts, e = n * (p + 1) / parts;
    try {
      fn(p, b, e);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!first_error) first_error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(parts - 1);
  for (size_t p = 1; p < parts; ++p) threads.emplace_back(run, p);
  run(0);
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  size_t parts = parts_for(n, grain);
  parallel_parts(n, parts, [&](size_t, size_t b, size_t e) { fn(b, e); });
}

}  // namespace tf
