// Packed-B products: every ISA bit-exact against the scalar reference on shapes that hit
// partial register tiles and partial panels; the reference close to a double product.
#include <cmath>
#include <limits>
#include <vector>

#include "common/parallel.h"
#include "kernels/pgemm/pgemm.h"
#include "kernels/pgemm/variants.h"
#include "test_util.h"

using namespace tf;

TF_TEST(packed_b_products_bit_exact_all_isas) {
  for (size_t k : {size_t(1), size_t(7), size_t(64), size_t(300)})
    for (size_t n : {size_t(1), size_t(15), size_t(16), size_t(17), size_t(100)})
      for (size_t m : {size_t(1), size_t(2), size_t(5), size_t(6), size_t(7), size_t(16), size_t(17), size_t(40)}) {
        tf::test::Rng r(k * 1000 + n * 10 + m);
        const size_t lda = k + 3, ldb = n + 2, ldc = n + 1;
        auto a = r.floats(m * lda), b = r.floats(k * ldb);
        const auto pb = pgemm::pack_b(b.data(), k, n, ldb);
        std::vector<float> want(m * ldc, 7.f);
        pgemm::gemm_ref(a.data(), m, lda, pb, want.data(), ldc);
        for (size_t i = 0; i < m; ++i)
          for (size_t j = 0; j < n; ++j) {
            double s = 0, mag = 0;
            for (size_t t = 0; t < k; ++t) s += double(a[i * lda + t]) * b[t * ldb + j], mag += std::fabs(double(a[i * lda + t]) * b[t * ldb + j]);
            TF_CHECK(std::fabs(want[i * ldc + j] - s) <= 1e-6 * mag + 1e-30);
          }
        for (size_t threads : {size_t(1), size_t(2)}) {
          tf::set_num_threads(threads);
          tf::test::for_each_variant(pgemm::kVariants, [&](const auto& v) {
            std::vector<float> got(m * ldc, 7.f);
            pgemm::gemm(a.data(), m, lda, pb, got.data(), ldc, v.isa);
            TF_CHECK(tf::test::same_bits(got.data(), want.data(), got.size()));  // padding column untouched too
          });
        }
        tf::set_num_threads(0);
      }
}

TF_TEST(packed_b_bad_input) {
  std::vector<float> b(16, 1.f);
  TF_CHECK_THROWS_CODE(pgemm::pack_b(b.data(), 0, 4, 4), "BAD_INPUT");
  TF_CHECK_THROWS_CODE(pgemm::pack_b(b.data(), 2, 8, 4), "BAD_INPUT");
}

TF_TEST_MAIN
