// twinforge_bench [SUITE...] [--json] [--quick]: runs the registered suites (all by default;
// `cpu`, `gpu`, ...) and prints per kernel: time, GB/s, GFLOP/s, the copy bandwidth of the same
// device measured in the same run, the ratio, and the correctness verdict.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "bench.h"

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  tfb::Context ctx;
  std::vector<std::string> wanted;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json")) ctx.opt.json = true;
    else if (!std::strcmp(argv[i], "--quick")) ctx.opt.quick = true;
    else if (!std::strncmp(argv[i], "--section=", 10)) {
      std::string list = argv[i] + 10;
      for (size_t p = 0; p <= list.size();) {
        size_t q = list.find(',', p);
        if (q == std::string::npos) q = list.size();
        if (q > p) ctx.opt.sections.push_back(list.substr(p, q - p));
        p = q + 1;
      }
    } else if (!std::strcmp(argv[i], "--help")) {
      std::printf("usage: twinforge_bench [suite...] [--json] [--quick] [--section=a,b]\nsuites:");
      for (auto& s : tfb::suites()) std::printf(" %s", s.name);
      std::printf("\n");
      return 0;
    } else wanted.push_back(argv[i]);
  }
  int failures = 0;
  for (auto& s : tfb::suites()) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), s.name) == wanted.end()) continue;
    const size_t before = ctx.records.size();
    try {
      s.fn(ctx);
    } catch (const std::exception& e) {
      tfb::Record r;
      r.suite = s.name, r.kernel = "(suite)", r.check = std::string("FAIL: ") + e.what();
      ctx.add(r);
    }
    if (!ctx.opt.json) {
      std::printf("\n== %s\n%-34s %-10s %-30s %11s %9s %9s %9s %7s  %s\n", s.name, "kernel", "device", "params",
                  "time", "GB/s", "GFLOP/s", "copyGB/s", "ratio", "check");
      for (size_t i = before; i < ctx.records.size(); ++i) {
        const auto& r = ctx.records[i];
        const double gbps = r.seconds > 0 ? r.bytes / r.seconds / 1e9 : 0;
        const double gf = r.seconds > 0 && r.flops > 0 ? r.flops / r.seconds / 1e9 : 0;
        std::printf("%-34s %-10s %-30s %9.3f ms %9.1f %9.1f %9.1f %7.3f  %s%s%s\n", r.kernel.c_str(), r.device.c_str(),
                    r.params.c_str(), r.seconds * 1e3, gbps, gf, r.copy_gbps, r.copy_gbps > 0 ? gbps / r.copy_gbps : 0,
                    r.check.c_str(), r.note.empty() ? "" : "  ", r.note.c_str());
        std::fflush(stdout);
      }
    }
  }
  for (auto& r : ctx.records) failures += r.check.rfind("FAIL", 0) == 0;
  if (ctx.opt.json) {
    std::printf("{\"results\": [\n");
    for (size_t i = 0; i < ctx.records.size(); ++i) {
      const auto& r = ctx.records[i];
      const double gbps = r.seconds > 0 ? r.bytes / r.seconds / 1e9 : 0;
      std::printf("  {\"suite\": \"%s\", \"kernel\": \"%s\", \"device\": \"%s\", \"params\": \"%s\", \"bytes\": %s, "
                  "\"seconds\": %s, \"GBps\": %s, \"copyGBps\": %s, \"ratioToCopy\": %s, \"gflops\": %s, "
                  "\"check\": \"%s\", \"note\": \"%s\"}%s\n",
                  esc(r.suite).c_str(), esc(r.kernel).c_str(), esc(r.device).c_str(), esc(r.params).c_str(),
                  num(r.bytes).c_str(), num(r.seconds).c_str(), num(gbps).c_str(), num(r.copy_gbps).c_str(),
                  num(r.copy_gbps > 0 ? gbps / r.copy_gbps : 0).c_str(),
                  r.flops > 0 && r.seconds > 0 ? num(r.flops / r.seconds / 1e9).c_str() : "null", esc(r.check).c_str(),
                  esc(r.note).c_str(), i + 1 < ctx.records.size() ? "," : "");
    }
    std::printf("], \"failures\": %d}\n", failures);
  } else {
    std::printf("\n%d failed check(s)\n", failures);
  }
  return failures ? 1 : 0;
}
