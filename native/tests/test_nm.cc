// N:M masks: an independent sort-based reference, then every ISA against it on shapes that
// hit whole vectors, partial vectors and tail groups, both axes, magnitude and signed order.
#include <algorithm>
#include <limits>
#include <numeric>
#include <vector>

#include "common/float_bits.h"
#include "kernels/nm/kernels.h"
#include "kernels/nm/variants.h"
#include "kernels/nm/nm.h"
#include "test_util.h"

using namespace tf;

namespace {

// Keep the `keep` best of the listed element indices: larger key first, lower index on ties.
void keep_best(const std::vector<float>& x, const std::vector<size_t>& idx, int keep, bool magnitude, std::vector<uint8_t>& mask) {
  std::vector<size_t> order = idx;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return order_key(x[a], magnitude) > order_key(x[b], magnitude);
  });
  for (size_t i = 0; i < order.size(); ++i) mask[order[i]] = i < size_t(keep);
}

std::vector<uint8_t> reference(const std::vector<float>& x, const nm::Shape& s) {
  std::vector<uint8_t> mask(x.size(), 9);
  size_t len = s.axis == 1 ? s.cols : s.rows, other = s.axis == 1 ? s.rows : s.cols;
  for (size_t o = 0; o < other; ++o)
    for (size_t g0 = 0; g0 < len; g0 += size_t(s.m)) {
      size_t t = std::min(size_t(s.m), len - g0);
      std::vector<size_t> idx;
      for (size_t j = g0; j < g0 + t; ++j) idx.push_back(s.axis == 1 ? o * s.cols + j : j * s.cols + o);
      keep_best(x, idx, t == size_t(s.m) ? s.n : nm::tail_keep(s.n, s.m, int(t)), s.magnitude, mask);
    }
  return mask;
}

std::vector<float> data(size_t n, uint64_t seed) {
  tf::test::Rng r(seed);
  std::vector<float> v(n);
  // Few distinct values so ties are common; some zeros, -0, infinities.
  for (auto& x : v) x = float(int(r.uniform(-6, 6))) * 0.5f;
  for (size_t i = 0; i < n; i += 9) v[i] = r.uniform(-3, 3);
  for (size_t i = 4; i < n; i += 17) v[i] = -0.f;
  if (n > 7) v[7] = -std::numeric_limits<float>::infinity();
  if (n > 12) v[12] = std::numeric_limits<float>::infinity();
  return v;
}

}  // namespace

TF_TEST(nm_all_shapes_all_isas) {
  const std::pair<int, int> nms[] = {{1, 2}, {2, 4}, {1, 4}, {3, 4}, {2, 3}, {4, 8}, {2, 8}, {3, 5}, {5, 7}, {8, 16}, {1, 16}, {15, 16}, {6, 9}};
  const std::pair<size_t, size_t> shapes[] = {{1, 1}, {1, 16}, {3, 8}, {5, 17}, {17, 5}, {16, 48}, {33, 31}, {64, 64}, {7, 130}, {0, 8}, {8, 0}};
  uint64_t seed = 1;
  for (auto [n, m] : nms)
    for (auto [rows, cols] : shapes)
      for (int axis : {0, 1})
        for (bool magnitude : {true, false}) {
          nm::Shape s;
          s.rows = rows, s.cols = cols, s.n = n, s.m = m, s.axis = axis, s.magnitude = magnitude;
          auto x = data(rows * cols, ++seed);
          auto ref = reference(x, s);
          tf::test::for_each_variant(nm::kVariants, [&](const auto&) {
            std::vector<uint8_t> got(x.size(), 7);
            nm::nm_mask(x.data(), s, got.data());
            if (got != ref)
              tf::test::fail(__FILE__, __LINE__,
                             "mismatch n=" + std::to_string(n) + " m=" + std::to_string(m) + " rows=" + std::to_string(rows) +
                                 " cols=" + std::to_string(cols) + " axis=" + std::to_string(axis) + " mag=" + std::to_string(magnitude));
          });
        }
}

TF_TEST(nm_large_threads) {
  // Large enough to split across threads at group-aligned boundaries.
  nm::Shape s;
  s.rows = 300, s.cols = 1024, s.n = 2, s.m = 4;
  auto x = data(s.rows * s.cols, 99);
  for (int axis : {0, 1}) {
    s.axis = axis;
    auto ref = reference(x, s);
    tf::test::for_each_variant(nm::kVariants, [&](const auto&) {
      std::vector<uint8_t> got(x.size());
      nm::nm_mask(x.data(), s, got.data());
      TF_CHECK(got == ref);
      // Exactly 2 of every 4 kept.
      size_t kept = 0;
      for (uint8_t b : got) kept += b;
      TF_CHECK_EQ(kept, x.size() / 2);
    });
  }
}

TF_TEST(nm_kernels_direct_tails) {
  // Direct kernel calls with group counts that end inside a vector.
  for (int m = 2; m <= 16; ++m)
    for (size_t groups : {0, 1, 2, 3, 5, 8, 9, 17}) {
      auto x = data(groups * size_t(m), size_t(m) * 100 + groups);
      std::vector<uint8_t> ref(x.size()), got(x.size());
      uint32_t mr = nm::kScalar.contig(x.data(), groups, m / 2, m, true, ref.data());
      tf::test::for_each_variant(nm::kVariants, [&](const auto& v) {
        std::fill(got.begin(), got.end(), 5);
        uint32_t mg = v.fns->contig(x.data(), groups, m / 2, m, true, got.data());
        TF_CHECK(got == ref);
        TF_CHECK_EQ(mg, mr);
      });
    }
}

TF_TEST(nm_errors) {
  std::vector<float> x(16, 1.f);
  std::vector<uint8_t> mask(16);
  nm::Shape s;
  s.rows = 4, s.cols = 4;
  s.n = 4, s.m = 4;
  TF_CHECK_THROWS_CODE(nm::nm_mask(x.data(), s, mask.data()), "BAD_INPUT");
  s.n = 0;
  TF_CHECK_THROWS_CODE(nm::nm_mask(x.data(), s, mask.data()), "BAD_INPUT");
  s.n = 2, s.m = 17;
  TF_CHECK_THROWS_CODE(nm::nm_mask(x.data(), s, mask.data()), "BAD_INPUT");
  s.m = 4, s.axis = 2;
  TF_CHECK_THROWS_CODE(nm::nm_mask(x.data(), s, mask.data()), "BAD_INPUT");
  s.axis = 1;
  x[5] = std::numeric_limits<float>::quiet_NaN();
  tf::test::for_each_variant(nm::kVariants, [&](const auto&) {
    TF_CHECK_THROWS_CODE(nm::nm_mask(x.data(), s, mask.data()), "BAD_INPUT");
    s.axis = 0;
    TF_CHECK_THROWS_CODE(nm::nm_mask(x.data(), s, mask.data()), "BAD_INPUT");
    s.axis = 1;
  });
}

TF_TEST_MAIN
