// The bench binary's small framework: suites register themselves (TF_BENCH_SUITE), each adds
// records (kernel, device/ISA, params, bytes moved, seconds, optional flops and a correctness
// verdict against the CPU reference); main prints a table, or one JSON object with --json.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tfb {

struct Record {
  std::string suite, kernel, device, params;
  double bytes = 0, seconds = 0, flops = 0;
  double copy_gbps = 0;  // the yardstick of the same device, same run
  std::string check;     // "pass", "FAIL: ...", or "" when not checked
  std::string note;
};

struct Options {
  bool quick = false;
  bool json = false;
  std::vector<std::string> sections;  // --section=a,b: run only these parts of a suite
  bool wants(const char* name) const {
    return sections.empty() || std::find(sections.begin(), sections.end(), name) != sections.end();
  }
};

struct Context {
  Options opt;
  std::vector<Record> records;
  void add(Record r) { records.push_back(std::move(r)); }
};

using SuiteFn = void (*)(Context& ctx);
struct Suite {
  const char* name;
  SuiteFn fn;
};
inline std::vector<Suite>& suites() {
  static std::vector<Suite> s;
  return s;
}
struct RegisterSuite {
  RegisterSuite(const char* name, SuiteFn fn) { suites().push_back({name, fn}); }
};

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median seconds of `reps` calls after one warm-up call.
inline double time_median(const std::function<void()>& fn, int reps) {
  fn();
  std::vector<double> t;
  for (int i = 0; i < std::max(1, reps); ++i) {
    const double a = now_s();
    fn();
    t.push_back(now_s() - a);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// n floats in [-1, 1) from a seed (xorshift: the same operands on every machine).
inline std::vector<float> randoms(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed | 1;
  for (auto& x : v) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x = float(int64_t(s >> 40) - (int64_t(1) << 23)) / float(1 << 23);
  }
  return v;
}

}  // namespace tfb

#define TF_BENCH_SUITE(name)                                                        \
  static void tfb_suite_##name(::tfb::Context& ctx);                               \
  static ::tfb::RegisterSuite tfb_suite_reg_##name(#name, &tfb_suite_##name);       \
  static void tfb_suite_##name([[maybe_unused]] ::tfb::Context& ctx)
