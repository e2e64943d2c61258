// Infrastructure: dispatch, parallel_for, job control.
#include <atomic>
#include <cstdlib>
#include <string>

#include "common/error.h"
#include "common/job.h"
#include "common/parallel.h"
#include "test_util.h"

TF_TEST(isa_detection) {
  auto isas = tf::available_isas();
  TF_CHECK(!isas.empty());
  TF_CHECK(isas[0] == tf::Isa::Scalar);
  TF_CHECK(tf::isa_available(tf::active_isa()));
#if defined(__aarch64__)
  TF_CHECK(tf::isa_available(tf::Isa::Neon));
  TF_CHECK(!tf::isa_available(tf::Isa::Avx2));
#else
  TF_CHECK(!tf::isa_available(tf::Isa::Neon));
#endif
  tf::Isa parsed;
  TF_CHECK(tf::parse_isa("avx512", &parsed) && parsed == tf::Isa::Avx512);
  TF_CHECK(!tf::parse_isa("sse", &parsed));
}

TF_TEST(isa_list_names_parse_and_rank) {
  for (const tf::IsaInfo& i : tf::kIsas) {
    tf::Isa parsed;
    TF_CHECK(tf::parse_isa(i.name, &parsed) && parsed == i.isa);
    TF_CHECK(std::string(tf::isa_name(i.isa)) == i.name);
    TF_CHECK(tf::isa_names().find(i.name) != std::string::npos);
    if (i.isa != tf::Isa::Scalar) TF_CHECK(tf::isa_info(i.fallback).rank < i.rank);
    if (!i.built) TF_CHECK(!tf::isa_available(i.isa));
  }
  auto isas = tf::available_isas();
  for (size_t k = 1; k < isas.size(); ++k) TF_CHECK(tf::isa_info(isas[k - 1]).rank <= tf::isa_info(isas[k]).rank);
}

// A list with gaps: select() falls back along kIsas' fallbacks to the scalar entry, never to a
// variant this CPU cannot run.
TF_TEST(select_falls_back_along_the_isa_list) {
  static constexpr tf::Variant<int> only_scalar[] = {{tf::Isa::Scalar, "s", 0}};
  static constexpr tf::Variant<int> with_avx512[] = {{tf::Isa::Scalar, "s", 0}, {tf::Isa::Avx512, "z", 2}};
  static constexpr tf::Variant<int> with_avx2[] = {{tf::Isa::Scalar, "s", 0}, {tf::Isa::Avx2, "y", 1}};
  static constexpr tf::Variant<int> with_neon[] = {{tf::Isa::Scalar, "s", 0}, {tf::Isa::Neon, "n", 3}};
  for (const tf::IsaInfo& i : tf::kIsas) TF_CHECK_EQ(tf::select(only_scalar, i.isa), 0);
  TF_CHECK_EQ(tf::select(with_avx512, tf::Isa::Avx2), 0);  // a lower ISA never runs a higher variant
  TF_CHECK_EQ(tf::select(with_avx512, tf::Isa::Avx512), tf::isa_available(tf::Isa::Avx512) ? 2 : 0);
  TF_CHECK_EQ(tf::select(with_avx2, tf::Isa::Avx512), tf::isa_available(tf::Isa::Avx2) ? 1 : 0);
  TF_CHECK_EQ(tf::select(with_neon, tf::Isa::Neon), tf::isa_available(tf::Isa::Neon) ? 3 : 0);
  TF_CHECK_EQ(tf::select(with_neon, tf::Isa::Avx512), 0);
  int seen = 0;
  tf::for_each_available(with_avx2, [&](const tf::Variant<int>& v) { seen += 1 + v.fns * 10; });
  TF_CHECK_EQ(seen, tf::isa_available(tf::Isa::Avx2) ? 12 : 1);
}

TF_TEST(force_isa) {
  tf::test::for_each_isa([](tf::Isa isa) { TF_CHECK(tf::active_isa() == isa); });
#if defined(__aarch64__)
  TF_CHECK_THROWS_CODE(tf::force_isa(tf::Isa::Avx2), "UNSUPPORTED");
#else
  TF_CHECK_THROWS_CODE(tf::force_isa(tf::Isa::Neon), "UNSUPPORTED");
#endif
}

TF_TEST(parallel_for_covers_range) {
  for (size_t threads : {1, 2, 3, 8}) {
    tf::set_num_threads(threads);
    for (size_t n : {0, 1, 5, 100, 1001}) {
      std::vector<std::atomic<int>> hits(n);
      tf::parallel_for(n, 7, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < n; ++i) TF_CHECK_EQ(hits[i].load(), 1);
    }
  }
  tf::set_num_threads(0);
}

TF_TEST(parallel_for_rethrows) {
  tf::set_num_threads(4);
  bool caught = false;
  try {
    tf::parallel_for(100, 1, [](size_t b, size_t) {
      if (b > 0) throw tf::Cancelled();
    });
  } catch (const tf::Cancelled&) {
    caught = true;
  }
  TF_CHECK(caught);
  tf::set_num_threads(0);
}

TF_TEST(job_control_progress_in_order) {
  std::vector<uint64_t> seen;
  tf::JobControl ctl([&](uint64_t done, uint64_t, const char*) { seen.push_back(done); });
  ctl.progress(1, 10, "a");
  ctl.progress(5, 10, "a");
  ctl.progress(3, 10, "a");  // stale: dropped
  ctl.progress(0, 4, "b");   // a new stage starts at 0
  TF_CHECK_EQ(seen.size(), size_t(3));
  std::atomic<bool> flag{false};
  ctl.set_cancel_source(&flag);
  tf::check(&ctl);
  flag = true;
  TF_CHECK_THROWS_CODE(tf::check(&ctl), "CANCELLED");
}

TF_TEST_MAIN
