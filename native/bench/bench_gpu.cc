// GPU suite: every CUDA kernel against its CPU reference (exact for thresholds, masks, codes;
// tolerances for sums), then timed with CUDA events against the device copy bandwidth of the
// same run, and the SparseGPT / GPTQ time of a 4096 x 4096 layer (16k calibration tokens).
// Needs no Node: built with -DTWINFORGE_ADDON=OFF and run by native/gpu/run.sh.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench.h"
#include "common/parallel.h"
#include "kernels/cuda/tf_cuda.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/hessian/hessian.h"
#include "kernels/magnitude/magnitude.h"
#include "kernels/nm/nm.h"
#include "kernels/quant/quant.h"
#include "kernels/solvers/solvers.h"

namespace {

using tfb::Record;
namespace cu = tf::cuda;

// Reproducible data with the features that break careless kernels: exact zeros (ties), repeated
// values, both signs, a spread of magnitudes. Filled in parallel (hundreds of MB).
void fill(std::vector<float>& v, uint64_t seed, double zero_frac = 0.05) {
  tf::parallel_for(v.size(), 1 << 16, [&](size_t b, size_t e) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + b * 0xD1B54A32D192ED03ull + 1;
    for (size_t i = b; i < e; ++i) {
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      const double u = double(s >> 11) / double(1ull << 53);
      s ^= s << 13, s ^= s >> 7, s ^= s << 17;
      const double u2 = double(s >> 11) / double(1ull << 53);
      if (u < zero_frac) v[i] = 0.0f;
      else if (u < zero_frac + 0.01) v[i] = 0.5f;  // a repeated value
      else v[i] = float((u2 - 0.5) * std::exp(4.0 * (u - 0.5)));
    }
  });
}

std::string dev_name() {
  auto i = cu::info();
  return i.devices.empty() ? std::string("none") : i.devices[0].name;
}

struct Gpu {
  tfb::Context& ctx;
  double copy_gbps = 0;
  std::string dev;
  Record rec(const std::string& kernel, const std::string& params, double bytes, double seconds) const {
    Record r;
    r.suite = "gpu", r.kernel = kernel, r.device = "cuda", r.params = params;
    r.bytes = bytes, r.seconds = seconds, r.copy_gbps = copy_gbps;
    return r;
  }
  // Runs one section (if selected); a failure is recorded and the suite goes on.
  void section(const char* name, const std::function<void()>& fn) {
    if (!ctx.opt.wants(name)) return;
    try {
      fn();
    } catch (const std::exception& e) {
      Record r = rec(name, "", 0, 0);
      r.check = std::string("FAIL: ") + e.what();
      ctx.add(r);
    }
  }
};

std::string verdict(bool ok, const std::string& why) { return ok ? "pass" : "FAIL: " + why; }

}  // namespace

TF_BENCH_SUITE(gpu) {
  const cu::Info info = cu::info();
  if (info.devices.empty()) {
    Record r;
    r.suite = "gpu", r.kernel = "(device)", r.check = "skipped: " + info.error;
    ctx.add(r);
    return;
  }
  Gpu g{ctx};
  const auto& d0 = info.devices[0];
  const bool quick = ctx.opt.quick;
  const size_t n = quick ? (size_t(1) << 24) : (size_t(1) << 28);  // 64 MB / 1 GB of fp32
  const size_t side = quick ? 4096 : 16384;                          // n = side * side
  const int reps = quick ? 5 : 20;
  {
    Record r;
    r.suite = "gpu", r.kernel = "(device)", r.device = "cuda";
    r.params = d0.name + ", cc " + std::to_string(d0.cc_major) + "." + std::to_string(d0.cc_minor) + ", " +
               std::to_string(d0.multiprocessors) + " SMs";
    r.note = "runtime " + std::to_string(info.runtime_version) + ", driver " + std::to_string(info.driver_version) +
             ", host threads " + std::to_string(tf::num_threads());
    ctx.add(r);
  }
  // The yardstick is measured in every run (each section may run in its own process).
  g.copy_gbps = cu::copy_bandwidth_gbps(n * 4, reps);
  g.section("copy", [&] {
    Record r = g.rec("copy_d2d (16 B/thread)", std::to_string(n * 4 >> 20) + " MiB", 2.0 * n * 4, 2.0 * n * 4 / (g.copy_gbps * 1e9));
    r.check = "yardstick";
    ctx.add(r);
  });

  const bool big = ctx.opt.wants("magnitude") || ctx.opt.wants("nm") || ctx.opt.wants("quant");
  std::vector<float> w(big ? n : 0);
  cu::Buffer dw, dw2, dmask;
  if (big) {
    fill(w, 1);
    dw = cu::Buffer(n * 4), dmask = cu::Buffer(n);
    dw.upload(w.data(), n * 4);
  }

  g.section("magnitude", [&] {
    // 0.03 < the 5% exact zeros: the threshold is 0 and ties are pruned in index order.
    for (double sp : {0.5, 0.9, 0.03}) {
      auto cpu = tf::mag::global_threshold({{w.data(), n}}, sp);
      auto gpu = cu::global_threshold_dev(dw.as<float>(), n, sp);
      const bool same = std::memcmp(&cpu.threshold, &gpu.threshold, 4) == 0 && cpu.ties_to_prune == gpu.ties_to_prune &&
                        cpu.prune_count == gpu.prune_count;
      const double ms = cu::time_ms([&] { cu::global_threshold_dev(dw.as<float>(), n, sp); }, reps);
      Record r = g.rec("global_threshold (radix select)", "n=2^" + std::to_string(int(std::log2(double(n)))) + " sp=" + std::to_string(sp).substr(0, 4), 4.0 * n, ms * 1e-3);
      r.check = verdict(same, "threshold/ties differ from CPU");
      r.note = "bytes = one read of w (3 passes run)";
      ctx.add(r);
      // Mask with ties in index order: bit-identical to the CPU rule.
      std::vector<uint8_t> mc(n), mg(n);
      tf::mag::build_mask(w.data(), n, cpu.threshold, cpu.ties_to_prune, mc.data());
      cu::build_mask_dev(dw.as<float>(), n, gpu.threshold, gpu.ties_to_prune, dmask.as<uint8_t>());
      dmask.download(mg.data(), n);
      const double ms2 = cu::time_ms([&] { cu::build_mask_dev(dw.as<float>(), n, gpu.threshold, gpu.ties_to_prune, dmask.as<uint8_t>()); }, reps);
      Record m = g.rec("build_mask (ties in index order)", "sp=" + std::to_string(sp).substr(0, 4) + " ties=" + std::to_string(gpu.ties_to_prune), 5.0 * n, ms2 * 1e-3);
      m.check = verdict(mc == mg, "mask differs from CPU");
      ctx.add(m);
    }
    // apply_mask, checked against the CPU rule.
    std::vector<float> ref = w, got(n);
    std::vector<uint8_t> mk(n);
    dmask.download(mk.data(), n);
    tf::mag::apply_mask(ref.data(), mk.data(), n);
    cu::Buffer tmp(n * 4);
    tmp.upload(w.data(), n * 4);
    cu::apply_mask_dev(tmp.as<float>(), dmask.as<uint8_t>(), n);
    tmp.download(got.data(), n * 4);
    const double ms = cu::time_ms([&] { cu::apply_mask_dev(tmp.as<float>(), dmask.as<uint8_t>(), n); }, reps);
    Record r = g.rec("apply_mask", "n=2^" + std::to_string(int(std::log2(double(n)))), 9.0 * n, ms * 1e-3);
    r.check = verdict(std::memcmp(ref.data(), got.data(), n * 4) == 0, "weights differ from CPU");
    ctx.add(r);
  });

  g.section("nm", [&] {
    struct Case { int n, m, axis; size_t rows, cols; bool timed; };
    const Case cases[] = {{2, 4, 1, side, side, true},  {4, 8, 1, side, side, true}, {2, 4, 0, side, side, true},
                          {1, 16, 1, side, side, false}, {3, 7, 1, 1000, 1030, false}, {2, 5, 0, 1003, 700, false}};
    for (const Case& c : cases) {
      const size_t cnt = c.rows * c.cols;
      tf::nm::Shape s;
      s.rows = c.rows, s.cols = c.cols, s.n = c.n, s.m = c.m, s.axis = c.axis;
      cu::NmShape cs;
      cs.rows = c.rows, cs.cols = c.cols, cs.n = c.n, cs.m = c.m, cs.axis = c.axis;
      std::vector<uint8_t> mc(cnt), mg(cnt);
      tf::nm::nm_mask(w.data(), s, mc.data());
      cu::nm_mask_dev(dw.as<float>(), cs, dmask.as<uint8_t>());
      dmask.download(mg.data(), cnt);
      double ms = 0;
      if (c.timed) ms = cu::time_ms([&] { cu::nm_mask_dev(dw.as<float>(), cs, dmask.as<uint8_t>()); }, reps);
      Record r = g.rec("nm_mask", std::to_string(c.n) + ":" + std::to_string(c.m) + " axis" + std::to_string(c.axis) + " " +
                                      std::to_string(c.rows) + "x" + std::to_string(c.cols), 5.0 * cnt, ms * 1e-3);
      r.check = verdict(mc == mg, "mask differs from CPU");
      ctx.add(r);
    }
  });

  g.section("quant", [&] {
    const size_t rows = side, cols = side, cnt = rows * cols;
    for (int axis : {0, 1}) {
      const size_t ns = axis == 0 ? rows : cols;
      std::vector<int8_t> qc(cnt), qg(cnt);
      std::vector<float> sc(ns), sg(ns);
      tf::quant::quantize_int8(w.data(), rows, cols, axis, qc.data(), sc.data());
      cu::Buffer dq(cnt), ds(ns * 4);
      cu::quantize_int8_dev(dw.as<float>(), rows, cols, axis, dq.as<int8_t>(), ds.as<float>());
      dq.download(qg.data(), cnt);
      ds.download(sg.data(), ns * 4);
      const double ms = cu::time_ms([&] { cu::quantize_int8_dev(dw.as<float>(), rows, cols, axis, dq.as<int8_t>(), ds.as<float>()); }, reps);
      Record r = g.rec("quantize_int8 per-channel", "axis" + std::to_string(axis) + " " + std::to_string(rows) + "^2", 5.0 * cnt, ms * 1e-3);
      r.check = verdict(qc == qg && std::memcmp(sc.data(), sg.data(), ns * 4) == 0, "codes/scales differ from CPU");
      ctx.add(r);
    }
    for (size_t group : {size_t(128), size_t(32)})
      for (bool sym : {true, false}) {
        const size_t groups = cnt / group;
        std::vector<uint8_t> pc(cnt / 2), pg(cnt / 2), zc(groups, 0), zg(groups, 0);
        std::vector<float> sc(groups), sg(groups);
        tf::quant::quantize_int4(w.data(), rows, cols, group, sym, pc.data(), sc.data(), zc.data());
        cu::Buffer dp(cnt / 2), ds(groups * 4), dz(groups);
        cu::quantize_int4_dev(dw.as<float>(), rows, cols, group, sym, dp.as<uint8_t>(), ds.as<float>(), dz.as<uint8_t>());
        dp.download(pg.data(), cnt / 2);
        ds.download(sg.data(), groups * 4);
        if (!sym) dz.download(zg.data(), groups);
        const double ms = cu::time_ms([&] { cu::quantize_int4_dev(dw.as<float>(), rows, cols, group, sym, dp.as<uint8_t>(), ds.as<float>(), dz.as<uint8_t>()); }, reps);
        Record r = g.rec("quantize_int4 groups", "g" + std::to_string(group) + (sym ? " sym " : " asym ") + std::to_string(rows) + "^2",
                         4.5 * cnt + 5.0 * groups, ms * 1e-3);
        r.check = verdict(pc == pg && std::memcmp(sc.data(), sg.data(), groups * 4) == 0 && zc == zg, "codes/scales/zps differ from CPU");
        ctx.add(r);
      }
  });
  // The big buffers are not needed past this point.
  dw = cu::Buffer(), dw2 = cu::Buffer(), dmask = cu::Buffer();
  std::vector<float>().swap(w);

  g.section("sgemm", [&] {
    // Correctness on odd shapes with every transpose.
    const size_t M = 300, N = 270, K = 333;
    std::vector<float> a(M * K + K * M), b(K * N + N * K), c0(M * N);
    fill(a, 3, 0.0), fill(b, 4, 0.0), fill(c0, 5, 0.0);
    bool ok = true;
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        tf::gemm::SgemmArgs s;
        s.trans_a = ta, s.trans_b = tb, s.m = M, s.n = N, s.k = K, s.alpha = 1.5f, s.beta = 0.5f;
        s.a = a.data(), s.lda = ta ? M : K, s.b = b.data(), s.ldb = tb ? K : N;
        std::vector<float> want = c0, got(M * N);
        s.c = want.data(), s.ldc = N;
        tf::gemm::sgemm_ref(s);
        cu::Buffer da(a.size() * 4), db(b.size() * 4), dc(M * N * 4);
        da.upload(a.data(), a.size() * 4), db.upload(b.data(), b.size() * 4), dc.upload(c0.data(), M * N * 4);
        cu::sgemm_dev(ta, tb, M, N, K, 1.5f, da.as<float>(), s.lda, db.as<float>(), s.ldb, 0.5f, dc.as<float>(), N);
        dc.download(got.data(), M * N * 4);
        double err = 0, mag = 0;
        for (size_t i = 0; i < M * N; ++i) err = std::max(err, double(std::fabs(got[i] - want[i]))), mag = std::max(mag, double(std::fabs(want[i])));
        ok &= err <= 1e-4 * mag;
      }
    const size_t S = quick ? 2048 : 4096;
    cu::Buffer da(S * S * 4), db(S * S * 4), dc(S * S * 4);
    std::vector<float> h(S * S);
    fill(h, 6, 0.0);
    da.upload(h.data(), S * S * 4), db.upload(h.data(), S * S * 4);
    const double ms = cu::time_ms([&] { cu::sgemm_dev(false, false, S, S, S, 1.0f, da.as<float>(), S, db.as<float>(), S, 0.0f, dc.as<float>(), S); }, 5);
    Record r = g.rec("sgemm fp32 (FFMA, no TF32)", std::to_string(S) + "^3", 3.0 * S * S * 4, ms * 1e-3);
    r.flops = 2.0 * S * S * S;
    r.check = verdict(ok, "differs from sgemm_ref");
    ctx.add(r);
  });

  g.section("hessian", [&] {
    const size_t dim = 700, ns = 1500;
    std::vector<float> x(ns * dim), hc(dim * dim, 0.0f), hg(dim * dim, 0.0f);
    fill(x, 7, 0.0);
    tf::hessian::hessian_f32_accumulate(hc.data(), x.data(), ns, dim, 0.5f);
    cu::hessian_accumulate(hg.data(), x.data(), ns, dim, 0.5f);
    double err = 0, mag = 0;
    bool sym = true;
    for (size_t i = 0; i < dim; ++i)
      for (size_t j = 0; j < dim; ++j) {
        err = std::max(err, double(std::fabs(hg[i * dim + j] - hc[i * dim + j])));
        mag = std::max(mag, double(std::fabs(hc[i * dim + j])));
        sym &= hg[i * dim + j] == hg[j * dim + i];
      }
    const size_t D = 4096, T = quick ? 4096 : 16384;
    std::vector<float> big(T * D);
    fill(big, 8, 0.0);
    cu::Buffer dx(T * D * 4), dh(D * D * 4);
    dx.upload(big.data(), T * D * 4);
    dh.zero();
    const double ms = cu::time_ms([&] { cu::hessian_accumulate_dev(dh.as<float>(), dx.as<float>(), T, D, 1.0f); }, 5);
    Record r = g.rec("hessian XtX (lower + mirror)", std::to_string(T) + " tokens x " + std::to_string(D), 4.0 * T * D + 8.0 * D * D, ms * 1e-3);
    r.flops = double(T) * D * D;  // lower triangle only
    r.check = verdict(err <= 1e-5 * mag && sym, "differs from CPU or not symmetric");
    ctx.add(r);
  });

  g.section("solvers_check", [&] {
    // Correctness: a 256 x 512 layer, H from 2048 correlated tokens, GPU vs CPU solver.
    const size_t rows = 256, cols = 512, T = 2048;
    std::vector<float> w0(rows * cols), x(T * cols), h(cols * cols, 0.0f);
    fill(w0, 9, 0.0);
    fill(x, 10, 0.0);
    for (size_t t = 0; t < T; ++t)
      for (size_t j = 1; j < cols; ++j) x[t * cols + j] += 0.7f * x[t * cols + j - 1];  // correlated inputs
    tf::hessian::hessian_f32_accumulate(h.data(), x.data(), T, cols, 2.0f / T);
    auto agree = [](const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
      size_t s = 0;
      for (size_t i = 0; i < a.size(); ++i) s += a[i] == b[i];
      return double(s) / double(a.size());
    };
    for (int nm : {0, 1}) {
      tf::solvers::SparseGptOptions o;
      o.sparsity = 0.5;
      if (nm) o.n = 2, o.m = 4;
      std::vector<float> wc = w0, wg = w0;
      std::vector<uint8_t> mc(rows * cols), mg(rows * cols);
      auto rc = tf::solvers::sparsegpt_f32(wc.data(), rows, cols, h.data(), mc.data(), o, tf::active_isa());
      auto rg = cu::sparsegpt(wg.data(), rows, cols, h.data(), mg.data(), o);
      const double ag = agree(mc, mg), rel = std::fabs(rg.loss - rc.loss) / rc.loss;
      bool zeros = true;
      for (size_t i = 0; i < wg.size(); ++i) zeros &= mg[i] || wg[i] == 0.0f;
      Record r = g.rec(nm ? "sparsegpt 2:4 (check)" : "sparsegpt 50% (check)", "256x512", 0, 0);
      r.check = verdict(ag >= 0.98 && rel <= 0.02 && zeros, "agreement " + std::to_string(ag) + " loss rel " + std::to_string(rel));
      r.note = "mask agreement " + std::to_string(ag) + ", loss gpu/cpu " + std::to_string(rg.loss / rc.loss);
      ctx.add(r);
    }
    {
      tf::solvers::GptqOptions o;
      o.bits = 4, o.group = 128, o.symmetric = false;
      const size_t groups = cols / 128;
      std::vector<float> wc = w0, wg = w0, sc(rows * groups), sg(rows * groups), zc(rows * groups), zg(rows * groups);
      std::vector<uint8_t> cc(rows * cols), cg(rows * cols);
      auto rc = tf::solvers::gptq_f32(wc.data(), rows, cols, h.data(), nullptr, cc.data(), sc.data(), zc.data(), o, tf::active_isa());
      auto rg = cu::gptq(wg.data(), rows, cols, h.data(), nullptr, cg.data(), sg.data(), zg.data(), o);
      const double ag = agree(cc, cg), rel = std::fabs(rg.loss - rc.loss) / rc.loss;
      bool deq = true;
      for (size_t r = 0; r < rows; ++r)
        for (size_t c = 0; c < cols; ++c) {
          const size_t gi = r * groups + c / 128;
          deq &= wg[r * cols + c] == (float(cg[r * cols + c]) - zg[gi]) * sg[gi];
        }
      Record r = g.rec("gptq int4 g128 asym (check)", "256x512", 0, 0);
      r.check = verdict(ag >= 0.97 && rel <= 0.02 && deq, "agreement " + std::to_string(ag) + " loss rel " + std::to_string(rel));
      r.note = "code agreement " + std::to_string(ag) + ", loss gpu/cpu " + std::to_string(rg.loss / rc.loss);
      ctx.add(r);
    }
  });
  g.section("solvers_time", [&] {
    // Timing: a 4096 x 4096 layer with H from 16k (quick: 4k) tokens built on the GPU.
    const size_t L = 4096, LT = quick ? 4096 : 16384;
    std::vector<float> wl(L * L), xl(LT * L);
    fill(wl, 11, 0.0);
    fill(xl, 12, 0.0);
    cu::Buffer dx(LT * L * 4), dh(L * L * 4), dwl(L * L * 4), dwork(L * L * 4), dm(L * L), dc(L * L), ds(L * 32 * 4), dz(L * 32 * 4);
    dx.upload(xl.data(), LT * L * 4);
    dh.zero();
    cu::hessian_accumulate_dev(dh.as<float>(), dx.as<float>(), LT, L, 2.0f / float(LT));
    dwl.upload(wl.data(), L * L * 4);
    auto reset = [&] { cu::copy_d2d(dwork.data(), dwl.data(), L * L * 4); };
    for (int nm : {0, 1}) {
      tf::solvers::SparseGptOptions o;
      o.sparsity = 0.5;
      if (nm) o.n = 2, o.m = 4;
      tf::solvers::ObsResult res;
      const double ms = cu::time_ms([&] { reset(); res = cu::sparsegpt_dev(dwork.as<float>(), L, L, dh.as<float>(), dm.as<uint8_t>(), o); }, 3, 1);
      Record r = g.rec(nm ? "sparsegpt 2:4 layer" : "sparsegpt 50% layer", "4096x4096, H of " + std::to_string(LT) + " tokens", 0, ms * 1e-3);
      r.note = "PyTorch reference on H200 (docs/MEASURED-FACTS.md): " + std::string(nm ? "0.54 s" : "0.42 s") + "; speedup " +
               std::to_string((nm ? 540.0 : 420.0) / ms).substr(0, 5) + "x; loss " + std::to_string(res.loss);
      r.check = verdict(std::isfinite(res.loss), "loss not finite");
      ctx.add(r);
    }
    {
      tf::solvers::GptqOptions o;
      o.bits = 4, o.group = 128, o.symmetric = true;
      tf::solvers::ObsResult res;
      const double ms = cu::time_ms([&] { reset(); res = cu::gptq_dev(dwork.as<float>(), L, L, dh.as<float>(), nullptr, dc.as<uint8_t>(), ds.as<float>(), dz.as<float>(), o); }, 3, 1);
      Record r = g.rec("gptq int4 g128 layer", "4096x4096", 0, ms * 1e-3);
      r.note = "loss " + std::to_string(res.loss);
      r.check = verdict(std::isfinite(res.loss), "loss not finite");
      ctx.add(r);
    }
    if (!quick) {
      // The same layer on this host's CPU, once, for the record (and a cross-check of the loss).
      std::vector<float> hh(L * L);
      dh.download(hh.data(), L * L * 4);
      tf::solvers::SparseGptOptions o;
      o.sparsity = 0.5;
      std::vector<float> wc = wl;
      tf::solvers::ObsResult rc;
      const double t0 = tfb::now_s();
      rc = tf::solvers::sparsegpt_f32(wc.data(), L, L, hh.data(), nullptr, o, tf::active_isa());
      const double sec = tfb::now_s() - t0;
      tf::solvers::ObsResult rg;
      reset();
      rg = cu::sparsegpt_dev(dwork.as<float>(), L, L, dh.as<float>(), dm.as<uint8_t>(), o);
      Record r = g.rec("sparsegpt 50% layer (host CPU)", "4096x4096", 0, sec);
      r.device = std::string("cpu-") + tf::isa_name(tf::active_isa());
      r.note = "loss cpu " + std::to_string(rc.loss) + " vs gpu " + std::to_string(rg.loss);
      r.check = verdict(std::fabs(rg.loss - rc.loss) <= 0.02 * rc.loss, "gpu and cpu losses differ by > 2%");
      ctx.add(r);
    }
  });
}
