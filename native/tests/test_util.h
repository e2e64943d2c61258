// A tiny test harness for the kernel tests (no framework: they also run under qemu and ASan).
//
//   TF_TEST(magnitude_threshold) { TF_CHECK(x == 3); TF_CHECK_EQ(a, b); TF_CHECK_NEAR(x, y, 1e-6); }
//   int main() { return tf::test::run_all(); }
//
// tf::test::for_each_isa(fn) runs fn once per available ISA with that ISA forced, so every
// variant is compared with the scalar reference; tf::test::Rng gives reproducible data.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kernels/dispatch/cpu.h"

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

// Runs every TF_TEST; prints one line per case; returns the process exit code.
inline int run_all() {
  int failed_cases = 0;
  for (auto& c : cases()) {
    int before = failures();
    context() = c.name;
    try {
      c.fn();
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    } catch (...) {
      fail(__FILE__, __LINE__, "uncaught non-std exception");
    }
    bool ok = failures() == before;
    failed_cases += !ok;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", c.name);
  }
  tf::clear_forced_isa();
  std::printf("%zu cases, %d failed\n", cases().size(), failed_cases);
  return failed_cases ? 1 : 0;
}

// Calls fn(isa) with each available ISA forced (scalar first); the context names the ISA.
inline void for_each_isa(const std::function<void(Isa)>& fn) {
  std::string outer = context();
  for (Isa isa : available_isas()) {
    force_isa(isa);
    context() = outer + "/" + isa_name(isa);
    fn(isa);
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

#define TF_TEST_MAIN \
  int main() { return ::tf::test::run_all(); }
