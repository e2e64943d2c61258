// The measuring calls: operands synthesized from a seed (so a run is reproducible and needs no
// model), one warm-up, then median-of-repeats timing with the steady clock.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <vector>

#include "common/error.h"
#include "kernels/copy/copy.h"
#include "kernels/cuda/tf_cuda.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/gemv/gemv.h"
#include "kernels/int8gemm/int8gemm.h"
#include "kernels/pgemm/pgemm.h"
#include "kernels/measure/measure.h"
#include "kernels/sp24/sp24.h"
#include "kernels/spmm/synth.h"

namespace tf::measure {
namespace {

// Outputs sampled for the verify check (each a full dot product in double).
constexpr size_t kVerifySamples = 64;

std::vector<float> randoms(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& x : v) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x = float(int64_t(s >> 40) - (int64_t(1) << 23)) / float(1 << 23);
  }
  return v;
}

void time_it(const Spec& s, const JobControl* ctl, const std::function<void()>& fn, Result& r) {
  for (int i = 0; i < std::max(0, s.warmup); ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < std::max(1, s.repeats); ++i) {
    check(ctl);
    const auto a = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    report(ctl, uint64_t(i + 1), uint64_t(std::max(1, s.repeats)), "measure");
  }
  std::sort(t.begin(), t.end());
  r.seconds = t[t.size() / 2];
  r.min_seconds = t.front();
  r.repeats = int(t.size());
}

// Relative error of sampled outputs: |got - want| / max(|want|, rms of the row's terms).
template <typename Want>
double sample_error(size_t m, size_t n, const float* y, Want want) {
  double worst = 0;
  for (size_t s = 0; s < kVerifySamples; ++s) {
    const size_t i = (s * 7919) % m, j = (s * 104729 + 13) % n;
    double scale = 0;
    const double w = want(i, j, &scale);
    worst = std::max(worst, std::fabs(double(y[i * n + j]) - w) / std::max(std::fabs(w), std::max(scale, 1e-30)));
  }
  return worst;
}

// sample_error of Y = X · op(B) against a dense operand: element (t, j) of op(B) at
// b[t * t_stride + j * j_stride] (a K x N weight: n, 1; an N x K one: 1, k).
double dense_error(size_t m, size_t n, size_t k, const std::vector<float>& x, const float* y, const float* b,
                   size_t t_stride, size_t j_stride) {
  return sample_error(m, n, y, [&](size_t i, size_t j, double* sc) {
    double acc = 0, sq = 0;
    for (size_t t = 0; t < k; ++t) {
      const float bt = b[t * t_stride + j * j_stride];
      acc += double(x[i * k + t]) * bt, sq += std::fabs(x[i * k + t] * bt);
    }
    *sc = sq * 1e-3;
    return acc;
  });
}

void check_dims(const Spec& s) {
  if (s.m == 0 || s.n == 0 || s.k == 0) throw bad_input("m, n and k must be >= 1", "params");
  const double elems = double(s.m) * s.k + double(s.n) * s.k + double(s.m) * s.n;
  if (elems > 2e9) throw bad_input("operands too large to measure (> 2e9 elements)", "params");
}

}  // namespace

Result run(const Spec& s, Isa isa, const JobControl* ctl) {
  Result r;
  r.isa = isa_name(isa);
  if (s.kernel == "copy") {
    if (s.bytes == 0) throw bad_input("bytes must be >= 1", "bytes");
    std::vector<uint8_t> a(s.bytes, 0x5A), b(s.bytes, 1);
    time_it(s, ctl, [&] { copy::copy_bytes(b.data(), a.data(), s.bytes); }, r);
    r.bytes = 2.0 * double(s.bytes);
    if (s.verify) r.max_rel_error = a == b ? 0.0 : 1.0;
    return r;
  }
  if (s.kernel == "cuda_copy") {
    if (s.bytes < 16) throw bad_input("bytes must be >= 16", "bytes");
    const double gbps = cuda::copy_bandwidth_gbps(s.bytes, std::max(1, s.repeats));
    r.bytes = 2.0 * double(s.bytes / 16 * 16);
    r.seconds = r.min_seconds = r.bytes / (gbps * 1e9);
    r.repeats = s.repeats;
    r.isa = "cuda";
    return r;
  }
  check_dims(s);
  const size_t m = s.kernel == "gemv" ? 1 : s.m, n = s.n, k = s.k;
  const auto x = randoms(m * k, s.seed);
  std::vector<float> y(m * n);
  if (s.kernel == "gemm" || s.kernel == "gemv" || s.kernel == "gemm_packed") {
    const auto b = randoms(k * n, s.seed + 1);  // ONNX MatMul B: [k, n]
    if (s.kernel == "gemm_packed") {
      // The weight packed once, outside the timing (as a loaded model does, and as ONNX
      // Runtime pre-packs constant MatMul weights at session creation).
      const auto pb = pgemm::pack_b(b.data(), k, n, n);
      time_it(s, ctl, [&] { pgemm::gemm(x.data(), m, k, pb, y.data(), n, isa, ctl); }, r);
    } else if (m == 1) {
      time_it(s, ctl, [&] { gemv::gemv_f32(x.data(), b.data(), k, n, n, y.data(), isa); }, r);
    } else {
      gemm::SgemmArgs g;
      g.m = m, g.n = n, g.k = k, g.a = x.data(), g.lda = k, g.b = b.data(), g.ldb = n, g.c = y.data(), g.ldc = n;
      time_it(s, ctl, [&] { gemm::sgemm(g, isa); }, r);
    }
    r.bytes = 4.0 * (double(m) * k + double(k) * n + double(m) * n);
    r.flops = 2.0 * double(m) * n * k;
    if (s.verify)
      r.max_rel_error = dense_error(m, n, k, x, y.data(), b.data(), n, 1);
    return r;
  }
  if (s.kernel == "csr" || s.kernel == "nm" || s.kernel == "bsr") {
    std::vector<float> dense;
    double nnz = 0, wbytes = 0;
    std::function<void()> fn;
    spmm::CsrData csr;
    spmm::NmData nm;
    spmm::BsrData bsr;
    if (s.kernel == "csr") {
      if (!(s.density >= 0 && s.density <= 1)) throw bad_input("density must be in [0, 1]", "density");
      csr = spmm::random_csr(n, k, s.density, s.seed + 2);
      nnz = double(csr.values.size()), wbytes = double(csr.bytes());
      fn = [&] { spmm::csr_f32_gemm(csr.view(), x.data(), m, y.data(), isa); };
      if (s.verify) dense = spmm::dense_of(csr);
    } else if (s.kernel == "nm") {
      if (!(s.nm_n >= 1 && s.nm_n < s.nm_m && s.nm_m <= 16)) throw bad_input("pattern needs 1 <= n < m <= 16", "pattern");
      if (k % s.nm_m) throw bad_input("k must be a multiple of the pattern's m", "k");
      nm = spmm::random_nm(n, k, s.nm_n, s.nm_m, s.seed + 3);
      nnz = double(nm.values.size()), wbytes = double(nm.bytes());
      fn = [&] { spmm::nm_f32_gemm(nm.view(), x.data(), m, y.data(), isa); };
      if (s.verify) dense = spmm::dense_of(nm);
    } else {
      if (s.br == 0 || s.bc == 0 || n % s.br || k % s.bc) throw bad_input("block must divide n and k", "block");
      if (!(s.density >= 0 && s.density <= 1)) throw bad_input("density must be in [0, 1]", "density");
      bsr = spmm::random_bsr(n, k, s.br, s.bc, s.density, s.seed + 4);
      nnz = double(bsr.values.size()), wbytes = double(bsr.bytes());
      fn = [&] { spmm::bsr_f32_gemm(bsr.view(), x.data(), m, y.data(), isa); };
      if (s.verify) dense = spmm::dense_of(bsr);
    }
    time_it(s, ctl, fn, r);
    r.bytes = wbytes + 4.0 * (double(m) * k + double(m) * n);
    r.flops = 2.0 * double(m) * nnz;
    if (s.verify)
      r.max_rel_error = dense_error(m, n, k, x, y.data(), dense.data(), 1, k);
    return r;
  }
  if (s.kernel == "sp24" || s.kernel == "sp24_f16") {
    // 2:4 packed weights (values + 2-bit positions) from the same synthesized 2:4 matrix.
    if (k % 4) throw bad_input("k must be a multiple of 4 for 2:4 packed weights", "k");
    const auto nmw = spmm::random_nm(n, k, 2, 4, s.seed + 3);
    const auto dense = spmm::dense_of(nmw);
    const auto packed = sp24::pack(dense.data(), n, k, s.kernel == "sp24" ? sp24::Values::F32 : sp24::Values::F16);
    const sp24::Packed w = packed.view();
    time_it(s, ctl, [&] { sp24::gemm(w, x.data(), m, y.data(), isa, ctl); }, r);
    r.bytes = double(w.bytes()) + 4.0 * (double(m) * k + double(m) * n);
    r.flops = 2.0 * double(m) * n * (k / 2);
    if (s.verify) {
      const auto dq = sp24::unpack(w);
      r.max_rel_error = dense_error(m, n, k, x, y.data(), dq.data(), 1, k);
    }
    return r;
  }
  if (s.kernel == "int8") {
    std::vector<int8_t> a(m * k), b(n * k);
    uint64_t st = s.seed * 31 + 7;
    for (auto& v : a) st ^= st << 13, st ^= st >> 7, st ^= st << 17, v = int8_t(int(st % 256) - 128);
    for (auto& v : b) st ^= st << 13, st ^= st >> 7, st ^= st << 17, v = int8_t(int(st % 255) - 127);
    std::vector<int32_t> c(m * n);
    time_it(s, ctl, [&] { int8gemm::s8_gemm(a.data(), b.data(), c.data(), m, n, k, isa); }, r);
    r.bytes = double(m) * k + double(n) * k + 4.0 * double(m) * n;
    r.flops = 2.0 * double(m) * n * k;
    if (s.verify) {
      double worst = 0;
      for (size_t q = 0; q < kVerifySamples; ++q) {
        const size_t i = (q * 7919) % m, j = (q * 104729 + 13) % n;
        int64_t acc = 0;
        for (size_t t = 0; t < k; ++t) acc += int64_t(a[i * k + t]) * b[j * k + t];
        worst = std::max(worst, double(acc != c[i * n + j]));
      }
      r.max_rel_error = worst;
    }
    return r;
  }
  throw bad_input("unknown measuring kernel '" + s.kernel + "' (copy, gemm, gemm_packed, gemv, csr, nm, bsr, sp24, sp24_f16, int8, cuda_copy)", "kernel");
}

}  // namespace tf::measure
