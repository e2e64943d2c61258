// Magnitude group: every ISA's inner loops against the scalar reference (bit-exact), the
// k-th largest selection against a sort, global threshold + mask semantics, NaN errors.
#include <algorithm>
#include <limits>
#include <vector>

#include "common/float_bits.h"
#include "common/parallel.h"
#include "kernels/magnitude/kernels.h"
#include "kernels/magnitude/variants.h"
#include "kernels/magnitude/magnitude.h"
#include "test_util.h"

using namespace tf;
using tf::test::Rng;

namespace {

std::vector<float> special_mix(size_t n, uint64_t seed) {
  Rng r(seed);
  std::vector<float> v = r.floats(n, -2.f, 2.f);
  for (size_t i = 0; i < n; i += 7) v[i] = 0.f;
  for (size_t i = 3; i < n; i += 11) v[i] = -0.f;
  for (size_t i = 5; i < n; i += 13) v[i] = -v[i > 0 ? i - 1 : 0];  // equal magnitudes
  if (n > 9) v[9] = std::numeric_limits<float>::infinity();
  if (n > 4) v[4] = -std::numeric_limits<float>::infinity();
  if (n > 2) v[2] = std::numeric_limits<float>::denorm_min();
  return v;
}

// Sort-based reference: all |w| keys ascending (sorted once per data set; sorting is the slow
// part of this test under qemu and ASan).
std::vector<uint32_t> sorted_keys(const std::vector<std::vector<float>>& ts) {
  std::vector<uint32_t> keys;
  for (auto& t : ts)
    for (float x : t) keys.push_back(abs_key(x));
  std::sort(keys.begin(), keys.end());
  return keys;
}

mag::KthResult kth_ref(const std::vector<uint32_t>& keys, uint64_t k) {
  uint32_t v = keys[keys.size() - k];
  mag::KthResult r;
  r.value = bits_float(v);
  r.below = uint64_t(std::lower_bound(keys.begin(), keys.end(), v) - keys.begin());
  r.equal = uint64_t(std::upper_bound(keys.begin(), keys.end(), v) - keys.begin()) - r.below;
  return r;
}

std::vector<mag::Tensor> views(const std::vector<std::vector<float>>& ts) {
  std::vector<mag::Tensor> out;
  for (auto& t : ts) out.push_back({t.data(), t.size()});
  return out;
}

void check_kth(const std::vector<std::vector<float>>& ts, const std::vector<uint32_t>& keys, uint64_t k) {
  auto ref = kth_ref(keys, k);
  auto got = mag::kth_largest_abs(views(ts), k);
  TF_CHECK_EQ(float_bits(got.value), float_bits(ref.value));
  TF_CHECK_EQ(got.below, ref.below);
  TF_CHECK_EQ(got.equal, ref.equal);
}

void check_kth(const std::vector<std::vector<float>>& ts, uint64_t k) { check_kth(ts, sorted_keys(ts), k); }

}  // namespace

TF_TEST(kernels_match_reference) {
  const mag::Kernels& ref = mag::kScalar;
  for (size_t n : tf::test::lengths()) {
    auto w = special_mix(n, n + 1);
    std::vector<uint32_t> keys;
    for (float x : w) keys.push_back(abs_key(x));
    std::sort(keys.begin(), keys.end());
    uint32_t t = n ? keys[n / 2] : 1;
    uint32_t lo = n ? keys[n / 4] : 0, hi = n ? keys[3 * n / 4] : 0;
    tf::test::for_each_variant(mag::kVariants, [&](const auto& v) {
      const mag::Kernels& k = *v.fns;
      // band
      std::vector<uint32_t> out_r(n + 16), out_k(n + 16);
      mag::BandCounts cr, ck;
      size_t nr = ref.band(w.data(), n, lo, hi, out_r.data(), &cr);
      size_t nk = k.band(w.data(), n, lo, hi, out_k.data(), &ck);
      TF_CHECK_EQ(nr, nk);
      TF_CHECK(std::equal(out_r.begin(), out_r.begin() + nr, out_k.begin()));
      TF_CHECK_EQ(cr.below, ck.below);
      TF_CHECK_EQ(cr.eq_lo, ck.eq_lo);
      TF_CHECK_EQ(cr.eq_hi, ck.eq_hi);
      TF_CHECK_EQ(cr.max_key, ck.max_key);
      // lo == hi
      mag::BandCounts c1, c2;
      TF_CHECK_EQ(ref.band(w.data(), n, t, t, out_r.data(), &c1), k.band(w.data(), n, t, t, out_k.data(), &c2));
      TF_CHECK_EQ(c1.eq_lo, c2.eq_lo);
      TF_CHECK_EQ(c1.eq_hi, c2.eq_hi);
      // mask_ge, for several thresholds including 0 and above +inf
      for (uint32_t th : {uint32_t(0), uint32_t(1), t, kInfKey, kInfKey + 1}) {
        std::vector<uint8_t> mr(n, 7), mk(n, 7);
        TF_CHECK_EQ(ref.mask_ge(w.data(), n, th, mr.data(), nullptr), k.mask_ge(w.data(), n, th, mk.data(), nullptr));
        TF_CHECK(mr == mk);
        // the same with tie positions noted (a small cap: past it only the count grows)
        std::vector<uint64_t> pr(5), pk(5);
        mag::TieList tr, tk;
        tr.pos = pr.data(), tk.pos = pk.data(), tr.cap = tk.cap = pr.size(), tr.base = tk.base = 1000;
        TF_CHECK_EQ(ref.mask_ge(w.data(), n, th, mr.data(), &tr), k.mask_ge(w.data(), n, th, mk.data(), &tk));
        TF_CHECK(mr == mk);
        TF_CHECK_EQ(tr.count, tk.count);
        TF_CHECK_EQ(tr.len, tk.len);
        TF_CHECK(pr == pk);
        // prune_lt in place
        auto wr = w, wk = w;
        TF_CHECK_EQ(ref.prune_lt(wr.data(), n, th, nullptr), k.prune_lt(wk.data(), n, th, nullptr));
        TF_CHECK(tf::test::same_bits(wr.data(), wk.data(), n));
        wr = w, wk = w;
        mag::TieList ur, uk;
        ur.pos = pr.data(), uk.pos = pk.data(), ur.cap = uk.cap = pr.size();
        TF_CHECK_EQ(ref.prune_lt(wr.data(), n, th, &ur), k.prune_lt(wk.data(), n, th, &uk));
        TF_CHECK(tf::test::same_bits(wr.data(), wk.data(), n));
        TF_CHECK_EQ(ur.count, uk.count);
        TF_CHECK(pr == pk);
        // apply_mask with that mask, mask bytes other than 0/1 count as keep
        for (size_t i = 0; i < n; i += 5) mr[i] = mr[i] ? 200 : 0;
        auto ar = w, ak = w;
        ref.apply_mask(ar.data(), mr.data(), n);
        k.apply_mask(ak.data(), mr.data(), n);
        TF_CHECK(tf::test::same_bits(ar.data(), ak.data(), n));
        TF_CHECK_EQ(ref.nonzero_u8(mr.data(), n), k.nonzero_u8(mr.data(), n));
      }
      TF_CHECK_EQ(ref.nonzero_f32(w.data(), n), k.nonzero_f32(w.data(), n));
    });
  }
}

TF_TEST(nan_is_seen_by_every_variant) {
  for (size_t n : {1, 17, 100, 1025}) {
    auto w = special_mix(n, 3);
    w[n - 1] = std::numeric_limits<float>::quiet_NaN();
    tf::test::for_each_variant(mag::kVariants, [&](const auto& v) {
      const mag::Kernels& k = *v.fns;
      std::vector<uint8_t> m(n);
      TF_CHECK(key_is_nan(k.mask_ge(w.data(), n, 5, m.data(), nullptr)));
      std::vector<uint32_t> out(n + 16);
      mag::BandCounts c;
      k.band(w.data(), n, 0, kAbsMask, out.data(), &c);
      TF_CHECK(key_is_nan(c.max_key));
      TF_CHECK_THROWS_CODE(mag::kth_largest_abs({{w.data(), n}}, 1), "BAD_INPUT");
      TF_CHECK_THROWS_CODE(mag::build_mask(w.data(), n, 0.5f, 0, m.data()), "BAD_INPUT");
    });
  }
}

TF_TEST(kth_small_and_ties) {
  tf::test::for_each_variant(mag::kVariants, [&](const auto&) {
    for (size_t n : {1, 2, 5, 16, 33, 1000}) {
      std::vector<std::vector<float>> ts = {special_mix(n, 11), special_mix(n / 2 + 1, 12)};
      uint64_t total = ts[0].size() + ts[1].size();
      const auto keys = sorted_keys(ts);
      for (uint64_t k : {uint64_t(1), total / 3 + 1, total / 2 + 1, total})
        check_kth(ts, keys, k);
    }
    // All equal, all zero.
    std::vector<std::vector<float>> zeros = {std::vector<float>(100, 0.f), std::vector<float>(50, -0.f)};
    check_kth(zeros, 1);
    check_kth(zeros, 150);
    TF_CHECK_THROWS_CODE(mag::kth_largest_abs(views(zeros), 0), "BAD_INPUT");
    TF_CHECK_THROWS_CODE(mag::kth_largest_abs(views(zeros), 151), "BAD_INPUT");
  });
}

TF_TEST(kth_large_sampled) {
  // Above the small-size cut-off the sampled band is used; tensors with very different
  // scales and a quantised one (few distinct values, massive ties) stress the band.
  Rng r(77);
  std::vector<std::vector<float>> ts(4);
  ts[0].resize(150000);
  for (auto& x : ts[0]) x = r.normal() * 0.02f;
  ts[1].resize(100001);
  for (auto& x : ts[1]) x = r.normal() * 1.5f;
  ts[2].resize(40000);
  for (auto& x : ts[2]) x = float(int(r.uniform(-8, 8))) * 0.125f;
  ts[3] = special_mix(70001, 5);
  uint64_t total = 0;
  for (auto& t : ts) total += t.size();
  const auto keys = sorted_keys(ts);
  for (size_t threads : {1, 3}) {
    tf::set_num_threads(threads);
    tf::test::for_each_variant(mag::kVariants, [&](const auto&) {
      for (double q : {0.0, 0.1, 0.5, 0.9, 0.999})
        check_kth(ts, keys, std::max<uint64_t>(1, total - uint64_t(q * double(total))));
    });
  }
  tf::set_num_threads(0);
}

TF_TEST(kth_fallback_exact) {
  // Make the sampled cache lines lie: they hold large values, the rest is small, so the band
  // misses the rank and the radix fallback must still answer exactly.
  const size_t n = 300000;
  std::vector<float> w(n);
  Rng r(5);
  for (auto& x : w) x = r.uniform(0.f, 1e-3f);
  for (size_t i = 0; i < 4096; ++i) {
    size_t p = size_t((i + 0.5) * double(n) / 4096.0) & ~size_t(15);
    p = std::min(p, n - 16);
    for (size_t j = 0; j < 16; ++j) w[p + j] = 1000.f + float(j);
  }
  std::vector<std::vector<float>> ts = {w};
  const auto keys = sorted_keys(ts);
  tf::test::for_each_variant(mag::kVariants, [&](const auto&) {
    auto got = mag::kth_largest_abs(views(ts), n / 2);
    TF_CHECK(got.fallback);
    check_kth(ts, keys, n / 2);
    check_kth(ts, keys, 1);
  });
}

TF_TEST(global_threshold_prunes_exactly) {
  Rng r(9);
  std::vector<std::vector<float>> ts = {special_mix(3000, 1), std::vector<float>(500, 0.f), r.floats(270000)};
  uint64_t total = 0;
  for (auto& t : ts) total += t.size();
  tf::test::for_each_variant(mag::kVariants, [&](const auto&) {
    for (double s : {0.0, 0.1, 0.5, 0.95}) {
      auto g = mag::global_threshold(views(ts), s);
      TF_CHECK_EQ(g.prune_count, uint64_t(s * double(total)));
      uint64_t ties = g.ties_to_prune, pruned = 0;
      for (auto& t : ts) {
        std::vector<uint8_t> m(t.size());
        ties -= mag::build_mask(t.data(), t.size(), g.threshold, ties, m.data());
        pruned += t.size() - mag::count_nonzero_mask(m.data(), m.size());
        auto w = t;
        mag::apply_mask(w.data(), m.data(), w.size());
        for (size_t i = 0; i < w.size(); ++i)
          if (!m[i]) TF_CHECK(w[i] == 0.f);
      }
      TF_CHECK_EQ(ties, uint64_t(0));
      TF_CHECK_EQ(pruned, g.prune_count);
      // prune_by_threshold over the tensors in order agrees with the masks.
      uint64_t budget = g.ties_to_prune;
      for (auto& t : ts) {
        auto w = t;
        std::vector<uint8_t> m(t.size());
        uint64_t b2 = budget;
        mag::build_mask(t.data(), t.size(), g.threshold, b2, m.data());
        budget -= mag::prune_by_threshold(w.data(), w.size(), g.threshold, budget);
        for (size_t i = 0; i < w.size(); ++i)
          TF_CHECK(m[i] ? float_bits(w[i]) == float_bits(t[i]) : w[i] == 0.f);
      }
    }
  });
  TF_CHECK_THROWS_CODE(mag::global_threshold(views(ts), 1.0), "BAD_INPUT");
  TF_CHECK_THROWS_CODE(mag::global_threshold(views(ts), -0.1), "BAD_INPUT");
  TF_CHECK_THROWS_CODE(mag::global_threshold(views(ts), std::numeric_limits<double>::quiet_NaN()), "BAD_INPUT");
  auto empty = mag::global_threshold({}, 0.5);
  TF_CHECK_EQ(empty.total, uint64_t(0));
}

TF_TEST(tie_pruning_follows_index_order) {
  // Many equal magnitudes spread over every part of the parallel pass: the first `ties` of
  // them (index order) are pruned, whether the noted positions suffice or a part is rescanned.
  const size_t n = 1 << 20;
  Rng r(31);
  std::vector<float> w = r.floats(n, -1.f, 1.f);
  for (size_t i = 0; i < n; i += 3) w[i] = (i & 1) ? -0.25f : 0.25f;
  const uint32_t t = abs_key(0.25f);
  for (size_t threads : {1, 2, 3}) {
    tf::set_num_threads(threads);
    tf::test::for_each_variant(mag::kVariants, [&](const auto&) {
      for (uint64_t ties : {uint64_t(0), uint64_t(1), uint64_t(7), uint64_t(100000), uint64_t(n / 3 + 1)}) {
        std::vector<uint8_t> m(n);
        auto wp = w;
        const uint64_t got = mag::build_mask(w.data(), n, 0.25f, ties, m.data());
        TF_CHECK_EQ(got, mag::prune_by_threshold(wp.data(), n, 0.25f, ties));
        uint64_t seen = 0;
        bool ok = true;
        for (size_t i = 0; i < n; ++i) {
          const uint32_t k = abs_key(w[i]);
          bool keep = k > t || (k == t && seen++ >= ties);
          ok = ok && m[i] == uint8_t(keep) && (keep ? float_bits(wp[i]) == float_bits(w[i]) : wp[i] == 0.f);
        }
        TF_CHECK(ok);
        TF_CHECK_EQ(got, std::min<uint64_t>(ties, seen));
      }
    });
  }
  tf::set_num_threads(0);
}

TF_TEST(count_nonzero_matches) {
  for (size_t n : tf::test::lengths(300001)) {
    auto w = special_mix(n, 21);
    uint64_t ref = 0;
    for (float x : w) ref += x != 0.f;
    tf::test::for_each_variant(mag::kVariants, [&](const auto&) { TF_CHECK_EQ(mag::count_nonzero(w.data(), n), ref); });
  }
}

TF_TEST(cancel_stops_the_pass) {
  std::vector<float> w(1 << 20, 1.f);
  tf::JobControl ctl;
  ctl.cancel();
  TF_CHECK_THROWS_CODE(mag::kth_largest_abs({{w.data(), w.size()}}, 5, &ctl), "CANCELLED");
}

TF_TEST_MAIN
