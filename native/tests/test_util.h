// A tiny test harness for the kernel tests (no framework: they also run under qemu and ASan).
//
//   TF_TEST(magnitude_threshold) { TF_CHECK(x == 3); TF_CHECK_EQ(a, b); TF_CHECK_NEAR(x, y, 1e-6); }
//   int main() { return tf::test::run_all(); }
//
// tf::test::for_each_variant(family::kVariants, fn) runs fn once per variant of a family's list
// with its ISA forced, so every variant is compared with the scalar reference; TF_SKIP(why)
// ends a case that cannot run here (skipped, not passed); tf::test::Rng gives reproducible data.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kernels/dispatch/variants.h"

namespace tf {
namespace test {

struct Case {
  const char* name;
  void (*fn)();
};
inline std::vector<Case>& cases() {
  static std::vector<Case> c;
  return c;
}
inline int& failures() {
  static int f = 0;
  return f;
}
inline std::string& context() {
  static std::string c;
  return c;
}
struct Register {
  Register(const char* name, void (*fn)()) { cases().push_back({name, fn}); }
};

inline void fail(const char* file, int line, const std::string& what) {
  if (failures() < 50)
    std::fprintf(stderr, "FAIL %s:%d [%s] %s\n", file, line, context().c_str(), what.c_str());
  ++failures();
}

// What the totals count: a case, or one variant of a case that loops over variants (each
// variant passes, fails or is skipped on its own: an ISA this CPU lacks is skipped, not passed).
enum class Outcome { Passed, Failed, Skipped };
struct Unit {
  std::string name;  // variant name, "" for the case itself
  Outcome outcome;
  std::string why;   // reason of a skip
};
struct CaseState {
  std::vector<Unit> units;
  int loop_failures = 0;  // failures counted inside variant loops
};
inline CaseState& case_state() {
  static CaseState s;
  return s;
}
// A loop may visit a variant several times (once per size): it fails if any visit failed, is
// skipped only if every visit was.
inline void note_unit(const std::string& name, Outcome o, const std::string& why = "") {
  for (Unit& u : case_state().units)
    if (u.name == name) {
      if (o == Outcome::Failed || (o == Outcome::Passed && u.outcome == Outcome::Skipped)) u.outcome = o;
      return;
    }
  case_state().units.push_back({name, o, why});
}

// Thrown by TF_SKIP: the case cannot run here (no device, no such ISA); it counts as skipped.
struct Skipped {
  std::string why;
};

// Runs every TF_TEST; prints one line per case or per variant of a case (ok / FAIL / skip);
// ends with `N passed, N failed, N skipped`. Exit 0, 1 when anything failed, 77 (ctest's
// SKIP_RETURN_CODE) when nothing ran at all.
inline int run_all() {
  int passed = 0, failed = 0, skipped = 0;
  auto emit = [&](const std::string& name, Outcome o, const std::string& why) {
    const char* tag = o == Outcome::Passed ? "ok  " : o == Outcome::Failed ? "FAIL" : "skip";
    std::printf("%s %s%s%s\n", tag, name.c_str(), why.empty() ? "" : ": ", why.c_str());
    (o == Outcome::Passed ? passed : o == Outcome::Failed ? failed : skipped) += 1;
  };
  for (auto& c : cases()) {
    int before = failures();
    context() = c.name;
    case_state() = CaseState{};
    std::string skip_why;
    try {
      c.fn();
    } catch (const Skipped& s) {
      skip_why = s.why;
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      fail(__FILE__, __LINE__, "uncaught non-std exception");
    }
    tf::clear_forced_isa();
    const int case_failures = failures() - before;
    const CaseState& st = case_state();
    for (const Unit& u : st.units) emit(std::string(c.name) + "/" + u.name, u.outcome, u.why);
    if (st.units.empty() || case_failures > st.loop_failures || !skip_why.empty()) {
      const bool outside = case_failures > st.loop_failures;
      emit(std::string(c.name) + (st.units.empty() ? "" : " (outside the variant loop)"),
           outside ? Outcome::Failed : !skip_why.empty() ? Outcome::Skipped : Outcome::Passed, outside ? "" : skip_why);
    }
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed ? 1 : passed == 0 && skipped > 0 ? 77 : 0;
}

// Runs fn once per variant of a family's list (kernels/dispatch/variants.h) with that variant's
// ISA forced, so family entry points run it too; variants this CPU cannot run are skipped.
template <typename Fns, size_t N, typename Fn>
void for_each_variant(const Variant<Fns> (&list)[N], Fn&& fn) {
  const std::string outer = context();
  for (const Variant<Fns>& v : list) {
    if (!isa_available(v.isa)) {
      note_unit(v.name, Outcome::Skipped, std::string("this CPU lacks ") + isa_name(v.isa));
      continue;
    }
    force_isa(v.isa);
    context() = outer + "/" + v.name;
    const int before = failures();
    fn(v);
    case_state().loop_failures += failures() - before;
    note_unit(v.name, failures() == before ? Outcome::Passed : Outcome::Failed);
  }
  clear_forced_isa();
  context() = outer;
}

// Calls fn(isa) with each ISA this build has variants for forced (scalar first), for tests of
// drivers that span families; ISAs this CPU lacks are skipped.
inline void for_each_isa(const std::function<void(Isa)>& fn) {
  const std::string outer = context();
  for (const IsaInfo& info : kIsas) {
    if (!info.built) continue;
    if (!isa_available(info.isa)) {
      note_unit(info.name, Outcome::Skipped, std::string("this CPU lacks ") + info.name);
      continue;
    }
    force_isa(info.isa);
    context() = outer + "/" + info.name;
    const int before = failures();
    fn(info.isa);
    case_state().loop_failures += failures() - before;
    note_unit(info.name, failures() == before ? Outcome::Passed : Outcome::Failed);
  }
  clear_forced_isa();
  context() = outer;
}

// Deterministic xorshift generator (same data on x86 and under qemu).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed = 0x9E3779B97F4A7C15ull) : s(seed ? seed : 1) {}
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  // Uniform in [lo, hi).
  float uniform(float lo = -1.f, float hi = 1.f) {
    return lo + (hi - lo) * static_cast<float>((next() >> 40) * (1.0 / 16777216.0));
  }
  float normal() {
    float u1 = uniform(1e-7f, 1.f), u2 = uniform(0.f, 1.f);
    return std::sqrt(-2.f * std::log(u1)) * std::cos(6.2831853f * u2);
  }
  std::vector<float> floats(size_t n, float lo = -1.f, float hi = 1.f) {
    std::vector<float> v(n);
    for (auto& x : v) x = uniform(lo, hi);
    return v;
  }
};

// Bitwise equality of float vectors (NaN == NaN with the same payload, -0 != +0).
inline bool same_bits(const float* a, const float* b, size_t n, size_t* first_diff = nullptr) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t x, y;
    std::memcpy(&x, a + i, 4);
    std::memcpy(&y, b + i, 4);
    if (x != y) {
      if (first_diff) *first_diff = i;
      return false;
    }
  }
  return true;
}

// Lengths that exercise vector tiles and their remainders: 0, 1, tile-1, tile, tile+1, ... .
inline std::vector<size_t> lengths(size_t big = 4099) {
  return {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1000, 1023, 1024, 1025, big};
}

}  // namespace test
}  // namespace tf

#define TF_TEST_CAT2(a, b) a##b
#define TF_TEST_CAT(a, b) TF_TEST_CAT2(a, b)
#define TF_TEST(name)                                                                   \
  static void tf_test_##name();                                                         \
  static ::tf::test::Register TF_TEST_CAT(tf_test_reg_, name)(#name, &tf_test_##name); \
  static void tf_test_##name()

#define TF_CHECK(cond)                                                     \
  do {                                                                     \
    if (!(cond)) ::tf::test::fail(__FILE__, __LINE__, "check failed: " #cond); \
  } while (0)

#define TF_CHECK_EQ(a, b)                                                                      \
  do {                                                                                         \
    auto tf_a_ = (a);                                                                          \
    auto tf_b_ = (b);                                                                          \
    if (!(tf_a_ == tf_b_))                                                                     \
      ::tf::test::fail(__FILE__, __LINE__,                                                     \
                       std::string(#a " == " #b ": ") + std::to_string(tf_a_) + " vs " + std::to_string(tf_b_)); \
  } while (0)

#define TF_CHECK_NEAR(a, b, tol)                                                                   \
  do {                                                                                             \
    double tf_a_ = double(a), tf_b_ = double(b);                                                   \
    if (!(std::fabs(tf_a_ - tf_b_) <= double(tol)))                                                \
      ::tf::test::fail(__FILE__, __LINE__,                                                         \
                       std::string(#a " ~ " #b ": ") + std::to_string(tf_a_) + " vs " + std::to_string(tf_b_)); \
  } while (0)

// Expects `stmt` to throw tf::Error with the given code.
#define TF_CHECK_THROWS_CODE(stmt, code_str)                                                   \
  do {                                                                                         \
    bool tf_thrown_ = false;                                                                   \
    try {                                                                                      \
      stmt;                                                                                    \
    } catch (const ::tf::Error& e) {                                                           \
      tf_thrown_ = true;                                                                       \
      if (e.code() != (code_str)) ::tf::test::fail(__FILE__, __LINE__, "wrong code " + e.code()); \
    }                                                                                          \
    if (!tf_thrown_) ::tf::test::fail(__FILE__, __LINE__, "expected throw: " #stmt);          \
  } while (0)

#define TF_SKIP(why) throw ::tf::test::Skipped{why}

#define TF_TEST_MAIN \
  int main() { return ::tf::test::run_all(); }
