// The measuring kernels (copy, dense GEMV, CSR / N:M / BSR sparse products, int8 GEMM) of every
// ISA against their references, on sizes around the vector widths and register tiles.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/copy/copy.h"
#include "kernels/gemv/gemv.h"
#include "kernels/gemv/variants.h"
#include "kernels/int8gemm/int8gemm.h"
#include "kernels/int8gemm/variants.h"
#include "kernels/spmm/synth.h"
#include "test_util.h"
#include "kernels/spmm/variants.h"

namespace {

// fp32 sums of up to a few thousand products of magnitude <= 1 against double references.
constexpr double kF32SumTol = 1e-4;

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

}  // namespace

TF_TEST(copy_bytes_all_lengths) {
  for (size_t n : tf::test::lengths(3 << 20)) {
    std::vector<uint8_t> src(n), dst(n + 1, 0xEE);
    for (size_t i = 0; i < n; ++i) src[i] = uint8_t(i * 7 + 3);
    tf::copy::copy_bytes(dst.data(), src.data(), n);
    TF_CHECK(n == 0 || std::memcmp(dst.data(), src.data(), n) == 0);
    TF_CHECK(dst[n] == 0xEE);
  }
}

TF_TEST(gemv_f32_all_isas) {
  tf::test::for_each_variant(tf::gemv::kVariants, [&](const auto& v) {
    for (size_t k : {size_t(0), size_t(1), size_t(3), size_t(4), size_t(5), size_t(64), size_t(1027)})
      for (size_t n : {size_t(1), size_t(7), size_t(15), size_t(16), size_t(17), size_t(100), size_t(4099)}) {
        tf::test::Rng rng(k * 7919 + n);
        auto x = rng.floats(k), b = rng.floats(k * (n + 3));
        std::vector<float> got(n + 1, 7.0f), want(n);
        tf::gemv::gemv_f32(x.data(), b.data(), k, n, n + 3, got.data(), v.isa);
        tf::gemv::gemv_f32_ref(x.data(), b.data(), k, n, n + 3, want.data());
        TF_CHECK(got[n] == 7.0f);
        got.resize(n);
        TF_CHECK(max_abs_diff(got, want) <= kF32SumTol * std::sqrt(double(k) + 1));
      }
  });
}

TF_TEST(csr_gemv_and_gemm_all_isas) {
  tf::test::for_each_variant(tf::spmm::kVariants, [&](const auto& v) {
    for (double density : {0.0, 0.01, 0.1, 0.5, 1.0})
      for (size_t cols : {size_t(1), size_t(17), size_t(64), size_t(1000)})
        for (size_t batch : {size_t(1), size_t(2), size_t(63), size_t(65)}) {
          const size_t rows = 37;
          auto w = tf::spmm::random_csr(rows, cols, density, cols * 31 + batch);
          tf::test::Rng rng(batch);
          auto x = rng.floats(batch * cols);
          std::vector<float> got(batch * rows, std::numeric_limits<float>::quiet_NaN()), want(batch * rows);
          tf::spmm::csr_f32_gemm(w.view(), x.data(), batch, got.data(), v.isa);
          tf::spmm::csr_f32_gemm_ref(w.view(), x.data(), batch, want.data());
          TF_CHECK(max_abs_diff(got, want) <= kF32SumTol * std::sqrt(double(cols) + 1));
        }
  });
}

TF_TEST(nm_gemv_and_gemm_all_isas) {
  tf::test::for_each_variant(tf::spmm::kVariants, [&](const auto& v) {
    const std::pair<uint32_t, uint32_t> patterns[] = {{2, 4}, {1, 4}, {1, 10}, {3, 7}, {4, 8}, {5, 16}, {15, 16}, {1, 16}};
    for (auto nm : patterns)
      for (size_t groups : {size_t(1), size_t(3), size_t(16), size_t(100)})
        for (size_t batch : {size_t(1), size_t(3), size_t(64), size_t(70)}) {
          const size_t rows = 19, cols = groups * nm.second;
          auto w = tf::spmm::random_nm(rows, cols, nm.first, nm.second, groups * 131 + nm.second);
          tf::test::Rng rng(batch + groups);
          auto x = rng.floats(batch * cols);
          std::vector<float> got(batch * rows, std::numeric_limits<float>::quiet_NaN()), want(batch * rows);
          tf::spmm::nm_f32_gemm(w.view(), x.data(), batch, got.data(), v.isa);
          tf::spmm::nm_f32_gemm_ref(w.view(), x.data(), batch, want.data());
          TF_CHECK(max_abs_diff(got, want) <= kF32SumTol * std::sqrt(double(cols) + 1));
        }
  });
}

TF_TEST(bsr_gemm_all_isas) {
  tf::test::for_each_variant(tf::spmm::kVariants, [&](const auto& v) {
    const std::pair<size_t, size_t> blocks[] = {{1, 1}, {4, 4}, {1, 16}, {16, 1}, {8, 8}, {2, 3}};
    for (auto bl : blocks)
      for (double density : {0.0, 0.1, 0.5, 1.0})
        for (size_t batch : {size_t(1), size_t(5), size_t(64), size_t(129)}) {
          const size_t rows = bl.first * 6, cols = bl.second * 20;
          auto w = tf::spmm::random_bsr(rows, cols, bl.first, bl.second, density, rows + cols + batch);
          tf::test::Rng rng(batch * 3 + bl.first);
          auto x = rng.floats(batch * cols);
          std::vector<float> got(batch * rows, std::numeric_limits<float>::quiet_NaN()), want(batch * rows);
          tf::spmm::bsr_f32_gemm(w.view(), x.data(), batch, got.data(), v.isa);
          tf::spmm::bsr_f32_gemm_ref(w.view(), x.data(), batch, want.data());
          TF_CHECK(max_abs_diff(got, want) <= kF32SumTol * std::sqrt(double(cols) + 1));
        }
  });
}

TF_TEST(sparse_formats_match_their_dense_equivalents) {
  auto csr = tf::spmm::random_csr(8, 40, 0.25, 1);
  auto d = tf::spmm::dense_of(csr);
  size_t nnz = 0;
  for (float v : d) nnz += v != 0.0f;
  TF_CHECK_EQ(nnz, size_t(8 * 10));
  auto nm = tf::spmm::random_nm(4, 16, 2, 4, 2);
  d = tf::spmm::dense_of(nm);
  for (size_t r = 0; r < 4; ++r)
    for (size_t g = 0; g < 16; g += 4) {
      size_t kept = 0;
      for (size_t c = g; c < g + 4; ++c) kept += d[r * 16 + c] != 0.0f;
      TF_CHECK_EQ(kept, size_t(2));
    }
}

TF_TEST(s8_gemm_all_isas_exact) {
  tf::test::for_each_variant(tf::int8gemm::kVariants, [&](const auto& v) {
    for (size_t m : {size_t(1), size_t(2), size_t(3), size_t(4), size_t(5), size_t(9)})
      for (size_t n : {size_t(1), size_t(3), size_t(4), size_t(7), size_t(17), size_t(33)})
        for (size_t k : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(31), size_t(32), size_t(63), size_t(64),
                         size_t(65), size_t(1000)}) {
          tf::test::Rng rng(m * 10007 + n * 101 + k);
          std::vector<int8_t> a(m * k), b(n * k);
          for (auto& v : a) v = int8_t(int(rng.next() % 256) - 128);  // activations: full range
          for (auto& v : b) v = int8_t(int(rng.next() % 255) - 127);  // weights: [-127, 127]
          // Extremes: the largest products must not saturate any path.
          if (k) a[0] = -128, b[0] = -127;
          std::vector<int32_t> got(m * n, 12345), want(m * n);
          tf::int8gemm::s8_gemm(a.data(), b.data(), got.data(), m, n, k, v.isa);
          tf::int8gemm::s8_gemm_ref(a.data(), b.data(), want.data(), m, n, k);
          TF_CHECK(got == want);
        }
    // All-extreme values over a long k: exact int32 sums.
    const size_t k = 4096;
    std::vector<int8_t> a(k, -128), b(k, -127);
    int32_t c = 0, r = 0;
    tf::int8gemm::s8_gemm(a.data(), b.data(), &c, 1, 1, k, v.isa);
    tf::int8gemm::s8_gemm_ref(a.data(), b.data(), &r, 1, 1, k);
    TF_CHECK_EQ(c, r);
  });
}

TF_TEST_MAIN
