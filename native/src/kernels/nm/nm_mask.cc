// N:M mask driver: splits the matrix into group-aligned chunks for the threads and hands
// whole groups to the ISA loops; tail groups (axis length % m) go through the scalar loop
// with their own keep count.
#include <algorithm>
#include <atomic>
#include <string>

#include "common/chunked.h"
#include "common/error.h"
#include "common/float_bits.h"
#include "kernels/nm/kernels.h"
#include "kernels/nm/variants.h"
#include "kernels/nm/nm.h"

namespace tf {
namespace nm {

void validate(const Shape& s) {
  if (s.m < 2 || s.m > 16) throw bad_input("m must be in [2, 16], got " + std::to_string(s.m), "m");
  if (s.n < 1 || s.n >= s.m)
    throw bad_input("n must be in [1, m) = [1, " + std::to_string(s.m) + "), got " + std::to_string(s.n), "n");
  if (s.axis != 0 && s.axis != 1) throw bad_input("axis must be 0 or 1, got " + std::to_string(s.axis), "axis");
}

void nm_mask(const float* x, const Shape& s, uint8_t* mask, const JobControl* ctl) {
  validate(s);
  const Kernels& k = kernels();
  const size_t rows = s.rows, cols = s.cols, m = size_t(s.m);
  std::atomic<bool> nan{false};
  auto seen = [&](uint32_t mx) {
    if (key_is_nan(mx)) nan.store(true, std::memory_order_relaxed);
  };
  ChunkPlan plan;
  plan.stage = "n:m mask";
  if (s.axis == 1 && cols % m == 0) {
    // Rows are whole groups: the matrix is one flat run of groups.
    plan.align = m;
    parallel_chunks(rows * cols, plan, ctl, [&](size_t, size_t b, size_t e) {
      seen(k.contig(x + b, (e - b) / m, s.n, s.m, s.magnitude, mask + b));
    });
  } else if (s.axis == 1) {
    const size_t full = cols / m, tail = cols % m;
    const int tkeep = tail_keep(s.n, s.m, int(tail));
    plan.align = cols;
    parallel_chunks(rows * cols, plan, ctl, [&](size_t, size_t b, size_t e) {
      for (size_t r = b / cols; r < e / cols; ++r) {
        const float* row = x + r * cols;
        uint8_t* mrow = mask + r * cols;
        seen(k.contig(row, full, s.n, s.m, s.magnitude, mrow));
        seen(contig_scalar(row + full * m, 1, tkeep, int(tail), s.magnitude, mrow + full * m));
      }
    });
  } else {
    // axis 0: a unit of work is a band of m rows (the last may be shorter).
    const size_t bands = (rows + m - 1) / m;
    const size_t band_items = std::max<size_t>(1, m * cols);
    plan.align = 1;
    plan.chunk = std::max<size_t>(1, plan.chunk / band_items);
    plan.grain = std::max<size_t>(1, plan.grain / band_items);
    parallel_chunks(bands, plan, ctl, [&](size_t, size_t b, size_t e) {
      for (size_t g = b; g < e; ++g) {
        size_t r0 = g * m, t = std::min(m, rows - r0);
        int keep = t == m ? s.n : tail_keep(s.n, s.m, int(t));
        seen(k.strided(x + r0 * cols, cols, cols, int(t), keep, s.magnitude, mask + r0 * cols));
      }
    });
  }
  if (nan) throw bad_input("scores contain NaN", "scores");
}

}  // namespace nm
}  // namespace tf
