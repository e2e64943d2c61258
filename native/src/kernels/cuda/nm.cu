// N:M masks on the device: one thread per group, the group's m (<= 16) scores in registers
// (m is a template parameter, so the arrays never spill to local memory), each element ranked
// by pairwise comparison: kept when fewer than n others beat it (larger, or equal and earlier).
// Axis 1 groups are contiguous (16-byte loads when m is a multiple of 4 and the rows align);
// axis 0 groups run down a column, so neighbouring threads read neighbouring columns.
#include <algorithm>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_util.cuh"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {
namespace {

template <int M>
__device__ inline void rank_keep(const float (&v)[M], int t, int keep, bool (&out)[M]) {
#pragma unroll
  for (int c = 0; c < M; ++c) {
    int beaten = 0;
#pragma unroll
    for (int o = 0; o < M; ++o)
      if (o != c && o < t) beaten += (v[o] > v[c]) || (v[o] == v[c] && o < c);
    out[c] = c < t && beaten < keep;
  }
}

template <int M>
__global__ void nm_axis1_kernel(const float* __restrict__ s, size_t rows, size_t cols, int n, bool magnitude, bool vec,
                                uint8_t* __restrict__ mask, unsigned* nan_flag) {
  const size_t gpr = (cols + M - 1) / M;  // groups per row
  const size_t total = rows * gpr;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  bool nan = false;
  for (size_t g = size_t(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += stride) {
    const size_t r = g / gpr, gc = g - r * gpr, c0 = gc * M;
    const int t = int(cols - c0 < size_t(M) ? cols - c0 : size_t(M));
    const float* src = s + r * cols + c0;
    float v[M];
    if (vec) {
#pragma unroll
      for (int q = 0; q < M / 4; ++q) {
        const float4 x = reinterpret_cast<const float4*>(src)[q];
        v[4 * q] = x.x, v[4 * q + 1] = x.y, v[4 * q + 2] = x.z, v[4 * q + 3] = x.w;
      }
    } else {
#pragma unroll
      for (int j = 0; j < M; ++j) v[j] = j < t ? src[j] : 0.0f;
    }
#pragma unroll
    for (int j = 0; j < M; ++j) {
      nan |= isnan(v[j]);
      if (magnitude) v[j] = fabsf(v[j]);
    }
    const int keep = t == M ? n : (n * t + M - 1) / M;
    bool k[M];
    rank_keep<M>(v, t, keep, k);
    uint8_t* dst = mask + r * cols + c0;
    if (vec) {
#pragma unroll
      for (int q = 0; q < M / 4; ++q)
        reinterpret_cast<uchar4*>(dst)[q] = make_uchar4(k[4 * q], k[4 * q + 1], k[4 * q + 2], k[4 * q + 3]);
    } else {
#pragma unroll
      for (int j = 0; j < M; ++j)
        if (j < t) dst[j] = k[j];
    }
  }
  if (__syncthreads_or(nan) && threadIdx.x == 0) atomicOr(nan_flag, 1u);
}

template <int M>
__global__ void nm_axis0_kernel(const float* __restrict__ s, size_t rows, size_t cols, int n, bool magnitude,
                                uint8_t* __restrict__ mask, unsigned* nan_flag) {
  const size_t gpc = (rows + M - 1) / M;  // groups per column
  const size_t total = gpc * cols;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  bool nan = false;
  for (size_t g = size_t(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += stride) {
    const size_t gr = g / cols, c = g - gr * cols, r0 = gr * M;
    const int t = int(rows - r0 < size_t(M) ? rows - r0 : size_t(M));
    float v[M];
#pragma unroll
    for (int j = 0; j < M; ++j) {
      v[j] = j < t ? s[(r0 + j) * cols + c] : 0.0f;
      nan |= isnan(v[j]);
      if (magnitude) v[j] = fabsf(v[j]);
    }
    const int keep = t == M ? n : (n * t + M - 1) / M;
    bool k[M];
    rank_keep<M>(v, t, keep, k);
#pragma unroll
    for (int j = 0; j < M; ++j)
      if (j < t) mask[(r0 + j) * cols + c] = k[j];
  }
  if (__syncthreads_or(nan) && threadIdx.x == 0) atomicOr(nan_flag, 1u);
}

template <int M>
void launch(const float* d_s, const NmShape& sh, uint8_t* d_mask, unsigned* flag) {
  const size_t groups = sh.axis == 1 ? sh.rows * ((sh.cols + M - 1) / M) : ((sh.rows + M - 1) / M) * sh.cols;
  const unsigned grid = unsigned(std::max<size_t>(1, std::min<size_t>((groups + 255) / 256, size_t(device_sms()) * 16)));
  const bool aligned = reinterpret_cast<uintptr_t>(d_s) % 16 == 0 && reinterpret_cast<uintptr_t>(d_mask) % 4 == 0;
  // 16-byte loads only for whole groups of a multiple of 4 on aligned buffers.
  const bool vec = M % 4 == 0 && sh.cols % M == 0 && aligned;
  if (sh.axis == 1)
    nm_axis1_kernel<M><<<grid, 256>>>(d_s, sh.rows, sh.cols, sh.n, sh.magnitude, vec, d_mask, flag);
  else
    nm_axis0_kernel<M><<<grid, 256>>>(d_s, sh.rows, sh.cols, sh.n, sh.magnitude, d_mask, flag);
  TF_CUDA_LAUNCHED();
}

}  // namespace

void nm_mask_dev(const float* d_s, const NmShape& sh, uint8_t* d_mask) {
  require_device();
  if (!(sh.n >= 1 && sh.n < sh.m && sh.m <= 16))
    throw bad_input("N:M needs 1 <= n < m <= 16, got " + std::to_string(sh.n) + ":" + std::to_string(sh.m), "nm");
  if (sh.axis != 0 && sh.axis != 1) throw bad_input("axis must be 0 or 1", "axis");
  if (sh.rows == 0 || sh.cols == 0) return;
  DeviceScratch flag(sizeof(unsigned));
  TF_CUDA_CHECK(cudaMemsetAsync(flag.p, 0, sizeof(unsigned)));
  unsigned* f = flag.as<unsigned>();
  switch (sh.m) {
    case 2: launch<2>(d_s, sh, d_mask, f); break;
    case 3: launch<3>(d_s, sh, d_mask, f); break;
    case 4: launch<4>(d_s, sh, d_mask, f); break;
    case 5: launch<5>(d_s, sh, d_mask, f); break;
    case 6: launch<6>(d_s, sh, d_mask, f); break;
    case 7: launch<7>(d_s, sh, d_mask, f); break;
    case 8: launch<8>(d_s, sh, d_mask, f); break;
    case 9: launch<9>(d_s, sh, d_mask, f); break;
    case 10: launch<10>(d_s, sh, d_mask, f); break;
    case 11: launch<11>(d_s, sh, d_mask, f); break;
    case 12: launch<12>(d_s, sh, d_mask, f); break;
    case 13: launch<13>(d_s, sh, d_mask, f); break;
    case 14: launch<14>(d_s, sh, d_mask, f); break;
    case 15: launch<15>(d_s, sh, d_mask, f); break;
    default: launch<16>(d_s, sh, d_mask, f); break;
  }
  unsigned nan = 0;
  TF_CUDA_CHECK(cudaMemcpy(&nan, f, sizeof(nan), cudaMemcpyDeviceToHost));
  if (nan) throw bad_input("scores contain NaN", "scores");
}

void nm_mask(const float* scores, const NmShape& sh, uint8_t* mask) {
  const size_t n = sh.rows * sh.cols;
  Buffer ds(n * sizeof(float)), dm(n);
  ds.upload(scores, n * sizeof(float));
  nm_mask_dev(ds.as<float>(), sh, dm.as<uint8_t>());
  dm.download(mask, n);
}

}  // namespace tf::cuda
