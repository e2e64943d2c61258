// Every sgemm variant against the double-accumulating reference: shapes below, at and past
// the register tiles and cache blocks, all transpose combinations, beta 0/1/other, and the
// lower-triangle mode used for symmetric products.
#include <cmath>
#include <limits>

#include "kernels/gemm/sgemm.h"
#include "kernels/gemm/variants.h"
#include "test_util.h"

namespace {

using tf::gemm::SgemmArgs;

// fp32 accumulation over k terms of magnitude <= 1: relative error grows like sqrt(k)*eps.
constexpr double kSgemmRelTol = 2e-5;

double max_rel_err(const std::vector<float>& got, const std::vector<float>& want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    num = std::max(num, std::fabs(double(got[i]) - double(want[i])));
    den = std::max(den, std::fabs(double(want[i])));
  }
  return den == 0 ? num : num / den;
}

void check_shape(tf::Isa isa, size_t m, size_t n, size_t k, bool ta, bool tb, float alpha, float beta,
                 tf::gemm::Part part = tf::gemm::Part::Full) {
  tf::test::Rng rng(m * 1000003 + n * 1009 + k + ta * 7 + tb * 13);
  const size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 5;
  auto a = rng.floats((ta ? k : m) * lda);
  auto b = rng.floats((tb ? n : k) * ldb);
  auto c0 = rng.floats(m * ldc);
  std::vector<float> got = c0, want = c0;
  SgemmArgs g;
  g.trans_a = ta, g.trans_b = tb, g.m = m, g.n = n, g.k = k, g.alpha = alpha, g.beta = beta;
  g.a = a.data(), g.lda = lda, g.b = b.data(), g.ldb = ldb, g.ldc = ldc;
  g.c = want.data();
  tf::gemm::sgemm_ref(g);
  g.c = got.data();
  tf::gemm::sgemm(g, isa, part);
  if (part == tf::gemm::Part::Lower) {
    // Only the lower triangle is promised; compare it and make sure nothing else grew NaN.
    for (size_t i = 0; i < m; ++i)
      for (size_t j = i + 1; j < n; ++j) got[i * ldc + j] = want[i * ldc + j];
  }
  // Padding columns past n must be untouched.
  for (size_t i = 0; i < m; ++i)
    for (size_t j = n; j < ldc; ++j) TF_CHECK(got[i * ldc + j] == c0[i * ldc + j]);
  double err = max_rel_err(got, want);
  if (!(err <= kSgemmRelTol * std::sqrt(double(k) + 1)))
    TF_CHECK(err <= kSgemmRelTol * std::sqrt(double(k) + 1));
}

}  // namespace

TF_TEST(sgemm_shapes_all_isas) {
  const size_t dims[] = {1, 3, 5, 6, 7, 8, 9, 12, 13, 16, 17, 31, 32, 33, 65, 129};
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (size_t m : dims)
      for (size_t n : dims)
        for (size_t k : {size_t(1), size_t(7), size_t(33)}) check_shape(v.isa, m, n, k, false, false, 1.0f, 0.0f);
  });
}

TF_TEST(sgemm_transposes_alpha_beta) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        check_shape(v.isa, 37, 45, 300, ta, tb, 1.0f, 1.0f);
        check_shape(v.isa, 50, 19, 257, ta, tb, -0.5f, 0.25f);
        check_shape(v.isa, 8, 64, 513, ta, tb, 2.0f, 0.0f);
      }
  });
}

TF_TEST(sgemm_blocks_larger_than_cache_tiles) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    check_shape(v.isa, 300, 700, 600, false, false, 1.0f, 0.0f);
    check_shape(v.isa, 257, 1031, 259, true, false, 1.0f, 1.0f);
  });
}

TF_TEST(sgemm_lower_part) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (size_t n : {size_t(1), size_t(9), size_t(100), size_t(333)})
      check_shape(v.isa, n, n, 77, true, false, 1.0f, 1.0f, tf::gemm::Part::Lower);
  });
}

TF_TEST(sgemm_zero_sizes_and_beta_zero_ignores_nan) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    std::vector<float> c(12, std::numeric_limits<float>::quiet_NaN());
    std::vector<float> a(12, 1.0f), b(12, 2.0f);
    SgemmArgs g;
    g.m = 3, g.n = 4, g.k = 0, g.a = a.data(), g.lda = 1, g.b = b.data(), g.ldb = 4, g.c = c.data(), g.ldc = 4;
    tf::gemm::sgemm(g, v.isa);  // k == 0, beta == 0: C = 0
    for (float x : c) TF_CHECK(x == 0.0f);
    std::fill(c.begin(), c.end(), std::numeric_limits<float>::quiet_NaN());
    g.k = 3, g.lda = 3;
    tf::gemm::sgemm(g, v.isa);
    for (float x : c) TF_CHECK(x == 6.0f);
    g.m = 0;
    tf::gemm::sgemm(g, v.isa);  // nothing to do, nothing touched
    // NaN in the inputs propagates (no silent flush).
    a[0] = std::numeric_limits<float>::quiet_NaN();
    g.m = 3;
    tf::gemm::sgemm(g, v.isa);
    TF_CHECK(std::isnan(c[0]) && std::isnan(c[3]) && c[4] == 6.0f);
  });
}

TF_TEST_MAIN
