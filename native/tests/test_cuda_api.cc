// The CUDA API's contract on any machine: info() never throws; without nvcc (stub) or without a
// device every kernel throws NO_DEVICE; with a device, small cases agree with the CPU kernels
// (the full comparison and timings are the bench binary's gpu suite).
#include <cstring>
#include <vector>

#include "kernels/cuda/tf_cuda.h"
#include "kernels/magnitude/magnitude.h"
#include "kernels/nm/nm.h"
#include "kernels/quant/quant.h"
#include "test_util.h"

TF_TEST(cuda_info_never_throws_and_explains_absence) {
  tf::cuda::Info i = tf::cuda::info();
#ifndef TF_HAVE_CUDA
  TF_CHECK(!i.built);
#endif
  if (i.devices.empty()) {
    TF_CHECK(!i.error.empty());
    std::vector<float> w(64, 1.0f);
    std::vector<uint8_t> m(64);
    TF_CHECK_THROWS_CODE(tf::cuda::require_device(), "NO_DEVICE");
    TF_CHECK_THROWS_CODE(tf::cuda::Buffer(16), "NO_DEVICE");
    TF_CHECK_THROWS_CODE(tf::cuda::global_threshold(w.data(), w.size(), 0.5), "NO_DEVICE");
    tf::cuda::NmShape s;
    s.rows = 8, s.cols = 8;
    TF_CHECK_THROWS_CODE(tf::cuda::nm_mask(w.data(), s, m.data()), "NO_DEVICE");
    TF_CHECK_THROWS_CODE(tf::cuda::copy_bandwidth_gbps(1 << 20, 1), "NO_DEVICE");
    tf::solvers::SparseGptOptions o;
    std::vector<float> h(64, 0.0f);
    TF_CHECK_THROWS_CODE(tf::cuda::sparsegpt(w.data(), 8, 8, h.data(), m.data(), o), "NO_DEVICE");
  }
}

TF_TEST(cuda_kernels_match_cpu_when_a_device_exists) {
  const tf::cuda::Info info = tf::cuda::info();
  if (info.devices.empty()) TF_SKIP("no CUDA device (" + info.error + ")");
  tf::test::Rng rng(5);
  const size_t rows = 64, cols = 256, n = rows * cols;
  auto w = rng.floats(n);
  for (size_t i = 0; i < n; i += 17) w[i] = 0.0f;  // ties
  for (double sp : {0.02, 0.5}) {
    auto c = tf::mag::global_threshold({{w.data(), n}}, sp);
    auto g = tf::cuda::global_threshold(w.data(), n, sp);
    TF_CHECK(std::memcmp(&c.threshold, &g.threshold, 4) == 0);
    TF_CHECK_EQ(c.ties_to_prune, g.ties_to_prune);
  }
  // Mask build and pruning with ties on the device: few ties (settled in one block), many ties
  // (the ranked fallback), an unaligned view (the generic select), all as the CPU does it.
  {
    std::vector<float> t = w;
    for (size_t i = 0; i < n; i += 3) t[i] = 0.25f;  // ~n/3 ties at 0.25
    for (double sp : {0.2, 0.4})
      for (size_t off : {size_t(0), size_t(1)}) {
        const size_t len = n - off;
        auto c = tf::mag::global_threshold({{t.data() + off, len}}, sp);
        tf::cuda::Buffer dall(n * sizeof(float));
        dall.upload(t.data(), n * sizeof(float));
        float* view = dall.as<float>() + off;
        auto g = tf::cuda::global_threshold_dev(view, len, sp);
        TF_CHECK(std::memcmp(&c.threshold, &g.threshold, 4) == 0);
        TF_CHECK_EQ(c.ties_to_prune, g.ties_to_prune);
        for (uint64_t ties : {uint64_t(0), uint64_t(3), c.ties_to_prune}) {
          std::vector<uint8_t> mc(len), mg(len);
          const uint64_t pc = tf::mag::build_mask(t.data() + off, len, c.threshold, ties, mc.data());
          tf::cuda::Buffer dm(len);
          const uint64_t pg = tf::cuda::build_mask_dev(view, len, c.threshold, ties, dm.as<uint8_t>());
          dm.download(mg.data(), len);
          TF_CHECK_EQ(pc, pg);
          TF_CHECK(mc == mg);
        }
      }
  }
  tf::nm::Shape s;
  s.rows = rows, s.cols = cols, s.n = 2, s.m = 4;
  tf::cuda::NmShape cs;
  cs.rows = rows, cs.cols = cols, cs.n = 2, cs.m = 4;
  std::vector<uint8_t> mc(n), mg(n);
  tf::nm::nm_mask(w.data(), s, mc.data());
  tf::cuda::nm_mask(w.data(), cs, mg.data());
  TF_CHECK(mc == mg);
  std::vector<int8_t> qc(n), qg(n);
  std::vector<float> sc(rows), sg(rows);
  tf::quant::quantize_int8(w.data(), rows, cols, 0, qc.data(), sc.data());
  tf::cuda::quantize_int8(w.data(), rows, cols, 0, qg.data(), sg.data());
  TF_CHECK(qc == qg && sc == sg);
}

TF_TEST_MAIN
