// Compression suite: the streaming kernels of `twinforge bench native` part 2 on the same sizes
// (64 MB quick / 128 MB full of fp32), against the copy bandwidth of the same run, so kernel
// work can be tuned without Node. Byte counts match main/core/bench/native.ts.
#include <cmath>
#include <cstring>
#include <vector>

#include "bench.h"
#include "common/parallel.h"
#include "kernels/copy/copy.h"
#include "kernels/dispatch/cpu.h"
#include "kernels/magnitude/magnitude.h"
#include "kernels/nm/nm.h"
#include "kernels/quant/quant.h"

TF_BENCH_SUITE(compress) {
  const bool quick = ctx.opt.quick;
  const int reps = quick ? 5 : 9;
  const std::string dev = std::string("cpu-") + tf::isa_name(tf::active_isa());
  const size_t cb = (quick ? 64 : 256) << 20;
  std::vector<uint8_t> src(cb, 1), dst(cb, 2);
  const double copy = 2.0 * cb / tfb::time_median([&] { tf::copy::copy_bytes(dst.data(), src.data(), cb); }, reps) / 1e9;
  auto rec = [&](const char* k, double bytes, double sec) {
    tfb::Record r;
    r.suite = "compress", r.kernel = k, r.device = dev, r.params = std::to_string(cb >> 20) + " MB fp32";
    r.bytes = bytes, r.seconds = sec, r.copy_gbps = copy;
    ctx.add(r);
  };
  rec("copy (memcpy, threads)", 2.0 * cb, 2.0 * cb / copy / 1e9);
  const size_t n = (quick ? 16 : 32) << 20, side = 4096;
  std::vector<float> w(n);
  uint32_t s = 11;  // the xorshift of native.ts: uniform in [-1, 1)
  for (auto& x : w) {
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    x = float(double(s) / 2147483648.0 - 1.0);
  }
  std::vector<tf::mag::Tensor> ts{{w.data(), n}};
  tf::mag::GlobalThreshold g;
  if (ctx.opt.wants("threshold")) {
    const double t = tfb::time_median([&] { g = tf::mag::global_threshold(ts, 0.5); }, reps);
    rec("global magnitude threshold 50%", 4.0 * n, t);
  } else {
    g = tf::mag::global_threshold(ts, 0.5);
  }
  std::vector<uint8_t> mask(n);
  if (ctx.opt.wants("mask"))
    rec("mask build (threshold + ties)", 5.0 * n,
        tfb::time_median([&] { tf::mag::build_mask(w.data(), n, g.threshold, g.ties_to_prune, mask.data()); }, reps));
  if (ctx.opt.wants("nm")) {
    tf::nm::Shape sh;
    sh.rows = n / side, sh.cols = side, sh.n = 2, sh.m = 4;
    rec("N:M 2:4 mask", 5.0 * n, tfb::time_median([&] { tf::nm::nm_mask(w.data(), sh, mask.data()); }, reps));
  }
  if (ctx.opt.wants("quant")) {
    std::vector<int8_t> q(n);
    std::vector<float> sc(n / side);
    rec("int8 per-channel quantize", 5.0 * n + 4.0 * n / side,
        tfb::time_median([&] { tf::quant::quantize_int8(w.data(), n / side, side, 0, q.data(), sc.data()); }, reps));
    std::vector<uint8_t> p(n / 2);
    std::vector<float> s4(n / 128);
    rec("int4 group-128 quantize", 4.5 * n + 4.0 * n / 128, tfb::time_median([&] {
          tf::quant::quantize_int4(w.data(), n / side, side, 128, true, p.data(), s4.data(), nullptr);
        }, reps));
  }
}
