// SparseGPT and GPTQ: every ISA against a literal double-precision transcription of the papers'
// reference code (three factorizations, unblocked column loop, immediate full-row updates),
// plus the properties callers rely on (exact sparsity / N:M counts, pinned zeros, codes that
// dequantize to the returned weights, errors below magnitude pruning / round-to-nearest).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/hessian/hessian.h"
#include "kernels/linalg/linalg.h"
#include "kernels/solvers/solvers.h"
#include "kernels/solvers/variants.h"
#include "test_util.h"

namespace {

using tf::solvers::GptqOptions;
using tf::solvers::SparseGptOptions;

// fp32 blocked solver vs double reference: masks may flip at near-ties of the w²/d² score.
constexpr double kMaskAgreement = 0.99;
constexpr double kLossRelTol = 2e-2;
constexpr double kCodeAgreement = 0.98;

struct Layer {
  size_t rows, cols, samples;
  std::vector<float> w, x, h;
};

// Correlated activations (a few shared factors), as real layer inputs are.
Layer make_layer(size_t rows, size_t cols, uint64_t seed, size_t samples = 0) {
  Layer L{rows, cols, samples ? samples : 2 * cols + 64, {}, {}, {}};
  tf::test::Rng rng(seed);
  L.w.resize(rows * cols);
  for (auto& v : L.w) v = rng.normal();
  L.x.resize(L.samples * cols);
  for (size_t s = 0; s < L.samples; ++s) {
    float f[4];
    for (float& v : f) v = rng.normal();
    for (size_t j = 0; j < cols; ++j) L.x[s * cols + j] = 0.4f * rng.normal() + f[j % 4] * (0.5f + 0.5f * float(j % 7) / 7.0f);
  }
  L.h.assign(cols * cols, 0.0f);
  tf::hessian::hessian_f32_accumulate_ref(L.h.data(), L.x.data(), L.samples, cols, 2.0f / float(L.samples));
  return L;
}

// ‖(W − Ŵ) Xᵀ‖² in double.
double recon_error(const Layer& L, const std::vector<float>& what) {
  double e = 0;
  for (size_t r = 0; r < L.rows; ++r)
    for (size_t s = 0; s < L.samples; ++s) {
      double acc = 0;
      for (size_t j = 0; j < L.cols; ++j) acc += (double(L.w[r * L.cols + j]) - what[r * L.cols + j]) * L.x[s * L.cols + j];
      e += acc * acc;
    }
  return e;
}

// ---- reference (double, unblocked, torch code transcribed) ------------------------------------

struct RefOut {
  std::vector<double> w;
  std::vector<uint8_t> keep;
  std::vector<int> codes;
  std::vector<double> scales, zeros;
  double loss = 0;
};

std::vector<double> ref_hinv_upper(std::vector<double> h, size_t n, std::vector<double>& w, size_t rows, double percdamp) {
  double mean = 0;
  for (size_t i = 0; i < n; ++i) {
    if (h[i * n + i] == 0) {
      h[i * n + i] = 1;
      for (size_t r = 0; r < rows; ++r) w[r * n + i] = 0;
    }
    mean += h[i * n + i];
  }
  mean /= double(n);
  for (size_t i = 0; i < n; ++i) h[i * n + i] += percdamp * mean;
  // chol -> cholesky_inverse -> chol(upper)
  tf::linalg::cholesky_lower_ref(h.data(), n);
  tf::linalg::trtri_lower_ref(h.data(), n);  // L⁻¹
  std::vector<double> inv(n * n, 0.0);       // H⁻¹ = L⁻ᵀ L⁻¹
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double s = 0;
      for (size_t k = std::max(i, j); k < n; ++k) s += h[k * n + i] * h[k * n + j];
      inv[i * n + j] = s;
    }
  tf::linalg::cholesky_lower_ref(inv.data(), n);  // H⁻¹ = L2 L2ᵀ; torch upper = L2ᵀ
  std::vector<double> u(n * n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i; j < n; ++j) u[i * n + j] = inv[j * n + i];
  return u;
}

void ref_grid(const double* w, const uint8_t* keep, size_t n, size_t stride, uint32_t bits, bool sym, double* s, double* z) {
  double lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    double v = (!keep || keep[i * stride]) ? w[i * stride] : 0.0;
    lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (sym) {
    double amax = std::max(-lo, hi);
    *s = amax > 0 ? amax / double((1u << (bits - 1)) - 1) : 1.0;
    *z = 0;
  } else {
    *s = hi - lo > 0 ? (hi - lo) / double((1u << bits) - 1) : 1.0;
    *z = std::nearbyint(-lo / *s);
  }
}

// target: 0 unstructured, 1 N:M, 2 GPTQ
RefOut ref_solve(const Layer& L, int target, const SparseGptOptions& sp, const GptqOptions& gq, const uint8_t* pin) {
  const size_t rows = L.rows, cols = L.cols;
  RefOut o;
  o.w.assign(L.w.begin(), L.w.end());
  std::vector<double> h(L.h.begin(), L.h.end());
  auto u = ref_hinv_upper(h, cols, o.w, rows, target == 2 ? gq.percdamp : sp.percdamp);
  o.keep.assign(rows * cols, 1);
  o.codes.assign(rows * cols, 0);
  const size_t groups = gq.group ? cols / gq.group : 1;
  o.scales.assign(rows * groups, 0), o.zeros.assign(rows * groups, 0);
  size_t block = sp.block;
  if (target == 1) block = std::max<size_t>(sp.m, block / sp.m * sp.m);
  if (target == 2 && gq.group) block = gq.group >= gq.block ? gq.group : block / gq.group * gq.group;
  if (target == 2 && gq.group == 0)
    for (size_t r = 0; r < rows; ++r)
      ref_grid(&o.w[r * cols], pin ? pin + r * cols : nullptr, cols, 1, gq.bits, gq.symmetric, &o.scales[r], &o.zeros[r]);
  if (pin) o.keep.assign(pin, pin + rows * cols);
  for (size_t i1 = 0; i1 < cols; i1 += block) {
    const size_t i2 = std::min(cols, i1 + block), count = i2 - i1;
    if (target == 0) {
      std::vector<std::pair<double, size_t>> s;
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < count; ++c) {
          double d = u[(i1 + c) * cols + i1 + c], v = o.w[r * cols + i1 + c];
          s.push_back({double(float(v * v / (d * d))), r * count + c});
        }
      std::sort(s.begin(), s.end());
      size_t k = size_t(std::llround(sp.sparsity * double(rows * count)));
      for (size_t t = 0; t < k; ++t) o.keep[(s[t].second / count) * cols + i1 + s[t].second % count] = 0;
    }
    for (size_t i = i1; i < i2; ++i) {
      const double d = u[i * cols + i];
      for (size_t r = 0; r < rows; ++r) {
        double* wr = &o.w[r * cols];
        if (target == 1 && (i - i1) % sp.m == 0) {
          std::vector<std::pair<double, int>> s;  // (−score, col): sort keeps larger, earlier first
          for (size_t c = 0; c < sp.m; ++c) {
            double dc = u[(i + c) * cols + i + c];
            s.push_back({-(wr[i + c] * wr[i + c] / (dc * dc)), int(c)});
          }
          std::sort(s.begin(), s.end());
          for (size_t t = 0; t < sp.m; ++t) o.keep[r * cols + i + s[t].second] = t < sp.n;
        }
        if (target == 2 && gq.group && (i - i1) % gq.group == 0)
          ref_grid(wr + i, pin ? pin + r * cols + i : nullptr, gq.group, 1, gq.bits, gq.symmetric,
                   &o.scales[r * groups + i / gq.group], &o.zeros[r * groups + i / gq.group]);
        double q;
        if (target == 2) {
          size_t g = gq.group ? r * groups + i / gq.group : r;
          double s = o.scales[g], z = o.zeros[g];
          double lo = gq.symmetric ? -double((1u << (gq.bits - 1)) - 1) : 0.0;
          double hi = gq.symmetric ? double((1u << (gq.bits - 1)) - 1) : double((1u << gq.bits) - 1);
          double c = std::min(hi, std::max(lo, std::nearbyint(wr[i] / s) + z));
          if (!o.keep[r * cols + i]) c = z;
          o.codes[r * cols + i] = int(c);
          q = (c - z) * s;
        } else {
          q = o.keep[r * cols + i] ? wr[i] : 0.0;
        }
        double err = (wr[i] - q) / d;
        o.loss += err * err / 2;
        for (size_t j = i + 1; j < cols; ++j) wr[j] -= err * u[i * cols + j];
        wr[i] = q;
      }
    }
  }
  return o;
}

double agreement(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
  return a.empty() ? 1.0 : double(same) / double(a.size());
}

}  // namespace

// The in-block sweep of every variant against the scalar one, bit for bit (the sweep body is one
// C++ source compiled per ISA without contraction), for each target.
TF_TEST(obs_sweep_every_variant_matches_scalar_bits) {
  using namespace tf::solvers::detail;
  const size_t count = 64;
  tf::test::Rng rng(77);
  std::vector<float> u(count * count, 0.0f);
  for (size_t i = 0; i < count; ++i)
    for (size_t j = i; j < count; ++j) u[i * count + j] = j == i ? 1.0f + std::fabs(rng.uniform()) : 0.2f * rng.uniform();
  const auto w0 = rng.floats(count * kRowChunk);
  std::vector<uint8_t> keep0(count * kRowChunk);
  for (auto& k : keep0) k = rng.next() & 1;
  struct Out {
    std::vector<float> wt, et, scales, zeros;
    std::vector<uint8_t> keep, codes;
    double loss;
  };
  auto run = [&](SweepFn fn, Target target) {
    Out o{w0, std::vector<float>(w0.size()), std::vector<float>(count / 16 * kRowChunk), std::vector<float>(count / 16 * kRowChunk),
          keep0, std::vector<uint8_t>(w0.size()), 0.0};
    if (target == Target::Quant) std::fill(o.keep.begin(), o.keep.end(), 1);
    SweepArgs a;
    a.target = target, a.count = count, a.u = u.data(), a.ldu = count;
    a.wt = o.wt.data(), a.et = o.et.data(), a.keep = o.keep.data();
    a.n = 2, a.m = 4;
    a.codes = o.codes.data(), a.scales = o.scales.data(), a.zeros = o.zeros.data(), a.group = 16, a.bits = 4;
    a.symmetric = false;
    fn(a);
    o.loss = a.loss;
    return o;
  };
  for (Target target : {Target::Mask, Target::NM, Target::Quant}) {
    const Out ref = run(obs_sweep_scalar, target);
    tf::test::for_each_variant(kVariants, [&](const auto& v) {
      const Out got = run(v.fns, target);
      TF_CHECK(tf::test::same_bits(got.wt.data(), ref.wt.data(), ref.wt.size()));
      TF_CHECK(tf::test::same_bits(got.et.data(), ref.et.data(), ref.et.size()));
      TF_CHECK(got.keep == ref.keep);
      TF_CHECK(got.codes == ref.codes);
      TF_CHECK(tf::test::same_bits(got.scales.data(), ref.scales.data(), ref.scales.size()));
      TF_CHECK(tf::test::same_bits(got.zeros.data(), ref.zeros.data(), ref.zeros.size()));
      TF_CHECK(got.loss == ref.loss);
    });
  }
}

TF_TEST(sparsegpt_unstructured_matches_reference) {
  for (auto shape : {std::pair<size_t, size_t>{5, 7}, {33, 130}, {70, 256}, {64, 300}}) {
    Layer L = make_layer(shape.first, shape.second, shape.first * 1000 + shape.second);
    SparseGptOptions opt;
    opt.sparsity = 0.6;
    opt.block = 64;
    RefOut ref = ref_solve(L, 0, opt, {}, nullptr);
    tf::test::for_each_isa([&](tf::Isa isa) {
      auto w = L.w;
      std::vector<uint8_t> keep(L.rows * L.cols, 7);
      auto res = tf::solvers::sparsegpt_f32(w.data(), L.rows, L.cols, L.h.data(), keep.data(), opt, isa);
      TF_CHECK(agreement(keep, ref.keep) >= kMaskAgreement);
      TF_CHECK(std::fabs(res.loss - ref.loss) <= kLossRelTol * ref.loss);
      // Exactly llround(sparsity * rows * count) zeros per block; pruned weights are exactly 0.
      size_t pruned = 0, expect = 0;
      for (size_t i1 = 0; i1 < L.cols; i1 += opt.block)
        expect += size_t(std::llround(opt.sparsity * double(L.rows * std::min(opt.block, L.cols - i1))));
      for (size_t i = 0; i < w.size(); ++i) {
        TF_CHECK(keep[i] <= 1);
        pruned += !keep[i];
        if (!keep[i]) TF_CHECK(w[i] == 0.0f);
      }
      TF_CHECK_EQ(pruned, expect);
    });
  }
}

TF_TEST(sparsegpt_nm_matches_reference) {
  for (auto nm : {std::pair<uint32_t, uint32_t>{2, 4}, {1, 4}, {4, 8}, {3, 7}, {1, 16}}) {
    const size_t cols = nm.second * 20;
    Layer L = make_layer(37, cols, nm.first * 100 + nm.second);
    SparseGptOptions opt;
    opt.n = nm.first, opt.m = nm.second;
    RefOut ref = ref_solve(L, 1, opt, {}, nullptr);
    tf::test::for_each_isa([&](tf::Isa isa) {
      auto w = L.w;
      std::vector<uint8_t> keep(L.rows * L.cols);
      auto res = tf::solvers::sparsegpt_f32(w.data(), L.rows, L.cols, L.h.data(), keep.data(), opt, isa);
      TF_CHECK(agreement(keep, ref.keep) >= kMaskAgreement);
      TF_CHECK(std::fabs(res.loss - ref.loss) <= kLossRelTol * ref.loss);
      for (size_t r = 0; r < L.rows; ++r)
        for (size_t g = 0; g < cols; g += opt.m) {
          size_t kept = 0;
          for (size_t c = g; c < g + opt.m; ++c) {
            kept += keep[r * cols + c];
            if (!keep[r * cols + c]) TF_CHECK(w[r * cols + c] == 0.0f);
          }
          TF_CHECK_EQ(kept, size_t(opt.n));
        }
    });
  }
}

TF_TEST(sparsegpt_beats_magnitude_on_correlated_inputs) {
  Layer L = make_layer(48, 96, 42);
  for (double sp : {0.5, 0.7}) {
    SparseGptOptions opt;
    opt.sparsity = sp;
    auto w = L.w;
    tf::solvers::sparsegpt_f32(w.data(), L.rows, L.cols, L.h.data(), nullptr, opt, tf::active_isa());
    // Magnitude: the same number of smallest |w| per row block removed, nothing updated.
    auto mag = L.w;
    std::vector<float> a(mag.size());
    for (size_t i = 0; i < a.size(); ++i) a[i] = std::fabs(mag[i]);
    auto sorted = a;
    size_t k = size_t(std::llround(sp * double(a.size())));
    std::nth_element(sorted.begin(), sorted.begin() + k, sorted.end());
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i] < sorted[k]) mag[i] = 0.0f;
    TF_CHECK(recon_error(L, w) < 0.7 * recon_error(L, mag));
  }
}

TF_TEST(gptq_matches_reference_all_grids) {
  Layer L = make_layer(40, 256, 9);
  for (uint32_t bits : {8u, 4u})
    for (size_t group : {size_t(0), size_t(32), size_t(64), size_t(128)})
      for (bool sym : {true, false}) {
        GptqOptions opt;
        opt.bits = bits, opt.group = group, opt.symmetric = sym;
        RefOut ref = ref_solve(L, 2, {}, opt, nullptr);
        tf::test::for_each_isa([&](tf::Isa isa) {
          auto w = L.w;
          const size_t groups = group ? L.cols / group : 1;
          std::vector<uint8_t> raw(w.size());
          std::vector<float> sc(L.rows * groups), zp(L.rows * groups);
          auto res = tf::solvers::gptq_f32(w.data(), L.rows, L.cols, L.h.data(), nullptr, raw.data(), sc.data(),
                                           zp.data(), opt, isa);
          std::vector<int> codes(raw.size());
          for (size_t i = 0; i < raw.size(); ++i) codes[i] = sym ? int(int8_t(raw[i])) : int(raw[i]);
          TF_CHECK(std::fabs(res.loss - ref.loss) <= kLossRelTol * ref.loss);
          size_t same = 0;
          const int lo = sym ? -int((1u << (bits - 1)) - 1) : 0, hi = sym ? int((1u << (bits - 1)) - 1) : int((1u << bits) - 1);
          for (size_t r = 0; r < L.rows; ++r)
            for (size_t c = 0; c < L.cols; ++c) {
              const size_t i = r * L.cols + c, g = r * groups + (group ? c / group : 0);
              same += codes[i] == ref.codes[i];
              TF_CHECK(codes[i] >= lo && codes[i] <= hi);
              // w holds exactly the dequantized codes.
              TF_CHECK(w[i] == (float(codes[i]) - zp[g]) * sc[g]);
            }
          TF_CHECK(double(same) / double(w.size()) >= kCodeAgreement);
        });
      }
}

TF_TEST(gptq_beats_round_to_nearest_and_keeps_pruned_zeros) {
  Layer L = make_layer(32, 128, 11);
  // Prune first (2:4), then quantize with the mask.
  SparseGptOptions sp;
  sp.n = 2, sp.m = 4;
  auto pruned = L.w;
  std::vector<uint8_t> keep(pruned.size());
  tf::solvers::sparsegpt_f32(pruned.data(), L.rows, L.cols, L.h.data(), keep.data(), sp, tf::active_isa());
  GptqOptions opt;
  opt.bits = 4, opt.group = 32, opt.symmetric = false;
  auto w = pruned;
  std::vector<uint8_t> codes(w.size());
  std::vector<float> sc(L.rows * 4), zp(L.rows * 4);
  tf::solvers::gptq_f32(w.data(), L.rows, L.cols, L.h.data(), keep.data(), codes.data(), sc.data(), zp.data(), opt,
                        tf::active_isa());
  for (size_t i = 0; i < w.size(); ++i)
    if (!keep[i]) {
      TF_CHECK(w[i] == 0.0f);
      TF_CHECK(float(codes[i]) == zp[(i / L.cols) * 4 + (i % L.cols) / 32]);
    }
  // Round-to-nearest on the same grid family, no error feedback.
  GptqOptions plain = opt;
  auto rtn = L.w;
  for (size_t r = 0; r < L.rows; ++r)
    for (size_t g = 0; g < L.cols; g += 32) {
      float lo = 0, hi = 0;
      for (size_t c = g; c < g + 32; ++c) lo = std::min(lo, rtn[r * L.cols + c]), hi = std::max(hi, rtn[r * L.cols + c]);
      float s = (hi - lo) / 15.0f, z = std::nearbyint(-lo / s);
      for (size_t c = g; c < g + 32; ++c) {
        float q = std::min(15.0f, std::max(0.0f, std::nearbyint(rtn[r * L.cols + c] / s) + z));
        rtn[r * L.cols + c] = (q - z) * s;
      }
    }
  (void)plain;
  auto w_dense = L.w;
  std::vector<uint8_t> c2(w.size());
  tf::solvers::gptq_f32(w_dense.data(), L.rows, L.cols, L.h.data(), nullptr, c2.data(), sc.data(), zp.data(), opt,
                        tf::active_isa());
  TF_CHECK(recon_error(L, w_dense) < recon_error(L, rtn));
}

TF_TEST(solvers_dead_inputs_zero_sizes_and_bad_input) {
  Layer L = make_layer(8, 16, 3);
  // Input 5 never active: H row/col 5 is zero -> its weights are dropped.
  for (size_t j = 0; j < 16; ++j) L.h[5 * 16 + j] = L.h[j * 16 + 5] = 0.0f;
  SparseGptOptions opt;
  opt.sparsity = 0.25;
  auto w = L.w;
  auto res = tf::solvers::sparsegpt_f32(w.data(), 8, 16, L.h.data(), nullptr, opt, tf::active_isa());
  TF_CHECK_EQ(res.dead, size_t(1));
  for (size_t r = 0; r < 8; ++r) TF_CHECK(w[r * 16 + 5] == 0.0f);
  TF_CHECK(std::isfinite(res.loss));
  // Zero-size layers are a no-op.
  auto none = tf::solvers::sparsegpt_f32(nullptr, 0, 16, L.h.data(), nullptr, opt, tf::active_isa());
  TF_CHECK(none.loss == 0.0);
  // NaN weights, NaN Hessian, indefinite Hessian, bad patterns.
  w = L.w;
  w[3] = std::numeric_limits<float>::quiet_NaN();
  TF_CHECK_THROWS_CODE(tf::solvers::sparsegpt_f32(w.data(), 8, 16, L.h.data(), nullptr, opt, tf::active_isa()), "BAD_INPUT");
  w = L.w;
  auto h = L.h;
  h[17] = std::numeric_limits<float>::infinity();
  TF_CHECK_THROWS_CODE(tf::solvers::sparsegpt_f32(w.data(), 8, 16, h.data(), nullptr, opt, tf::active_isa()), "BAD_INPUT");
  std::vector<float> neg(16 * 16, 0.0f);
  for (size_t i = 0; i < 16; ++i) neg[i * 16 + i] = -1.0f;
  TF_CHECK_THROWS_CODE(tf::solvers::sparsegpt_f32(w.data(), 8, 16, neg.data(), nullptr, opt, tf::active_isa()), "BAD_INPUT");
  SparseGptOptions nm;
  nm.n = 4, nm.m = 4;
  TF_CHECK_THROWS_CODE(tf::solvers::sparsegpt_f32(w.data(), 8, 16, L.h.data(), nullptr, nm, tf::active_isa()), "BAD_INPUT");
  nm.n = 2, nm.m = 3;  // 16 % 3 != 0
  TF_CHECK_THROWS_CODE(tf::solvers::sparsegpt_f32(w.data(), 8, 16, L.h.data(), nullptr, nm, tf::active_isa()), "BAD_INPUT");
  GptqOptions g;
  g.bits = 3;
  std::vector<uint8_t> codes(128);
  std::vector<float> s(8), z(8);
  TF_CHECK_THROWS_CODE(tf::solvers::gptq_f32(w.data(), 8, 16, L.h.data(), nullptr, codes.data(), s.data(), z.data(), g,
                                             tf::active_isa()),
                       "BAD_INPUT");
}

TF_TEST(solvers_progress_in_order_and_cancel) {
  Layer L = make_layer(16, 512, 5, 600);
  std::vector<std::pair<std::string, uint64_t>> seen;
  tf::JobControl ctl([&](uint64_t done, uint64_t total, const char* stage) {
    (void)total;
    seen.push_back({stage, done});
  });
  SparseGptOptions opt;
  auto w = L.w;
  tf::solvers::sparsegpt_f32(w.data(), L.rows, L.cols, L.h.data(), nullptr, opt, tf::active_isa(), &ctl);
  TF_CHECK(!seen.empty() && seen.back().first == "sweep" && seen.back().second == 512);
  for (size_t i = 1; i < seen.size(); ++i)
    if (seen[i].first == seen[i - 1].first) TF_CHECK(seen[i].second >= seen[i - 1].second);
  tf::JobControl stop;
  stop.cancel();
  w = L.w;
  TF_CHECK_THROWS_CODE(tf::solvers::sparsegpt_f32(w.data(), L.rows, L.cols, L.h.data(), nullptr, opt, tf::active_isa(), &stop),
                       "CANCELLED");
}

TF_TEST_MAIN
