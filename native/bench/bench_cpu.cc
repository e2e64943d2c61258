// CPU suite: the measuring kernels and solvers at the sizes the issue names, timed over
// repeats, with the in-process copy bandwidth as the yardstick (read + written bytes).
// The ONNX Runtime / PyTorch baselines live in `twinforge bench native` (Node side).
#include <cstring>
#include <vector>

#include "bench.h"
#include "common/parallel.h"
#include "kernels/copy/copy.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/gemv/gemv.h"
#include "kernels/hessian/hessian.h"
#include "kernels/int8gemm/int8gemm.h"
#include "kernels/pgemm/pgemm.h"
#include "kernels/solvers/solvers.h"
#include "kernels/sp24/sp24.h"
#include "kernels/spmm/synth.h"

using tfb::randoms;

TF_BENCH_SUITE(cpu) {
  const bool quick = ctx.opt.quick;
  const int reps = quick ? 5 : 15;
  const tf::Isa isa = tf::active_isa();
  const std::string dev = std::string("cpu-") + tf::isa_name(isa);
  auto rec = [&](const std::string& k, const std::string& p, double bytes, double sec, double flops, double copy) {
    tfb::Record r;
    r.suite = "cpu", r.kernel = k, r.device = dev, r.params = p, r.bytes = bytes, r.seconds = sec, r.flops = flops;
    r.copy_gbps = copy;
    ctx.add(r);
  };
  const size_t cb = (quick ? 64 : 256) << 20;
  std::vector<uint8_t> src(cb, 1), dst(cb, 2);
  const double tc = tfb::time_median([&] { tf::copy::copy_bytes(dst.data(), src.data(), cb); }, reps);
  const double copy = 2.0 * cb / tc / 1e9;
  rec("copy (memcpy, threads)", std::to_string(cb >> 20) + " MiB x" + std::to_string(tf::num_threads()), 2.0 * cb, tc, 0, copy);

  const size_t K = 4096, N = 4096;
  auto b = randoms(K * N, 1);
  for (size_t M : {size_t(1), size_t(16), size_t(128)}) {
    auto a = randoms(M * K, 2 + M);
    std::vector<float> c(M * N);
    double t;
    if (M == 1) {
      t = tfb::time_median([&] { tf::gemv::gemv_f32(a.data(), b.data(), K, N, N, c.data(), isa); }, reps);
      rec("gemv_f32 dense", "1x4096 . 4096x4096", 4.0 * (K * N + K + N), t, 2.0 * K * N, copy);
    } else {
      tf::gemm::SgemmArgs g;
      g.m = M, g.n = N, g.k = K, g.a = a.data(), g.lda = K, g.b = b.data(), g.ldb = N, g.c = c.data(), g.ldc = N;
      t = tfb::time_median([&] { tf::gemm::sgemm(g, isa); }, reps);
      rec("sgemm dense", std::to_string(M) + "x4096 . 4096x4096", 4.0 * (M * K + K * N + M * N), t, 2.0 * M * N * K, copy);
      if (M <= 32) {
        const auto pb = tf::pgemm::pack_b(b.data(), K, N, N);
        t = tfb::time_median([&] { tf::pgemm::gemm(a.data(), M, K, pb, c.data(), N, isa); }, reps);
        rec("sgemm dense, B packed once", std::to_string(M) + "x4096 . 4096x4096", 4.0 * (M * K + K * N + M * N), t,
            2.0 * M * N * K, copy);
      }
    }
  }
  for (size_t M : {size_t(1), size_t(16), size_t(128)}) {
    auto x = randoms(M * K, 3 + M);
    std::vector<float> y(M * N);
    auto csr = tf::spmm::random_csr(N, K, 0.1, 5);
    auto t = tfb::time_median([&] { tf::spmm::csr_f32_gemm(csr.view(), x.data(), M, y.data(), isa); }, reps);
    rec("csr_f32 sparse", std::to_string(M) + "x4096 . 4096x4096 90%", double(csr.bytes()) + 4.0 * M * (K + N), t,
        2.0 * M * csr.values.size(), copy);
    for (auto nm : {std::pair<uint32_t, uint32_t>{1, 8}, {1, 16}, {2, 4}}) {
      auto w = tf::spmm::random_nm(N, K, nm.first, nm.second, 6);
      t = tfb::time_median([&] { tf::spmm::nm_f32_gemm(w.view(), x.data(), M, y.data(), isa); }, reps);
      rec("nm_f32 sparse", std::to_string(M) + "x4096 " + std::to_string(nm.first) + ":" + std::to_string(nm.second),
          double(w.bytes()) + 4.0 * M * (K + N), t, 2.0 * M * w.values.size(), copy);
    }
    {
      const auto nmw = tf::spmm::random_nm(N, K, 2, 4, 6);
      const auto dense = tf::spmm::dense_of(nmw);
      for (auto type : {tf::sp24::Values::F32, tf::sp24::Values::F16}) {
        const auto p = tf::sp24::pack(dense.data(), N, K, type);
        const auto v = p.view();
        t = tfb::time_median([&] { tf::sp24::gemm(v, x.data(), M, y.data(), isa); }, reps);
        rec(type == tf::sp24::Values::F32 ? "sp24 2:4 packed fp32" : "sp24 2:4 packed fp16", std::to_string(M) + "x4096 . 4096x4096",
            double(v.bytes()) + 4.0 * M * (K + N), t, 2.0 * M * N * (K / 2), copy);
      }
    }
    for (auto bl : {std::pair<size_t, size_t>{4, 4}, {1, 16}}) {
      auto w = tf::spmm::random_bsr(N, K, bl.first, bl.second, 0.1, 7);
      t = tfb::time_median([&] { tf::spmm::bsr_f32_gemm(w.view(), x.data(), M, y.data(), isa); }, reps);
      rec("bsr_f32 sparse", std::to_string(M) + "x4096 " + std::to_string(bl.first) + "x" + std::to_string(bl.second) + " 90%",
          double(w.bytes()) + 4.0 * M * (K + N), t, 2.0 * M * w.values.size(), copy);
    }
    std::vector<int8_t> a8(M * K, 3), b8(N * K, -5);
    std::vector<int32_t> c32(M * N);
    t = tfb::time_median([&] { tf::int8gemm::s8_gemm(a8.data(), b8.data(), c32.data(), M, N, K, isa); }, reps);
    rec("s8_gemm int8", std::to_string(M) + "x4096 . 4096x4096", double(M * K + N * K + 4 * M * N), t, 2.0 * M * N * K, copy);
  }
  {
    const size_t dim = quick ? 1024 : 4096, ns = 2048;
    auto x = randoms(ns * dim, 9);
    std::vector<float> h(dim * dim, 0.0f);
    const double t = tfb::time_median([&] { tf::hessian::hessian_f32_accumulate(h.data(), x.data(), ns, dim, 1.0f, isa); }, 3);
    rec("hessian XtX", std::to_string(ns) + " tokens x " + std::to_string(dim), 4.0 * (ns * dim + 2 * dim * dim), t,
        double(ns) * dim * dim, copy);
    auto w0 = randoms(dim * dim, 10);
    for (int nm : {0, 1}) {
      tf::solvers::SparseGptOptions o;
      o.sparsity = 0.5;
      if (nm) o.n = 2, o.m = 4;
      std::vector<float> w = w0;
      const double a = tfb::now_s();
      tf::solvers::sparsegpt_f32(w.data(), dim, dim, h.data(), nullptr, o, isa);
      rec(nm ? "sparsegpt 2:4 layer" : "sparsegpt 50% layer", std::to_string(dim) + "^2", 0, tfb::now_s() - a, 0, copy);
    }
  }
}
