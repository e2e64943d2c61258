// 2:4 packed products: pack/unpack round trip, fp16 conversion against the hardware, every
// ISA's GEMV and GEMM bit-exact against the scalar reference, the reference close to a double
// dot product, bad input named.
#include <cmath>
#include <limits>
#include <vector>

#include "common/float_bits.h"
#include "common/parallel.h"
#include "kernels/sp24/sp24.h"
#include "kernels/sp24/variants.h"
#include "kernels/sparse_formats/sparse_formats.h"
#include "test_util.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace tf;
using tf::test::Rng;

namespace {

#if defined(__x86_64__)
// The hardware conversions (F16C), compiled for that ISA only.
__attribute__((target("f16c"))) uint16_t hw_to_half(float x) { return uint16_t(_cvtss_sh(x, _MM_FROUND_TO_NEAREST_INT)); }
__attribute__((target("f16c"))) float hw_from_half(uint16_t h) { return _cvtsh_ss(h); }
#endif

// A dense [rows, cols] matrix, 2:4 along rows: each group keeps 2 (sometimes 1 or 0) values.
std::vector<float> dense24(size_t rows, size_t cols, uint64_t seed) {
  Rng r(seed);
  std::vector<float> w(rows * cols, 0.f);
  for (size_t g = 0; g < rows * cols / 4; ++g) {
    const unsigned a = unsigned(r.next() % 4), b = unsigned((a + 1 + r.next() % 3) % 4);
    const unsigned kind = unsigned(r.next() % 16);
    if (kind != 0) w[4 * g + a] = r.uniform(-2.f, 2.f);
    if (kind > 1) w[4 * g + b] = r.uniform(-2.f, 2.f);
  }
  return w;
}

}  // namespace

TF_TEST(half_conversion_matches_hardware) {
  Rng r(3);
  std::vector<float> xs = {0.f, -0.f, 1.f, -1.f, 65504.f, 65519.f, 65520.f, 1e-8f, 5.96e-8f, 2.98e-8f, 2.99e-8f,
                           6.1e-5f, 6.09e-5f, 3.0517578e-05f, std::numeric_limits<float>::infinity()};
  for (int i = 0; i < 200000; ++i) xs.push_back(r.uniform(-1.f, 1.f) * std::ldexp(1.f, int(r.next() % 44) - 28));
  for (float x : xs) {
    const uint16_t h = sp24::float_to_half(x);
    const float back = sp24::half_to_float(h);
    if (std::fabs(x) < 65520.f) TF_CHECK(std::fabs(back - x) <= std::ldexp(std::fabs(x), -11) + 3e-8f);
#if defined(__x86_64__)
    if (__builtin_cpu_supports("f16c")) {
      TF_CHECK_EQ(h, hw_to_half(x));
      TF_CHECK_EQ(float_bits(back), float_bits(hw_from_half(h)));
    }
#endif
  }
}

TF_TEST(pack_round_trip) {
  for (auto type : {sp24::Values::F32, sp24::Values::F16})
    for (size_t cols : {size_t(4), size_t(8), size_t(12), size_t(16), size_t(40), size_t(44), size_t(64)}) {
      auto w = dense24(5, cols, cols);
      auto p = sp24::pack(w.data(), 5, cols, type);
      TF_CHECK_EQ(p.idx.size(), 5 * ((cols / 4 + 1) / 2));
      if (type == sp24::Values::F32) {
        // The same bytes as the .twsp 2:4 packer.
        std::vector<float> vals(5 * cols / 2);
        std::vector<uint8_t> meta(p.idx.size());
        sparse::pack24(w.data(), 5, cols, vals.data(), meta.data());
        TF_CHECK(meta == p.idx);
        TF_CHECK(tf::test::same_bits(vals.data(), p.f32.data(), vals.size()));
      }
      sp24::validate_idx(p.view());
      auto d = sp24::unpack(p.view());
      for (size_t i = 0; i < w.size(); ++i) {
        const float want = type == sp24::Values::F32 ? w[i] : sp24::half_to_float(sp24::float_to_half(w[i]));
        TF_CHECK(d[i] == want);
      }
    }
}

TF_TEST(products_bit_exact_all_isas) {
  for (auto type : {sp24::Values::F32, sp24::Values::F16})
    for (size_t cols : {size_t(4), size_t(8), size_t(12), size_t(24), size_t(32), size_t(36), size_t(40), size_t(96), size_t(1000), size_t(4096)})
      for (size_t rows : {size_t(1), size_t(3), size_t(9), size_t(37)})
        for (size_t batch : {size_t(1), size_t(2), size_t(16), size_t(17), size_t(40)}) {
          if (cols == 4096 && batch > 2) continue;
          auto wd = dense24(rows, cols, rows * 131 + cols);
          auto p = sp24::pack(wd.data(), rows, cols, type);
          Rng r(batch + cols);
          auto x = r.floats(batch * cols);
          std::vector<float> want(batch * rows);
          sp24::gemm_ref(p.view(), x.data(), batch, want.data());
          // The reference is a correct product: compare with a double dot product.
          auto dense = sp24::unpack(p.view());
          for (size_t b = 0; b < batch; ++b)
            for (size_t o = 0; o < rows; ++o) {
              double acc = 0, mag = 0;
              for (size_t c = 0; c < cols; ++c)
                acc += double(dense[o * cols + c]) * x[b * cols + c], mag += std::fabs(double(dense[o * cols + c]) * x[b * cols + c]);
              TF_CHECK(std::fabs(double(want[b * rows + o]) - acc) <= 1e-6 * mag + 1e-30);
            }
          for (size_t threads : {size_t(1), size_t(2)}) {
            tf::set_num_threads(threads);
            tf::test::for_each_variant(sp24::kVariants, [&](const auto& v) {
              std::vector<float> got(batch * rows + 1, std::numeric_limits<float>::quiet_NaN());
              got.back() = 7.f;
              sp24::gemm(p.view(), x.data(), batch, got.data(), v.isa);
              TF_CHECK(got.back() == 7.f);
              TF_CHECK(tf::test::same_bits(got.data(), want.data(), want.size()));
            });
          }
          tf::set_num_threads(0);
        }
}

TF_TEST(bad_input_is_named) {
  std::vector<float> w(16, 1.f);
  TF_CHECK_THROWS_CODE(sp24::pack(w.data(), 2, 8, sp24::Values::F32), "BAD_INPUT");  // 4 nonzeros per group
  TF_CHECK_THROWS_CODE(sp24::pack(w.data(), 1, 10, sp24::Values::F32), "BAD_INPUT");  // cols % 4
  std::vector<float> big(8, 0.f);
  big[0] = 1e6f;
  TF_CHECK_THROWS_CODE(sp24::pack(big.data(), 1, 8, sp24::Values::F16), "BAD_INPUT");
  big[0] = std::numeric_limits<float>::quiet_NaN();
  TF_CHECK_THROWS_CODE(sp24::pack(big.data(), 1, 8, sp24::Values::F32), "BAD_INPUT");
  std::vector<float> vals(4, 1.f);
  std::vector<uint8_t> idx = {0x44};  // positions (0, 1) for group 0 but (0, 1) -> 0b0100 ok; group 1: 0b0100
  sp24::Packed p;
  p.rows = 1, p.cols = 8, p.values = vals.data(), p.idx = idx.data();
  sp24::validate_idx(p);
  idx[0] = 0x05;  // group 0: first 1, second 1
  TF_CHECK_THROWS_CODE(sp24::validate_idx(p), "BAD_INPUT");
}

TF_TEST_MAIN
