// `variants` suite: every variant of every kernel family, walked from the family's variant list
// (kernels/dispatch/variants.h) — the same list the dispatch and the tests use, so a new variant
// shows up here with no edit. One representative call per family, timed per variant, its output
// checked against the scalar variant's output of the same run.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench.h"
#include "common/parallel.h"
#include "kernels/copy/copy.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/gemm/variants.h"
#include "kernels/gemv/gemv.h"
#include "kernels/gemv/variants.h"
#include "kernels/int8gemm/int8gemm.h"
#include "kernels/int8gemm/variants.h"
#include "kernels/magnitude/kernels.h"
#include "kernels/magnitude/variants.h"
#include "kernels/nm/kernels.h"
#include "kernels/nm/variants.h"
#include "kernels/pgemm/pgemm.h"
#include "kernels/pgemm/variants.h"
#include "kernels/quant/kernels.h"
#include "kernels/quant/variants.h"
#include "kernels/solvers/obs_sweep.h"
#include "kernels/solvers/variants.h"
#include "kernels/sp24/sp24.h"
#include "kernels/sp24/variants.h"
#include "kernels/spmm/synth.h"
#include "kernels/structured/kernels.h"
#include "kernels/structured/variants.h"
#include "kernels/spmm/variants.h"

namespace {

using tfb::randoms;


template <typename T>
std::vector<float> as_floats(const std::vector<T>& v) {
  return std::vector<float>(v.begin(), v.end());
}

// "pass" when the output has the scalar variant's bits, "pass (...)" within a relative 1e-4
// (variants that sum in another order, like the sgemm tiles), else FAIL.
std::string compare(const std::vector<float>& got, const std::vector<float>& ref) {
  if (got.size() != ref.size()) return "FAIL: output size differs from scalar";
  if (std::memcmp(got.data(), ref.data(), got.size() * sizeof(float)) == 0) return "pass";
  double worst = 0, scale = 0;
  // Plain compares, not fmax: aarch64 GCC 12 crashes vectorizing the fmax reduction.
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(double(got[i]) - double(ref[i])), r = std::fabs(double(ref[i]));
    if (d > worst) worst = d;
    if (r > scale) scale = r;
  }
  const double rel = scale > 0 ? worst / scale : worst;
  char b[96];
  std::snprintf(b, sizeof b, "%s (max rel. diff %.2g vs scalar)", rel <= 1e-4 ? "pass" : "FAIL", rel);
  return b;
}

struct Runner {
  tfb::Context& ctx;
  int reps;
  double copy_gbps;
  // Times run(v) for each variant the CPU has (its ISA forced, so drivers pick it too) and
  // checks output() against the scalar variant's.
  template <typename Fns, size_t N, typename Run>
  void family(const char* kernel, const tf::Variant<Fns> (&list)[N], const std::string& params, double bytes,
              double flops, Run&& run, const std::function<std::vector<float>()>& output) {
    std::vector<float> ref;
    tf::for_each_available(list, [&](const tf::Variant<Fns>& v) {
      tf::force_isa(v.isa);
      tfb::Record r;
      r.suite = "variants", r.kernel = kernel, r.device = v.name, r.params = params;
      r.bytes = bytes, r.flops = flops, r.copy_gbps = copy_gbps;
      r.seconds = tfb::time_median([&] { run(v); }, reps);
      std::vector<float> out = output();
      if (v.isa == tf::Isa::Scalar) ref = out;
      r.check = compare(out, ref);
      ctx.add(r);
    });
    tf::clear_forced_isa();
  }
};

}  // namespace

TF_BENCH_SUITE(variants) {
  const bool quick = ctx.opt.quick;
  const size_t n = quick ? size_t(1) << 22 : size_t(1) << 24;  // 16 / 64 MB of fp32
  const std::string sz = std::to_string(n * 4 >> 20) + " MB fp32";
  std::vector<uint8_t> src(n * 4, 1), dst(n * 4, 2);
  const double tc = tfb::time_median([&] { tf::copy::copy_bytes(dst.data(), src.data(), n * 4); }, 5);
  Runner run{ctx, quick ? 3 : 9, 2.0 * n * 4 / tc / 1e9};
  const auto w = randoms(n, 1);

  {
    std::vector<uint8_t> mask(n);
    run.family("magnitude mask_ge", tf::mag::kVariants, sz, 5.0 * n, 0,
               [&](const auto& v) { v.fns->mask_ge(w.data(), n, 0x3f000000u, mask.data(), nullptr); },
               [&] { return as_floats(mask); });
  }
  {
    std::vector<uint8_t> mask(n);
    run.family("nm contig 2:4", tf::nm::kVariants, sz, 5.0 * n, 0,
               [&](const auto& v) { v.fns->contig(w.data(), n / 4, 2, 4, true, mask.data()); },
               [&] { return as_floats(mask); });
  }
  {
    std::vector<int8_t> q(n);
    run.family("quant q8 per-tensor", tf::quant::kVariants, sz, 5.0 * n, 0,
               [&](const auto& v) { v.fns->q8_scalar_scale(w.data(), n, 0.01f, q.data()); },
               [&] { return as_floats(q); });
  }
  {
    std::vector<float> out(n);
    run.family("structured |w|*s", tf::structured::kVariants, sz, 8.0 * n, 0,
               [&](const auto& v) { v.fns->abs_mul_scalar(w.data(), n, 0.37f, out.data()); }, [&] { return out; });
  }

  const size_t K = quick ? 1024 : 4096, N = K;
  const std::string shape = "x" + std::to_string(K) + " . " + std::to_string(K) + "x" + std::to_string(N);
  const auto b = randoms(K * N, 2);
  std::vector<float> y(128 * N);
  {
    const auto x = randoms(K, 3);
    run.family("gemv_f32", tf::gemv::kVariants, "1" + shape, 4.0 * (K * N + K + N), 2.0 * K * N,
               [&](const auto& v) { tf::gemv::gemv_f32(x.data(), b.data(), K, N, N, y.data(), v.isa); },
               [&] { return std::vector<float>(y.begin(), y.begin() + N); });
  }
  {
    const size_t M = 128;
    const auto a = randoms(M * K, 4);
    tf::gemm::SgemmArgs g;
    g.m = M, g.n = N, g.k = K, g.a = a.data(), g.lda = K, g.b = b.data(), g.ldb = N, g.c = y.data(), g.ldc = N;
    run.family("sgemm", tf::gemm::kVariants, std::to_string(M) + shape, 4.0 * (M * K + K * N + M * N),
               2.0 * M * N * K, [&](const auto& v) { tf::gemm::sgemm(g, v.isa); },
               [&] { return std::vector<float>(y.begin(), y.begin() + M * N); });
  }
  {
    const size_t M = 16;
    const auto a = randoms(M * K, 5);
    const auto pb = tf::pgemm::pack_b(b.data(), K, N, N);
    run.family("pgemm (B packed once)", tf::pgemm::kVariants, std::to_string(M) + shape, 4.0 * (M * K + K * N + M * N),
               2.0 * M * N * K, [&](const auto& v) { tf::pgemm::gemm(a.data(), M, K, pb, y.data(), N, v.isa); },
               [&] { return std::vector<float>(y.begin(), y.begin() + M * N); });
  }
  {
    const auto x = randoms(K, 6);
    const auto dense = tf::spmm::dense_of(tf::spmm::random_nm(N, K, 2, 4, 7));
    const auto p = tf::sp24::pack(dense.data(), N, K, tf::sp24::Values::F32);
    const auto view = p.view();
    run.family("sp24 2:4 fp32", tf::sp24::kVariants, "1" + shape, double(view.bytes()) + 4.0 * (K + N),
               2.0 * N * (K / 2), [&](const auto& v) { tf::sp24::gemm(view, x.data(), 1, y.data(), v.isa); },
               [&] { return std::vector<float>(y.begin(), y.begin() + N); });
  }
  {
    const auto x = randoms(K, 8);
    const auto csr = tf::spmm::random_csr(N, K, 0.1, 9);
    run.family("spmm csr 90%", tf::spmm::kVariants, "1" + shape, double(csr.bytes()) + 4.0 * (K + N),
               2.0 * csr.values.size(), [&](const auto& v) { tf::spmm::csr_f32_gemm(csr.view(), x.data(), 1, y.data(), v.isa); },
               [&] { return std::vector<float>(y.begin(), y.begin() + N); });
  }
  {
    const size_t M = 16;
    std::vector<int8_t> a8(M * K), b8(N * K);
    for (size_t i = 0; i < a8.size(); ++i) a8[i] = int8_t(int(i * 7 % 255) - 127);
    for (size_t i = 0; i < b8.size(); ++i) b8[i] = int8_t(int(i * 13 % 255) - 127);
    std::vector<int32_t> c32(M * N);
    run.family("s8_gemm int8", tf::int8gemm::kVariants, std::to_string(M) + shape, double(M * K + N * K + 4 * M * N),
               2.0 * M * N * K, [&](const auto& v) { tf::int8gemm::s8_gemm(a8.data(), b8.data(), c32.data(), M, N, K, v.isa); },
               [&] { return as_floats(c32); });
  }
  {
    // One SparseGPT block sweep (mask given) over many row chunks: U upper triangular with a
    // positive diagonal, as the solver hands it over.
    using tf::solvers::detail::kRowChunk;
    const size_t count = 128, chunks = quick ? 64 : 256;
    auto u = randoms(count * count, 10);
    for (size_t i = 0; i < count; ++i)
      for (size_t j = 0; j < count; ++j) u[i * count + j] = j < i ? 0.0f : j == i ? 1.0f + std::fabs(u[i * count + j]) : 0.1f * u[i * count + j];
    const auto w0 = randoms(count * kRowChunk, 11);
    std::vector<float> wt(count * kRowChunk), et(count * kRowChunk);
    std::vector<uint8_t> keep(count * kRowChunk);
    for (size_t i = 0; i < keep.size(); ++i) keep[i] = (i * 2654435761u >> 7) & 1;
    run.family("obs sweep (SparseGPT block)", tf::solvers::detail::kVariants,
               std::to_string(count) + " cols x " + std::to_string(chunks * kRowChunk) + " rows", 0,
               double(chunks) * count * count * kRowChunk, [&](const auto& v) {
                 for (size_t c = 0; c < chunks; ++c) {
                   wt = w0;
                   tf::solvers::detail::SweepArgs s;
                   s.count = count, s.u = u.data(), s.ldu = count;
                   s.wt = wt.data(), s.et = et.data(), s.keep = keep.data();
                   v.fns(s);
                 }
               },
               [&] {
                 std::vector<float> out = wt;
                 out.insert(out.end(), et.begin(), et.end());
                 return out;
               });
  }
}
