// Blocked Cholesky, triangular inverse and the inverse-Cholesky factor U (H⁻¹ = UᵀU) of every
// ISA against double-precision references, on sizes around the 192-wide blocks; the Hessian
// and feature-norm accumulators against their references.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/gemm/sgemm.h"
#include "kernels/gemm/variants.h"
#include "kernels/hessian/hessian.h"
#include "kernels/linalg/linalg.h"
#include "test_util.h"

namespace {

// fp32 factorization of a matrix with condition number ~1e2..1e3: relative error of the
// factors stays well under this; U·H·Uᵀ-type identities get the looser one.
constexpr double kFactorRelTol = 2e-4;
constexpr double kIdentityTol = 2e-3;
constexpr double kHessianRelTol = 1e-5;

// A well-conditioned SPD matrix: XᵀX / s + diag shift, from correlated features.
std::vector<float> spd(size_t n, uint64_t seed) {
  tf::test::Rng rng(seed);
  const size_t s = n + 16;
  std::vector<float> x(s * n);
  for (size_t i = 0; i < s; ++i) {
    float common = rng.normal();
    for (size_t j = 0; j < n; ++j) x[i * n + j] = rng.normal() + 0.5f * common;
  }
  std::vector<float> h(n * n, 0.0f);
  tf::hessian::hessian_f32_accumulate_ref(h.data(), x.data(), s, n, 1.0f / float(s));
  for (size_t i = 0; i < n; ++i) h[i * n + i] += 0.1f;
  return h;
}

const size_t kSizes[] = {1, 2, 7, 64, 191, 192, 193, 385};

}  // namespace

TF_TEST(cholesky_matches_reference) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (size_t n : kSizes) {
      auto h = spd(n, n);
      std::vector<double> ref(h.begin(), h.end());
      TF_CHECK(tf::linalg::cholesky_lower_ref(ref.data(), n));
      auto got = h;
      TF_CHECK(tf::linalg::cholesky_lower_f32(got.data(), n, n, v.isa));
      double err = 0, mag = 0;
      for (size_t i = 0; i < n * n; ++i) {
        err = std::max(err, std::fabs(got[i] - ref[i]));
        mag = std::max(mag, std::fabs(ref[i]));
      }
      TF_CHECK(err <= kFactorRelTol * mag);
      for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) TF_CHECK(got[i * n + j] == 0.0f);
    }
  });
}

TF_TEST(cholesky_rejects_indefinite_and_nan) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (size_t n : {size_t(3), size_t(300)}) {
      auto h = spd(n, 7);
      auto bad = h;
      bad[(n - 1) * n + (n - 1)] = -1.0f;
      TF_CHECK(!tf::linalg::cholesky_lower_f32(bad.data(), n, n, v.isa));
      bad = h;
      bad[(n - 1) * n] = std::numeric_limits<float>::quiet_NaN();
      TF_CHECK(!tf::linalg::cholesky_lower_f32(bad.data(), n, n, v.isa));
    }
  });
}

TF_TEST(trtri_gives_inverse) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (size_t n : kSizes) {
      auto l = spd(n, 3 * n);
      TF_CHECK(tf::linalg::cholesky_lower_f32(l.data(), n, n, v.isa));
      auto inv = l;
      tf::linalg::trtri_lower_f32(inv.data(), n, n, v.isa);
      double worst = 0;
      for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
          double s = 0;
          for (size_t k = 0; k < n; ++k) s += double(l[i * n + k]) * inv[k * n + j];
          worst = std::max(worst, std::fabs(s - (i == j ? 1.0 : 0.0)));
        }
      TF_CHECK(worst <= kIdentityTol);
      for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) TF_CHECK(inv[i * n + j] == 0.0f);
    }
  });
}

TF_TEST(inverse_cholesky_upper_is_factor_of_inverse) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (size_t n : kSizes) {
      auto h = spd(n, 5 * n + 1);
      auto u = h;
      TF_CHECK(tf::linalg::inverse_cholesky_upper_f32(u.data(), n, v.isa));
      // UᵀU = H⁻¹  <=>  U·H·Uᵀ = I (U upper, positive diagonal).
      std::vector<double> uh(n * n, 0.0);
      for (size_t i = 0; i < n; ++i)
        for (size_t k = i; k < n; ++k)
          for (size_t j = 0; j < n; ++j) uh[i * n + j] += double(u[i * n + k]) * h[k * n + j];
      double worst = 0;
      for (size_t i = 0; i < n; ++i) {
        TF_CHECK(u[i * n + i] > 0.0f);
        for (size_t j = 0; j < i; ++j) TF_CHECK(u[i * n + j] == 0.0f);
        for (size_t j = 0; j < n; ++j) {
          double s = 0;
          for (size_t k = j; k < n; ++k) s += uh[i * n + k] * u[j * n + k];
          worst = std::max(worst, std::fabs(s - (i == j ? 1.0 : 0.0)));
        }
      }
      TF_CHECK(worst <= kIdentityTol);
    }
  });
}

TF_TEST(hessian_accumulate_matches_reference) {
  tf::test::for_each_variant(tf::gemm::kVariants, [&](const auto& v) {
    for (size_t dim : {size_t(0), size_t(1), size_t(5), size_t(33), size_t(200)})
      for (size_t ns : {size_t(0), size_t(1), size_t(17), size_t(2050)}) {
        tf::test::Rng rng(dim * 31 + ns);
        auto x = rng.floats(ns * dim);
        auto h0 = std::vector<float>(dim * dim, 0.0f);
        // Start from a symmetric matrix (the contract), as a second batch would.
        for (size_t i = 0; i < dim; ++i)
          for (size_t j = 0; j <= i; ++j) h0[i * dim + j] = h0[j * dim + i] = rng.uniform();
        auto got = h0, want = h0;
        tf::hessian::hessian_f32_accumulate(got.data(), x.data(), ns, dim, 0.5f, v.isa);
        tf::hessian::hessian_f32_accumulate_ref(want.data(), x.data(), ns, dim, 0.5f);
        for (size_t i = 0; i < dim * dim; ++i)
          TF_CHECK_NEAR(got[i], want[i], kHessianRelTol * (1.0 + double(ns)));
        for (size_t i = 0; i < dim; ++i)
          for (size_t j = 0; j < dim; ++j) TF_CHECK(got[i * dim + j] == got[j * dim + i]);
      }
  });
}

TF_TEST(feature_sqnorm_matches_reference) {
  for (size_t dim : {size_t(0), size_t(1), size_t(7), size_t(1000)})
    for (size_t ns : {size_t(0), size_t(1), size_t(65), size_t(3000)}) {
      tf::test::Rng rng(dim + 7 * ns);
      auto x = rng.floats(ns * dim);
      std::vector<float> got(dim, 1.0f), want(dim, 1.0f);
      tf::hessian::feature_sqnorm_f32_accumulate(got.data(), x.data(), ns, dim);
      tf::hessian::feature_sqnorm_f32_accumulate_ref(want.data(), x.data(), ns, dim);
      for (size_t j = 0; j < dim; ++j) TF_CHECK_NEAR(got[j], want[j], 1e-5 * (1.0 + want[j]));
    }
  // NaN propagates into its feature only.
  std::vector<float> x = {1.0f, std::numeric_limits<float>::quiet_NaN(), 2.0f, 3.0f};
  std::vector<float> n(2, 0.0f);
  tf::hessian::feature_sqnorm_f32_accumulate(n.data(), x.data(), 2, 2);
  TF_CHECK(n[0] == 5.0f && std::isnan(n[1]));
}

TF_TEST_MAIN
