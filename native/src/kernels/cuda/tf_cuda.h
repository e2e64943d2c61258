// CUDA variants of the compression kernels and the device yardsticks. One header for both
// builds: kernels/cuda/*.cu implement it when nvcc is found (TF_HAVE_CUDA), kernels/cuda_stub
// otherwise (info() says "built without CUDA", everything else throws NO_DEVICE). Only the
// static runtime is linked, never libcuda: a machine without the driver gets a NO_DEVICE
// error from the first call, never a failed load or a crash.
//
// Semantics match the CPU references exactly where the result is discrete (thresholds, masks,
// codes); floating-point sums (Hessian, solver updates) match within the tests' tolerances.
// Pointers named d_* are device pointers (Buffer::data()); the others are host pointers and
// the call copies in and out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/solvers/solvers.h"

namespace tf::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  size_t total_bytes = 0;
  int multiprocessors = 0;
  size_t l2_bytes = 0;
};

struct Info {
  bool built = false;            // compiled with nvcc
  int runtime_version = 0;       // cudaRuntimeGetVersion
  int driver_version = 0;        // 0 when no driver
  std::vector<DeviceInfo> devices;
  std::string error;             // why there is no device ("" when there is one)
};

// Never throws.
Info info();
// Throws tf::Error("NO_DEVICE") with info().error when no device can be used.
void require_device();

// Device memory (cudaMalloc), move-only.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t bytes);
  ~Buffer();
  Buffer(Buffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr, o.bytes_ = 0; }
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data() const { return p_; }
  template <typename T>
  T* as() const { return static_cast<T*>(p_); }
  size_t bytes() const { return bytes_; }
  void upload(const void* src, size_t bytes, size_t offset = 0);
  void download(void* dst, size_t bytes, size_t offset = 0) const;
  void zero();

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

void synchronize();
// Median milliseconds of `reps` runs of fn (which enqueues work on the default stream),
// timed with CUDA events after `warmup` untimed runs.
double time_ms(const std::function<void()>& fn, int reps, int warmup = 2);

// ---- yardstick ---------------------------------------------------------------------------
// d_dst = d_src with a 16-byte-per-thread grid-stride copy kernel (bytes % 16 == 0).
void copy_d2d(void* d_dst, const void* d_src, size_t bytes);

// ---- magnitude ---------------------------------------------------------------------------
struct Threshold {
  float threshold = 0;
  uint64_t prune_count = 0, ties_to_prune = 0, total = 0;
};
// Same rule as tf::mag::global_threshold over one concatenated tensor (histogram select on
// the |w| bit patterns: one histogram pass, one refine pass copying the k-th value's bin,
// then passes over that bin only). NaN -> BAD_INPUT.
Threshold global_threshold_dev(const float* d_w, size_t n, double sparsity);
// tf::mag::build_mask / prune_by_threshold: ties pruned in index order. Return ties pruned.
uint64_t build_mask_dev(const float* d_w, size_t n, float threshold, uint64_t ties, uint8_t* d_mask);
uint64_t prune_dev(float* d_w, size_t n, float threshold, uint64_t ties);
void apply_mask_dev(float* d_w, const uint8_t* d_mask, size_t n);

// ---- N:M ---------------------------------------------------------------------------------
struct NmShape {
  size_t rows = 0, cols = 0;
  int n = 2, m = 4, axis = 1;
  bool magnitude = true;
};
// tf::nm::nm_mask (keep the n largest of every m, ties keep the lower index, short tail
// groups keep ceil(n*t/m)). NaN -> BAD_INPUT.
void nm_mask_dev(const float* d_scores, const NmShape& s, uint8_t* d_mask);

// ---- quantization (tf::quant semantics, bit-identical codes and scales) --------------------
// int8 symmetric per channel: axis 0 = one scale per row, 1 = per column. NaN/Inf -> BAD_INPUT.
void quantize_int8_dev(const float* d_w, size_t rows, size_t cols, int axis, int8_t* d_q, float* d_scales);
// int4 groups of 32/64/128 along rows, packed low nibble first; zero points only when asymmetric.
void quantize_int4_dev(const float* d_w, size_t rows, size_t cols, size_t group, bool symmetric, uint8_t* d_packed,
                       float* d_scales, uint8_t* d_zero_points);

// ---- calibration statistics and solvers --------------------------------------------------
// d_h (dim x dim) += alpha * XᵀX (exactly symmetric, like the CPU version).
void hessian_accumulate_dev(float* d_h, const float* d_x, size_t n_samples, size_t dim, float alpha);
// Dense row-major sgemm on the device (the solvers' workhorse; exposed for the bench).
void sgemm_dev(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha, const float* d_a, size_t lda,
               const float* d_b, size_t ldb, float beta, float* d_c, size_t ldc);

// SparseGPT / GPTQ with the CPU solvers' options and results (solvers.h). d_h is not modified.
solvers::ObsResult sparsegpt_dev(float* d_w, size_t rows, size_t cols, const float* d_h, uint8_t* d_mask,
                                 const solvers::SparseGptOptions& opt);
solvers::ObsResult gptq_dev(float* d_w, size_t rows, size_t cols, const float* d_h, const uint8_t* d_mask,
                            uint8_t* d_codes, float* d_scales, float* d_zeros, const solvers::GptqOptions& opt);

// ---- host-pointer conveniences (copy in, run, copy out) for the addon -------------------
Threshold global_threshold(const float* w, size_t n, double sparsity);
void nm_mask(const float* scores, const NmShape& s, uint8_t* mask);
void quantize_int8(const float* w, size_t rows, size_t cols, int axis, int8_t* q, float* scales);
void quantize_int4(const float* w, size_t rows, size_t cols, size_t group, bool symmetric, uint8_t* packed,
                   float* scales, uint8_t* zero_points);
void hessian_accumulate(float* h, const float* x, size_t n_samples, size_t dim, float alpha);
solvers::ObsResult sparsegpt(float* w, size_t rows, size_t cols, const float* h, uint8_t* mask,
                             const solvers::SparseGptOptions& opt);
solvers::ObsResult gptq(float* w, size_t rows, size_t cols, const float* h, const uint8_t* mask, uint8_t* codes,
                        float* scales, float* zeros, const solvers::GptqOptions& opt);
// Device copy bandwidth in GB/s (bytes read + written), `bytes` per buffer.
double copy_bandwidth_gbps(size_t bytes, int reps);

}  // namespace tf::cuda
