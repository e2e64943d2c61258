// SparseGPT and GPTQ drivers: damping and dead inputs, U = chol(H⁻¹)ᵀ-upper, then per block of
// columns: (unstructured) choose the block's mask, sweep the columns row chunk by row chunk in
// parallel, and push the block's errors onto the columns to the right with one sgemm
// (W[:, i2:] −= E · U[i1:i2, i2:], the lazy batch update).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/parallel.h"
#include "common/scratch.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/linalg/linalg.h"
#include "kernels/magnitude/magnitude.h"
#include "kernels/solvers/obs_sweep.h"
#include "kernels/solvers/variants.h"
#include "kernels/solvers/solvers.h"

namespace tf::solvers {
namespace {

using detail::kRowChunk;
using detail::SweepArgs;
using detail::Target;

// If H (+λI) is not positive definite in fp32, λ grows by this factor, this many times.
constexpr float kDampGrowth = 10.0f;
constexpr int kDampRetries = 3;
constexpr size_t kCopySlice = size_t(1) << 18;  // floats (1 MB) between cancel checks

void require_finite(const float* x, size_t n, const char* argument) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      throw bad_input(std::string(argument) + " has a non-finite value at index " + std::to_string(i), argument);
}

// Dead inputs, damping, U. Returns U (cols x cols, upper) in pooled scratch: fresh pages cost
// more than the factorization's first block here (common/scratch.h).
ScratchLease prepare(float* w, size_t rows, size_t cols, const float* h, const ObsOptions& opt, Isa isa,
                     const JobControl* ctl, ObsResult& res) {
  require_finite(h, cols * cols, "h");
  check(ctl);
  ScratchLease lease = scratch<float>(cols * cols);
  float* u = lease.as<float>();
  double diag_sum = 0.0;
  std::vector<size_t> dead;
  for (size_t i = 0; i < cols; ++i) {
    const float d = h[i * cols + i];
    if (d == 0.0f) {
      // Never seen by the calibration data: its weights can't matter, so drop them.
      dead.push_back(i);
      for (size_t r = 0; r < rows; ++r) w[r * cols + i] = 0.0f;
    }
    diag_sum += d == 0.0f ? 1.0 : double(d);
  }
  res.dead = dead.size();
  float damp = float(double(opt.percdamp) * diag_sum / double(cols));
  for (int attempt = 0; attempt <= kDampRetries; ++attempt) {
    check(ctl);
    // In slices with cancel checks: the first touch of pooled pages can take ~10 us a page.
    for (size_t o = 0; o < cols * cols; o += kCopySlice) {
      check(ctl);
      std::copy(h + o, h + std::min(cols * cols, o + kCopySlice), u + o);
    }
    for (size_t i : dead) u[i * cols + i] = 1.0f;
    for (size_t i = 0; i < cols; ++i) u[i * cols + i] += damp;
    if (linalg::inverse_cholesky_upper_f32(u, cols, isa, ctl)) {
      res.damp = damp;
      return lease;
    }
    damp = damp > 0.0f ? damp * kDampGrowth : float(1e-6 * diag_sum / double(cols) + 1e-12);
  }
  throw bad_input("h is not positive definite, even with damping " + std::to_string(damp / kDampGrowth) +
                      " (is it XᵀX of finite activations?)",
                  "h");
}

// The k smallest scores of the block (ties: lower flat index first) -> keep = 0.
// The k smallest scores of the block (ties: lower flat index first) -> keep = 0. Scores are
// computed in parallel; the k-th smallest comes from the magnitude group's exact selection
// (scores are >= 0, so the k-th smallest is the (total-k+1)-th largest |s|). s is the caller's,
// reused block after block (fresh pages cost more than the work).
void select_unstructured(const float* w, size_t rows, size_t cols, size_t i1, size_t count, const float* u,
                         double sparsity, std::vector<uint8_t>& keep, std::vector<float>& s, const JobControl* ctl) {
  const size_t total = rows * count;
  const size_t k = std::min(total, size_t(std::llround(sparsity * double(total))));
  keep.resize(total);
  if (k == 0 || k == total) {
    std::fill(keep.begin(), keep.end(), uint8_t(k == 0));
    return;
  }
  s.resize(total);
  std::vector<float> inv_d2(count);
  for (size_t c = 0; c < count; ++c) {
    const float d = u[(i1 + c) * cols + i1 + c];
    inv_d2[c] = d * d;
  }
  parallel_for(rows, std::max<size_t>(1, (size_t(1) << 14) / count), [&](size_t b, size_t e) {
    for (size_t r = b; r < e; ++r)
      for (size_t c = 0; c < count; ++c) {
        const float v = w[r * cols + i1 + c];
        s[r * count + c] = v * v / inv_d2[c];
      }
  });
  const mag::KthResult kth = mag::kth_largest_abs({{s.data(), total}}, total - k + 1, ctl);
  const float t = kth.value;
  size_t ties = k - size_t(kth.below);
  parallel_for(total, size_t(1) << 16, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) keep[i] = s[i] > t ? 1 : (s[i] < t ? 0 : 2);
  });
  // Ties (usually none or a few) resolve in flat index order.
  for (size_t i = 0; i < total; ++i)
    if (keep[i] == 2) keep[i] = ties > 0 ? (--ties, 0) : 1;
}

struct Problem {
  float* w;
  size_t rows, cols;
  Target target;
  // outputs / inputs by target
  uint8_t* mask_out = nullptr;        // SparseGPT
  const uint8_t* mask_in = nullptr;   // GPTQ pinned zeros
  uint8_t* codes = nullptr;
  float* scales = nullptr;            // rows x groups
  float* zeros = nullptr;
  size_t group = 0;                   // GPTQ columns per scale, 0 = per row
  uint32_t n = 0, m = 0, bits = 8;
  bool symmetric = true;
  double sparsity = 0;
};

double run_blocks(const Problem& p, const float* u, size_t block, Isa isa, const JobControl* ctl) {
  const size_t rows = p.rows, cols = p.cols;
  const size_t groups_per_row = p.group ? cols / p.group : 1;
  const detail::SweepFn sweep = detail::obs_sweep_for(isa);
  ScratchLease err_lease = scratch<float>(rows * block);
  float* err = err_lease.as<float>();
  std::vector<uint8_t> block_keep;
  std::vector<float> score_buf;
  std::vector<float> row_scale, row_zero;
  if (p.target == Target::Quant && p.group == 0) {
    // Per-channel grids come from the whole row before any update (as GPTQ's quantizer does).
    row_scale.resize(rows), row_zero.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      detail::quant_params(p.w + r * cols, p.mask_in ? p.mask_in + r * cols : nullptr, cols, 1, p.bits,
                           p.symmetric, &row_scale[r], &row_zero[r]);
      p.scales[r] = row_scale[r];
      p.zeros[r] = row_zero[r];
    }
  }
  const size_t chunks = (rows + kRowChunk - 1) / kRowChunk;
  double loss = 0.0;
  for (size_t i1 = 0; i1 < cols; i1 += block) {
    check(ctl);
    const size_t i2 = std::min(cols, i1 + block), count = i2 - i1;
    if (p.target == Target::Mask) select_unstructured(p.w, rows, cols, i1, count, u, p.sparsity, block_keep,
                                                   score_buf, ctl);
    const size_t parts = parts_for(chunks, 1);
    std::vector<double> part_loss(parts, 0.0);
    parallel_parts(chunks, parts, [&](size_t part, size_t cb, size_t ce) {
      const size_t gpb = p.group ? (count + p.group - 1) / p.group : 1;
      std::vector<float> wt(count * kRowChunk), et(count * kRowChunk), sc(gpb * kRowChunk), zp(gpb * kRowChunk);
      std::vector<uint8_t> keep(count * kRowChunk);
      std::vector<uint8_t> codes(p.target == Target::Quant ? count * kRowChunk : 0);
      for (size_t ch = cb; ch < ce; ++ch) {
        check(ctl);
        const size_t r0 = ch * kRowChunk, valid = std::min(kRowChunk, rows - r0);
        for (size_t i = 0; i < count; ++i)
          for (size_t r = 0; r < kRowChunk; ++r) {
            const bool in = r < valid;
            wt[i * kRowChunk + r] = in ? p.w[(r0 + r) * cols + i1 + i] : 0.0f;
            uint8_t k = 1;
            if (in && p.target == Target::Mask) k = block_keep[(r0 + r) * count + i];
            if (in && p.mask_in) k = p.mask_in[(r0 + r) * cols + i1 + i] != 0;
            keep[i * kRowChunk + r] = k;
          }
        SweepArgs a;
        a.target = p.target, a.count = count, a.u = u + i1 * cols + i1, a.ldu = cols;
        a.wt = wt.data(), a.et = et.data(), a.keep = keep.data();
        a.n = p.n, a.m = p.m;
        a.codes = codes.data(), a.scales = sc.data(), a.zeros = zp.data();
        a.group = p.group, a.bits = p.bits, a.symmetric = p.symmetric;
        if (p.target == Target::Quant && p.group == 0)
          for (size_t r = 0; r < kRowChunk; ++r) {
            sc[r] = r < valid ? row_scale[r0 + r] : 1.0f;
            zp[r] = r < valid ? row_zero[r0 + r] : 0.0f;
          }
        sweep(a);
        part_loss[part] += a.loss;
        for (size_t r = 0; r < valid; ++r) {
          float* wrow = p.w + (r0 + r) * cols + i1;
          float* erow = err + (r0 + r) * count;
          for (size_t i = 0; i < count; ++i) {
            wrow[i] = wt[i * kRowChunk + r];
            erow[i] = et[i * kRowChunk + r];
          }
          if (p.mask_out)
            for (size_t i = 0; i < count; ++i) p.mask_out[(r0 + r) * cols + i1 + i] = keep[i * kRowChunk + r];
          if (p.codes)
            for (size_t i = 0; i < count; ++i) p.codes[(r0 + r) * cols + i1 + i] = codes[i * kRowChunk + r];
          if (p.target == Target::Quant && p.group)
            for (size_t g = 0; g < gpb; ++g) {
              p.scales[(r0 + r) * groups_per_row + i1 / p.group + g] = sc[g * kRowChunk + r];
              p.zeros[(r0 + r) * groups_per_row + i1 / p.group + g] = zp[g * kRowChunk + r];
            }
        }
      }
    });
    for (double l : part_loss) loss += l;
    if (i2 < cols) {
      gemm::SgemmArgs g;
      g.m = rows, g.n = cols - i2, g.k = count, g.alpha = -1.0f;
      g.a = err, g.lda = count, g.b = u + i1 * cols + i2, g.ldb = cols;
      g.beta = 1.0f, g.c = p.w + i2, g.ldc = cols;
      g.ctl = ctl;
      gemm::sgemm(g, isa);
    }
    report(ctl, i2, cols, "sweep");
  }
  return loss / 2.0;
}

size_t round_block(size_t block, size_t unit) {
  if (unit <= 1) return std::max<size_t>(block, 1);
  return std::max(unit, block / unit * unit);
}

}  // namespace

ObsResult sparsegpt_f32(float* w, size_t rows, size_t cols, const float* h, uint8_t* mask_out,
                        const SparseGptOptions& opt, Isa isa, const JobControl* ctl) {
  if (opt.m > 0 && (opt.m > 16 || opt.n == 0 || opt.n >= opt.m))
    throw bad_input("N:M needs 0 < n < m <= 16, got " + std::to_string(opt.n) + ":" + std::to_string(opt.m), "nm");
  if (opt.m > 0 && cols % opt.m != 0)
    throw bad_input("cols (" + std::to_string(cols) + ") must be a multiple of m (" + std::to_string(opt.m) + ")", "nm");
  if (opt.m == 0 && !(opt.sparsity >= 0.0 && opt.sparsity <= 1.0))
    throw bad_input("sparsity must be in [0, 1]", "sparsity");
  if (!(opt.percdamp >= 0.0f) || !std::isfinite(opt.percdamp)) throw bad_input("percdamp must be >= 0", "percdamp");
  ObsResult res;
  if (rows == 0 || cols == 0) return res;
  require_finite(w, rows * cols, "w");
  ScratchLease u = prepare(w, rows, cols, h, opt, isa, ctl, res);
  Problem p{w, rows, cols, opt.m ? Target::NM : Target::Mask};
  p.mask_out = mask_out;
  p.n = opt.n, p.m = opt.m, p.sparsity = opt.sparsity;
  ScratchLease own_mask;
  if (!p.mask_out) {
    own_mask = scratch<uint8_t>(rows * cols);
    p.mask_out = own_mask.as<uint8_t>();
  }
  res.loss = run_blocks(p, u.as<float>(), round_block(opt.block, opt.m), isa, ctl);
  return res;
}

ObsResult gptq_f32(float* w, size_t rows, size_t cols, const float* h, const uint8_t* mask, uint8_t* codes,
                   float* scales, float* zeros, const GptqOptions& opt, Isa isa, const JobControl* ctl) {
  if (opt.bits != 4 && opt.bits != 8) throw bad_input("bits must be 4 or 8", "bits");
  if (opt.group > 0 && cols % opt.group != 0)
    throw bad_input("cols (" + std::to_string(cols) + ") must be a multiple of group (" + std::to_string(opt.group) + ")",
                    "group");
  if (!(opt.percdamp >= 0.0f) || !std::isfinite(opt.percdamp)) throw bad_input("percdamp must be >= 0", "percdamp");
  ObsResult res;
  if (rows == 0 || cols == 0) return res;
  require_finite(w, rows * cols, "w");
  ScratchLease u = prepare(w, rows, cols, h, opt, isa, ctl, res);
  Problem p{w, rows, cols, Target::Quant};
  p.mask_in = mask, p.codes = codes, p.scales = scales, p.zeros = zeros;
  p.group = opt.group, p.bits = opt.bits, p.symmetric = opt.symmetric;
  // Blocks hold whole groups: a group's grid is set from the weights as they stand at its start.
  size_t block = opt.group == 0 ? opt.block : (opt.group >= opt.block ? opt.group : round_block(opt.block, opt.group));
  res.loss = run_blocks(p, u.as<float>(), block, isa, ctl);
  return res;
}

}  // namespace tf::solvers
