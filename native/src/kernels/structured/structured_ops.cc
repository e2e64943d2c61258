// Structured-pruning drivers. Norms accumulate in double in a fixed order, so results do not
// depend on the thread count; these passes are not bandwidth targets and stay scalar.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "common/chunked.h"
#include "common/error.h"
#include "common/float_bits.h"
#include "common/scratch.h"
#include "kernels/structured/kernels.h"
#include "kernels/structured/variants.h"
#include "kernels/structured/structured.h"

namespace tf {
namespace structured {
namespace {

inline double term(float x, Norm norm) {
  double d = double(x);
  return norm == Norm::L1 ? std::fabs(d) : d * d;
}

[[noreturn]] void throw_nan(const char* what) { throw bad_input(std::string(what) + " contain NaN", what); }

ChunkPlan rows_plan(size_t cols, const char* stage) {
  ChunkPlan plan;
  plan.stage = stage;
  plan.align = std::max<size_t>(cols, 1);
  return plan;
}

}  // namespace

void channel_norms(const float* x, size_t rows, size_t cols, bool per_row, Norm norm, float* out, const JobControl* ctl) {
  std::atomic<bool> nan{false};
  if (per_row) {
    if (cols == 0) {
      std::fill(out, out + rows, 0.f);
      return;
    }
    parallel_chunks(rows * cols, rows_plan(cols, "channel norms"), ctl, [&](size_t, size_t b, size_t e) {
      for (size_t r = b / cols; r < e / cols; ++r) {
        double acc = 0;
        for (size_t c = 0; c < cols; ++c) acc += term(x[r * cols + c], norm);
        if (std::isnan(acc)) nan = true;
        out[r] = float(norm == Norm::L1 ? acc : std::sqrt(acc));
      }
    });
  } else {
    // Threads own column ranges; each walks all rows so every column sums in row order.
    ChunkPlan plan;
    plan.stage = "channel norms";
    plan.chunk = std::max<size_t>(1, plan.chunk / std::max<size_t>(rows, 1));
    plan.grain = std::max<size_t>(16, plan.grain / std::max<size_t>(rows, 1));
    plan.align = 16;
    parallel_chunks(cols, plan, ctl, [&](size_t, size_t b, size_t e) {
      ScratchLease lease = scratch<double>(e - b);
      double* acc = lease.as<double>();
      std::fill(acc, acc + (e - b), 0.0);
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = b; c < e; ++c) acc[c - b] += term(x[r * cols + c], norm);
      for (size_t c = b; c < e; ++c) {
        if (std::isnan(acc[c - b])) nan = true;
        out[c] = float(norm == Norm::L1 ? acc[c - b] : std::sqrt(acc[c - b]));
      }
    });
  }
  if (nan) throw_nan("weights");
}

namespace {

// Block scores in double (selection uses them before rounding to float).
void block_scores_double(const float* x, const BlockShape& s, Norm norm, double* scores, const JobControl* ctl) {
  const size_t nbr = s.block_rows(), nbc = s.block_cols();
  if (nbr == 0 || nbc == 0) return;
  ChunkPlan plan;
  plan.stage = "block scores";
  const size_t band = s.br * s.cols;
  plan.chunk = std::max<size_t>(1, plan.chunk / std::max<size_t>(band, 1));
  plan.grain = std::max<size_t>(1, plan.grain / std::max<size_t>(band, 1));
  parallel_chunks(nbr, plan, ctl, [&](size_t, size_t b, size_t e) {
    for (size_t R = b; R < e; ++R) {
      double* acc = scores + R * nbc;
      std::fill(acc, acc + nbc, 0.0);
      size_t r0 = R * s.br, r1 = std::min(s.rows, r0 + s.br);
      // Row-major within each block: rows outer, columns inner (the reference order).
      for (size_t r = r0; r < r1; ++r)
        for (size_t c = 0; c < s.cols; ++c) acc[c / s.bc] += term(x[r * s.cols + c], norm);
      for (size_t C = 0; C < nbc; ++C) {
        size_t count = (r1 - r0) * (std::min(s.cols, (C + 1) * s.bc) - C * s.bc);
        double mean = acc[C] / double(count);
        acc[C] = norm == Norm::L1 ? mean : std::sqrt(mean);
      }
    }
  });
}

void check_blocks(const BlockShape& s) {
  if (s.br == 0 || s.bc == 0) throw bad_input("block sizes must be >= 1", "blockRows");
}

}  // namespace

void block_scores(const float* x, const BlockShape& s, Norm norm, float* scores, const JobControl* ctl) {
  check_blocks(s);
  size_t nb = s.block_rows() * s.block_cols();
  ScratchLease lease = scratch<double>(nb);
  double* d = lease.as<double>();
  block_scores_double(x, s, norm, d, ctl);
  for (size_t i = 0; i < nb; ++i) {
    if (std::isnan(d[i])) throw_nan("weights");
    scores[i] = float(d[i]);
  }
}

size_t block_mask(const float* x, const BlockShape& s, Norm norm, double sparsity, uint8_t* mask, float* scores,
                  const JobControl* ctl) {
  check_blocks(s);
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    throw bad_input("sparsity must be in [0, 1), got " + std::to_string(sparsity), "sparsity");
  const size_t nbr = s.block_rows(), nbc = s.block_cols(), nb = nbr * nbc;
  ScratchLease lease = scratch<double>(nb);
  double* d = lease.as<double>();
  block_scores_double(x, s, norm, d, ctl);
  for (size_t i = 0; i < nb; ++i)
    if (std::isnan(d[i])) throw_nan("weights");
  if (scores)
    for (size_t i = 0; i < nb; ++i) scores[i] = float(d[i]);
  const size_t prune = std::min(nb, size_t(std::floor(sparsity * double(nb))));
  // Pruned first: lower score, then higher index.
  std::vector<uint32_t> order(nb);
  std::iota(order.begin(), order.end(), 0u);
  auto first = [&](uint32_t a, uint32_t b) { return d[a] < d[b] || (d[a] == d[b] && a > b); };
  if (prune > 0 && prune < nb) std::nth_element(order.begin(), order.begin() + long(prune), order.end(), first);
  std::vector<uint8_t> keep_block(nb, 1);
  for (size_t i = 0; i < prune; ++i) keep_block[order[i]] = 0;
  parallel_chunks(s.rows * s.cols, rows_plan(s.cols, "block mask"), ctl, [&](size_t, size_t b, size_t e) {
    for (size_t r = b / std::max<size_t>(s.cols, 1); r < e / std::max<size_t>(s.cols, 1); ++r) {
      const uint8_t* kb = keep_block.data() + (r / s.br) * nbc;
      for (size_t c = 0; c < s.cols; ++c) mask[r * s.cols + c] = kb[c / s.bc];
    }
  });
  return prune;
}

void wanda_scores(const float* w, const float* xnorm, size_t rows, size_t cols, int axis, float* out,
                  const JobControl* ctl) {
  if (axis != 0 && axis != 1) throw bad_input("axis must be 0 or 1, got " + std::to_string(axis), "axis");
  if (cols == 0) return;
  const Kernels& k = kernels();
  std::atomic<bool> nan{false};
  parallel_chunks(rows * cols, rows_plan(cols, "wanda scores"), ctl, [&](size_t, size_t b, size_t e) {
    for (size_t r = b / cols; r < e / cols; ++r) {
      // axis 1: inputs run along the row (norm per column); axis 0: one norm per row.
      uint32_t m = axis == 1 ? k.abs_mul_vector(w + r * cols, cols, xnorm, out + r * cols)
                             : k.abs_mul_scalar(w + r * cols, cols, xnorm[r], out + r * cols);
      if (key_is_nan(m)) nan = true;
    }
  });
  if (nan) throw_nan("weights");
}

}  // namespace structured
}  // namespace tf
