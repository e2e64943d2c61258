// Quantization: every ISA bit-identical to the scalar reference (int8 both axes, int4 both
// modes, tails), rounding half to even, round-trip error within half a step, NaN/Inf errors.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "common/parallel.h"
#include "kernels/quant/kernels.h"
#include "kernels/quant/variants.h"
#include "kernels/quant/quant.h"
#include "test_util.h"

using namespace tf;

namespace {

std::vector<float> weights(size_t n, uint64_t seed) {
  tf::test::Rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = r.normal() * 0.05f;
  for (size_t i = 0; i < n; i += 13) v[i] = 0.f;
  for (size_t i = 6; i < n; i += 29) v[i] = -0.f;
  return v;
}

struct Int8Out {
  std::vector<int8_t> q;
  std::vector<float> s;
};

Int8Out q8(const std::vector<float>& w, size_t rows, size_t cols, int axis) {
  Int8Out o{std::vector<int8_t>(w.size(), 99), std::vector<float>(axis == 0 ? rows : cols, -1.f)};
  quant::quantize_int8(w.data(), rows, cols, axis, o.q.data(), o.s.data());
  return o;
}

}  // namespace

TF_TEST(int8_matches_reference_on_every_isa) {
  const std::pair<size_t, size_t> shapes[] = {{1, 1}, {3, 7}, {16, 16}, {5, 33}, {33, 5}, {2, 100}, {64, 257}, {0, 4}, {4, 0}, {700, 300}};
  for (auto [rows, cols] : shapes)
    for (int axis : {0, 1}) {
      auto w = weights(rows * cols, rows * 1000 + cols);
      force_isa(Isa::Scalar);
      Int8Out ref = q8(w, rows, cols, axis);
      std::vector<float> dref(w.size());
      quant::dequantize_int8(ref.q.data(), ref.s.data(), rows, cols, axis, dref.data());
      tf::test::for_each_variant(quant::kVariants, [&](const auto&) {
        Int8Out got = q8(w, rows, cols, axis);
        TF_CHECK(got.q == ref.q);
        TF_CHECK(tf::test::same_bits(got.s.data(), ref.s.data(), got.s.size()));
        std::vector<float> d(w.size());
        quant::dequantize_int8(got.q.data(), got.s.data(), rows, cols, axis, d.data());
        TF_CHECK(tf::test::same_bits(d.data(), dref.data(), d.size()));
        // Round trip within half a step of the channel's scale.
        for (size_t i = 0; i < w.size(); ++i) {
          float s = got.s[axis == 0 ? i / cols : i % cols];
          if (!(std::fabs(d[i] - w[i]) <= 0.5f * s * 1.0001f)) {
            tf::test::fail(__FILE__, __LINE__, "round trip error too large at " + std::to_string(i));
            break;
          }
        }
      });
    }
}

TF_TEST(int8_kernels_direct_lengths) {
  for (size_t n : tf::test::lengths()) {
    auto x = weights(n, n + 3);
    std::vector<float> scales(n);
    for (size_t i = 0; i < n; ++i) scales[i] = 0.001f + 0.0001f * float(i % 7);
    std::vector<int8_t> r1(n), r2(n), g1(n), g2(n);
    std::vector<float> d1(n), d2(n), e1(n), e2(n);
    quant::kScalar.q8_scalar_scale(x.data(), n, 0.0007f, r1.data());
    quant::kScalar.q8_vector_scale(x.data(), n, scales.data(), r2.data());
    quant::kScalar.dq8_scalar_scale(r1.data(), n, 0.0007f, d1.data());
    quant::kScalar.dq8_vector_scale(r2.data(), n, scales.data(), d2.data());
    std::vector<uint32_t> cr(n, 5), cg(n, 5);
    quant::kScalar.colmax_key(x.data(), n, cr.data());
    uint32_t ar = quant::kScalar.amax_key(x.data(), n);
    tf::test::for_each_variant(quant::kVariants, [&](const auto& v) {
      const auto& k = *v.fns;
      k.q8_scalar_scale(x.data(), n, 0.0007f, g1.data());
      k.q8_vector_scale(x.data(), n, scales.data(), g2.data());
      TF_CHECK(g1 == r1);
      TF_CHECK(g2 == r2);
      k.dq8_scalar_scale(r1.data(), n, 0.0007f, e1.data());
      k.dq8_vector_scale(r2.data(), n, scales.data(), e2.data());
      TF_CHECK(tf::test::same_bits(e1.data(), d1.data(), n));
      TF_CHECK(tf::test::same_bits(e2.data(), d2.data(), n));
      std::fill(cg.begin(), cg.end(), 5u);
      k.colmax_key(x.data(), n, cg.data());
      TF_CHECK(cg == cr);
      TF_CHECK_EQ(k.amax_key(x.data(), n), ar);
    });
  }
}

TF_TEST(int8_rounds_half_to_even_and_saturates) {
  // Channel max 127 -> scale exactly 1: x.5 values round to even.
  std::vector<float> w = {127.f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f};
  std::vector<int8_t> q(w.size());
  std::vector<float> s(1);
  tf::test::for_each_variant(quant::kVariants, [&](const auto&) {
    quant::quantize_int8(w.data(), 1, w.size(), 0, q.data(), s.data());
    TF_CHECK_EQ(s[0], 1.f);
    const int8_t want[] = {127, 0, 2, 2, 0, -2, -2, 126};
    for (size_t i = 0; i < w.size(); ++i) TF_CHECK_EQ(int(q[i]), int(want[i]));
  });
  // All-zero channel: scale 1, q 0.
  std::vector<float> z(8, 0.f);
  quant::quantize_int8(z.data(), 1, 8, 0, q.data(), s.data());
  TF_CHECK_EQ(s[0], 1.f);
}

TF_TEST(int4_matches_reference_on_every_isa) {
  for (size_t group : {32, 64, 128})
    for (auto [rows, cols] : {std::pair<size_t, size_t>{1, 128}, {3, 256}, {17, 384}, {0, 128}, {100, 512}})
      for (bool sym : {true, false}) {
        auto w = weights(rows * cols, group + rows + cols);
        size_t ng = rows * cols / group;
        force_isa(Isa::Scalar);
        std::vector<uint8_t> pr(rows * cols / 2), zr(ng);
        std::vector<float> sr(ng), dr(rows * cols);
        quant::quantize_int4(w.data(), rows, cols, group, sym, pr.data(), sr.data(), zr.data());
        quant::dequantize_int4(pr.data(), sr.data(), sym ? nullptr : zr.data(), rows, cols, group, dr.data());
        tf::test::for_each_variant(quant::kVariants, [&](const auto&) {
          std::vector<uint8_t> p(pr.size(), 0xAA), z(ng, 0xAA);
          std::vector<float> s(ng), d(rows * cols);
          quant::quantize_int4(w.data(), rows, cols, group, sym, p.data(), s.data(), z.data());
          TF_CHECK(p == pr);
          TF_CHECK(tf::test::same_bits(s.data(), sr.data(), ng));
          if (!sym) TF_CHECK(z == zr);
          quant::dequantize_int4(p.data(), s.data(), sym ? nullptr : z.data(), rows, cols, group, d.data());
          TF_CHECK(tf::test::same_bits(d.data(), dr.data(), d.size()));
          for (size_t i = 0; i < w.size(); ++i) {
            if (!(std::fabs(d[i] - w[i]) <= 0.5f * s[i / group] * 1.0001f)) {
              tf::test::fail(__FILE__, __LINE__, "int4 round trip error at " + std::to_string(i));
              break;
            }
          }
        });
      }
}

TF_TEST(int4_layout_is_matmulnbits) {
  // One group of 32: values k * scale for k = -7..7 pattern; symmetric zp = 8, low nibble first.
  std::vector<float> w(32);
  for (size_t i = 0; i < 32; ++i) w[i] = float(int(i % 15) - 7);
  std::vector<uint8_t> p(16), z(1);
  std::vector<float> s(1);
  quant::quantize_int4(w.data(), 1, 32, 32, true, p.data(), s.data(), z.data());
  TF_CHECK_EQ(s[0], 1.f);
  TF_CHECK_EQ(int(p[0]), int(((-7 + 8) & 15) | (((-6 + 8) & 15) << 4)));
  // Asymmetric: all positive -> range [0, max], zp 0.
  for (size_t i = 0; i < 32; ++i) w[i] = float(i % 16);
  quant::quantize_int4(w.data(), 1, 32, 32, false, p.data(), s.data(), z.data());
  TF_CHECK_EQ(s[0], 1.f);
  TF_CHECK_EQ(int(z[0]), 0);
  TF_CHECK_EQ(int(p[1]), int(2 | (3 << 4)));
  uint8_t zp_in[5] = {1, 2, 3, 4, 5}, zp_out[6];
  quant::pack_zero_points_int4(zp_in, 1, 5, zp_out);
  TF_CHECK_EQ(int(zp_out[0]), 0x21);
  TF_CHECK_EQ(int(zp_out[2]), 0x05);
}

TF_TEST(quant_errors) {
  std::vector<float> w(128, 1.f);
  std::vector<int8_t> q(128);
  std::vector<uint8_t> p(64), z(4);
  std::vector<float> s(128);
  TF_CHECK_THROWS_CODE(quant::quantize_int4(w.data(), 1, 128, 48, true, p.data(), s.data(), z.data()), "BAD_INPUT");
  TF_CHECK_THROWS_CODE(quant::quantize_int4(w.data(), 2, 64, 128, true, p.data(), s.data(), z.data()), "BAD_INPUT");
  TF_CHECK_THROWS_CODE(quant::quantize_int8(w.data(), 1, 128, 2, q.data(), s.data()), "BAD_INPUT");
  tf::test::for_each_variant(quant::kVariants, [&](const auto&) {
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      w[77] = bad;
      TF_CHECK_THROWS_CODE(quant::quantize_int8(w.data(), 1, 128, 0, q.data(), s.data()), "BAD_INPUT");
      TF_CHECK_THROWS_CODE(quant::quantize_int8(w.data(), 4, 32, 1, q.data(), s.data()), "BAD_INPUT");
      TF_CHECK_THROWS_CODE(quant::quantize_int4(w.data(), 1, 128, 32, false, p.data(), s.data(), z.data()), "BAD_INPUT");
      w[77] = 1.f;
    }
  });
}

TF_TEST_MAIN
