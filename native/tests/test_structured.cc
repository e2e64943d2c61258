// Structured group: channel norms and block scores against naive double sums, block masks
// prune exactly floor(sparsity * blocks) with the documented tie rule, Wanda on every ISA.
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "common/parallel.h"
#include "kernels/structured/kernels.h"
#include "kernels/structured/variants.h"
#include "kernels/structured/structured.h"
#include "test_util.h"

using namespace tf;
using structured::Norm;

TF_TEST(channel_norms_match_naive) {
  tf::test::Rng r(3);
  for (auto [rows, cols] : {std::pair<size_t, size_t>{1, 1}, {3, 5}, {64, 33}, {300, 700}, {0, 3}, {3, 0}})
    for (bool per_row : {true, false})
      for (Norm norm : {Norm::L1, Norm::L2}) {
        auto x = r.floats(rows * cols);
        std::vector<float> want(per_row ? rows : cols), got(want.size());
        for (size_t i = 0; i < want.size(); ++i) {
          double acc = 0;
          size_t len = per_row ? cols : rows;
          for (size_t j = 0; j < len; ++j) {
            double v = per_row ? x[i * cols + j] : x[j * cols + i];
            acc += norm == Norm::L1 ? std::fabs(v) : v * v;
          }
          want[i] = float(norm == Norm::L1 ? acc : std::sqrt(acc));
        }
        for (size_t threads : {1, 2}) {
          tf::set_num_threads(threads);
          structured::channel_norms(x.data(), rows, cols, per_row, norm, got.data());
          TF_CHECK(tf::test::same_bits(got.data(), want.data(), want.size()));
        }
      }
  tf::set_num_threads(0);
}

TF_TEST(block_mask_prunes_lowest_blocks) {
  tf::test::Rng r(8);
  for (auto [rows, cols, br, bc] : {std::array<size_t, 4>{8, 8, 2, 2}, {10, 7, 4, 3}, {1, 64, 1, 16}, {33, 65, 4, 4}, {5, 5, 8, 8}})
    for (Norm norm : {Norm::L1, Norm::L2})
      for (double sp : {0.0, 0.25, 0.5, 0.9}) {
        auto x = r.floats(rows * cols);
        // Duplicate a block's content so score ties happen.
        structured::BlockShape s{rows, cols, br, bc};
        size_t nb = s.block_rows() * s.block_cols();
        std::vector<uint8_t> mask(rows * cols, 9);
        std::vector<float> scores(nb);
        size_t pruned = structured::block_mask(x.data(), s, norm, sp, mask.data(), scores.data());
        TF_CHECK_EQ(pruned, size_t(std::floor(sp * double(nb))));
        // Naive scores (mean-normalised) and the expected pruned set.
        std::vector<double> d(nb, 0.0);
        std::vector<size_t> cnt(nb, 0);
        for (size_t i = 0; i < rows; ++i)
          for (size_t j = 0; j < cols; ++j) {
            size_t b = (i / br) * s.block_cols() + j / bc;
            double v = x[i * cols + j];
            d[b] += norm == Norm::L1 ? std::fabs(v) : v * v;
            ++cnt[b];
          }
        for (size_t b = 0; b < nb; ++b) {
          d[b] /= double(cnt[b]);
          if (norm == Norm::L2) d[b] = std::sqrt(d[b]);
          TF_CHECK_NEAR(scores[b], d[b], 1e-6 * (1 + d[b]));
        }
        std::vector<size_t> order(nb);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d[a] < d[b] || (d[a] == d[b] && a > b); });
        std::vector<uint8_t> keep(nb, 1);
        for (size_t i = 0; i < pruned; ++i) keep[order[i]] = 0;
        for (size_t i = 0; i < rows; ++i)
          for (size_t j = 0; j < cols; ++j) TF_CHECK_EQ(int(mask[i * cols + j]), int(keep[(i / br) * s.block_cols() + j / bc]));
      }
  // Equal scores everywhere: the higher block indices go first.
  std::vector<float> ones(16, 1.f);
  std::vector<uint8_t> mask(16);
  structured::block_mask(ones.data(), {4, 4, 2, 2}, Norm::L1, 0.5, mask.data(), nullptr);
  TF_CHECK_EQ(int(mask[0]), 1);
  TF_CHECK_EQ(int(mask[15]), 0);
  ones[3] = std::numeric_limits<float>::quiet_NaN();
  TF_CHECK_THROWS_CODE(structured::block_mask(ones.data(), {4, 4, 2, 2}, Norm::L1, 0.5, mask.data(), nullptr), "BAD_INPUT");
  TF_CHECK_THROWS_CODE(structured::block_mask(ones.data(), {4, 4, 2, 2}, Norm::L1, 1.0, mask.data(), nullptr), "BAD_INPUT");
}

TF_TEST(wanda_every_isa) {
  tf::test::Rng r(4);
  for (size_t n : tf::test::lengths()) {
    auto w = r.floats(n), s = r.floats(n, 0.f, 3.f);
    std::vector<float> ref(n), got(n);
    uint32_t mr = structured::kScalar.abs_mul_vector(w.data(), n, s.data(), ref.data());
    std::vector<float> ref2(n), got2(n);
    structured::kScalar.abs_mul_scalar(w.data(), n, 0.37f, ref2.data());
    tf::test::for_each_variant(structured::kVariants, [&](const auto& v) {
      TF_CHECK_EQ(v.fns->abs_mul_vector(w.data(), n, s.data(), got.data()), mr);
      TF_CHECK(tf::test::same_bits(got.data(), ref.data(), n));
      v.fns->abs_mul_scalar(w.data(), n, 0.37f, got2.data());
      TF_CHECK(tf::test::same_bits(got2.data(), ref2.data(), n));
    });
  }
  // Axis semantics on a 2x3 matrix.
  std::vector<float> w = {-1, 2, -3, 4, -5, 6}, out(6);
  std::vector<float> col_norm = {1, 10, 100}, row_norm = {2, 3};
  structured::wanda_scores(w.data(), col_norm.data(), 2, 3, 1, out.data());
  TF_CHECK_EQ(out[2], 300.f);
  TF_CHECK_EQ(out[4], 50.f);
  structured::wanda_scores(w.data(), row_norm.data(), 2, 3, 0, out.data());
  TF_CHECK_EQ(out[2], 6.f);
  TF_CHECK_EQ(out[4], 15.f);
  w[1] = std::numeric_limits<float>::quiet_NaN();
  TF_CHECK_THROWS_CODE(structured::wanda_scores(w.data(), col_norm.data(), 2, 3, 1, out.data()), "BAD_INPUT");
}

TF_TEST_MAIN
