// Shared helpers of the .cu files: block reductions, a recycled device scratch pool (no
// cudaMalloc/cudaFree inside timed regions or solver loops), host float<->bits, SM count, and
// the internal entry points one .cu file offers another.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {

inline uint32_t __float_as_uint_host(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float __uint_as_float_host(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline int device_sms() {
  static const int sms = [] {
    int v = 0;
    if (cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, 0) != cudaSuccess || v <= 0) v = 80;
    return v;
  }();
  return sms;
}

// Recycled device memory: a scratch borrows the smallest free pooled buffer that fits.
class ScratchPoolDev {
 public:
  static ScratchPoolDev& get() {
    static ScratchPoolDev* p = new ScratchPoolDev;  // never destroyed (teardown order)
    return *p;
  }
  void* take(size_t bytes, size_t* slot) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < bufs_.size(); ++i)
      if (!used_[i] && bufs_[i].bytes() >= bytes && (best == SIZE_MAX || bufs_[i].bytes() < bufs_[best].bytes()))
        best = i;
    if (best == SIZE_MAX) {
      bufs_.emplace_back(bytes < 256 ? 256 : bytes);
      used_.push_back(false);
      best = bufs_.size() - 1;
    }
    used_[best] = true;
    *slot = best;
    return bufs_[best].data();
  }
  void give(size_t slot) {
    std::lock_guard<std::mutex> lock(mu_);
    used_[slot] = false;
  }

 private:
  std::mutex mu_;
  std::vector<Buffer> bufs_;
  std::vector<bool> used_;
};

struct DeviceScratch {
  size_t slot = 0;
  void* p = nullptr;
  explicit DeviceScratch(size_t bytes) { p = ScratchPoolDev::get().take(bytes, &slot); }
  ~DeviceScratch() { ScratchPoolDev::get().give(slot); }
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  template <typename T>
  T* as() const { return static_cast<T*>(p); }
};

#ifdef __CUDACC__
template <typename T>
__device__ inline T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xFFFFFFFFu, v, o);
  return v;
}
// Sum over the block; the result is valid in thread 0. All threads must call it.
template <typename T>
__device__ inline T block_sum(T v) {
  __shared__ T part[32];
  v = warp_sum(v);
  const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) part[warp] = v;
  __syncthreads();
  T s = 0;
  if (warp == 0) {
    s = lane < (blockDim.x + 31) / 32 ? part[lane] : T(0);
    s = warp_sum(s);
  }
  return s;
}
__device__ inline unsigned long long block_sum_u64(unsigned long long v) { return block_sum<unsigned long long>(v); }
#endif

// ---- internal entry points between .cu files ----
// Element of 0-based ascending rank `rank` among the |x| keys of d_x: returns its value in
// .threshold and the count of smaller keys in .ties_to_prune. NaN -> BAD_INPUT.
Threshold kth_select_dev(const float* d_x, size_t n, uint64_t rank);

}  // namespace tf::cuda
