// int8 per-channel and int4 group quantization on the device, bit-identical to the CPU
// quant group (kernels/quant): scales from the largest |w| key (bits with the sign cleared,
// so NaN/Inf are caught by the same max), q = clamp(round-half-even(w / scale)), IEEE division
// (__fdiv_rn) and no contraction anywhere a rounding decides a code.
#include <algorithm>
#include <string>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_util.cuh"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {
namespace {

constexpr uint32_t kAbs = 0x7FFFFFFFu, kInf = 0x7F800000u;

__device__ inline int8_t q8(float x, float scale) {
  const float r = rintf(__fdiv_rn(x, scale));
  return int8_t(fminf(127.f, fmaxf(-127.f, r)));
}
__device__ inline float int8_scale(uint32_t key) {
  const float amax = __uint_as_float(key);
  return amax > 0.f ? __fdiv_rn(amax, 127.f) : 1.f;
}

__device__ inline uint32_t block_max_u32(uint32_t v) {
  __shared__ uint32_t part[32];
  for (int o = 16; o > 0; o >>= 1) v = max(v, __shfl_down_sync(0xFFFFFFFFu, v, o));
  __syncthreads();
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = v;
  __syncthreads();
  __shared__ uint32_t out;
  if (threadIdx.x < 32) {
    uint32_t s = threadIdx.x < (blockDim.x + 31) / 32 ? part[threadIdx.x] : 0u;
    for (int o = 16; o > 0; o >>= 1) s = max(s, __shfl_down_sync(0xFFFFFFFFu, s, o));
    if (threadIdx.x == 0) out = s;
  }
  __syncthreads();
  return out;
}

// axis 0: one block per row, the row read twice (the second time from L1/L2).
__global__ void q8_rows_kernel(const float* __restrict__ w, size_t cols, int8_t* __restrict__ q, float* scales,
                               unsigned* bad) {
  const size_t r = blockIdx.x;
  const float* row = w + r * cols;
  uint32_t key = 0;
  for (size_t c = threadIdx.x; c < cols; c += blockDim.x) key = max(key, __float_as_uint(row[c]) & kAbs);
  key = block_max_u32(key);
  if (key >= kInf) {
    if (threadIdx.x == 0) atomicOr(bad, 1u);
    return;
  }
  const float s = int8_scale(key);
  if (threadIdx.x == 0) scales[r] = s;
  int8_t* out = q + r * cols;
  for (size_t c = threadIdx.x; c < cols; c += blockDim.x) out[c] = q8(row[c], s);
}

// axis 0, rows of up to 1024 * NV floats held in registers (float4 loads, one read of w):
// NV float4s per thread, 256 threads.
template <int NV>
__global__ void __launch_bounds__(256) q8_rows_reg_kernel(const float* __restrict__ w, size_t cols,
                                                          int8_t* __restrict__ q, float* scales, unsigned* bad) {
  const size_t r = blockIdx.x;
  const float4* row = reinterpret_cast<const float4*>(w + r * cols);
  const size_t n4 = cols / 4;
  float4 v[NV];
  uint32_t key = 0;
#pragma unroll
  for (int i = 0; i < NV; ++i) {
    const size_t c = threadIdx.x + size_t(i) * blockDim.x;
    v[i] = c < n4 ? row[c] : make_float4(0.f, 0.f, 0.f, 0.f);
    key = max(key, max(max(__float_as_uint(v[i].x) & kAbs, __float_as_uint(v[i].y) & kAbs),
                       max(__float_as_uint(v[i].z) & kAbs, __float_as_uint(v[i].w) & kAbs)));
  }
  key = block_max_u32(key);
  if (key >= kInf) {
    if (threadIdx.x == 0) atomicOr(bad, 1u);
    return;
  }
  const float s = int8_scale(key);
  if (threadIdx.x == 0) scales[r] = s;
  char4* out = reinterpret_cast<char4*>(q + r * cols);
#pragma unroll
  for (int i = 0; i < NV; ++i) {
    const size_t c = threadIdx.x + size_t(i) * blockDim.x;
    if (c < n4) out[c] = make_char4(q8(v[i].x, s), q8(v[i].y, s), q8(v[i].z, s), q8(v[i].w, s));
  }
}

// axis 1: column maxima (atomicMax on the keys), then scales, then codes.
__global__ void colmax_kernel(const float* __restrict__ w, size_t rows, size_t cols, unsigned* keys) {
  const size_t c = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  const size_t r0 = size_t(blockIdx.y) * 256, r1 = min(rows, r0 + 256);
  uint32_t k = 0;
  for (size_t r = r0; r < r1; ++r) k = max(k, __float_as_uint(w[r * cols + c]) & kAbs);
  atomicMax(keys + c, k);
}
__global__ void colscale_kernel(const unsigned* keys, size_t cols, float* scales, unsigned* bad) {
  const size_t c = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  if (keys[c] >= kInf) atomicOr(bad, 1u);
  scales[c] = int8_scale(keys[c] >= kInf ? 0u : keys[c]);
}
__global__ void q8_cols_kernel(const float* __restrict__ w, size_t n, size_t cols, const float* __restrict__ scales,
                               int8_t* __restrict__ q) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) q[i] = q8(w[i], scales[i % cols]);
}

// int4: one warp per group of G (32/64/128), G/32 consecutive elements per lane.
template <int G>
__global__ void q4_groups_kernel(const float* __restrict__ w, size_t groups, bool symmetric, uint8_t* __restrict__ packed,
                                 float* __restrict__ scales, uint8_t* __restrict__ zps, unsigned* bad) {
  constexpr int PER = G / 32;
  const size_t warps = size_t(gridDim.x) * (blockDim.x / 32);
  const unsigned lane = threadIdx.x & 31;
  bool nonfinite = false;
  for (size_t g = size_t(blockIdx.x) * (blockDim.x / 32) + (threadIdx.x >> 5); g < groups; g += warps) {
    const float* x = w + g * G + lane * PER;
    float v[PER];
#pragma unroll
    for (int i = 0; i < PER; ++i) v[i] = x[i];
    float mn = v[0], mx = v[0];
    uint32_t key = 0;
#pragma unroll
    for (int i = 0; i < PER; ++i) {
      mn = fminf(mn, v[i]), mx = fmaxf(mx, v[i]);
      key = max(key, __float_as_uint(v[i]) & kAbs);
    }
    for (int o = 16; o > 0; o >>= 1) {
      mn = fminf(mn, __shfl_xor_sync(0xFFFFFFFFu, mn, o));
      mx = fmaxf(mx, __shfl_xor_sync(0xFFFFFFFFu, mx, o));
      key = max(key, __shfl_xor_sync(0xFFFFFFFFu, key, o));
    }
    nonfinite |= key >= kInf;
    float scale;
    int zp;
    if (symmetric) {
      const float amax = fmaxf(-mn, mx);
      scale = amax > 0.f ? __fdiv_rn(amax, 7.f) : 1.f;
      zp = 8;
    } else {
      const float lo = fminf(mn, 0.f), hi = fmaxf(mx, 0.f), range = hi - lo;
      scale = range > 0.f ? __fdiv_rn(range, 15.f) : 1.f;
      zp = int(fminf(15.f, fmaxf(0.f, rintf(__fdiv_rn(-lo, scale)))));
    }
    if (lane == 0) {
      scales[g] = scale;
      if (zps) zps[g] = uint8_t(zp);
    }
    int code[PER];
#pragma unroll
    for (int i = 0; i < PER; ++i) code[i] = int(fminf(15.f, fmaxf(0.f, rintf(__fdiv_rn(v[i], scale)) + float(zp))));
    if (PER >= 2) {
      uint8_t* out = packed + g * (G / 2) + lane * (PER / 2);
#pragma unroll
      for (int i = 0; i + 1 < PER; i += 2) out[i / 2] = uint8_t(code[i] | (code[i + 1] << 4));
    } else {
      // One element per lane: even lanes pair with their odd neighbour.
      const int hi = __shfl_down_sync(0xFFFFFFFFu, code[0], 1);
      if ((lane & 1) == 0) packed[g * (G / 2) + lane / 2] = uint8_t(code[0] | (hi << 4));
    }
  }
  if (__syncthreads_or(nonfinite) && threadIdx.x == 0) atomicOr(bad, 1u);
}

// int4, G/32 threads per group, 32 consecutive floats (8 float4 loads) per thread, the group's
// min/max exchanged between its threads with shuffles, 16 packed bytes stored at once.
template <int G>
__global__ void q4_groups32_kernel(const float* __restrict__ w, size_t groups, bool symmetric,
                                   uint8_t* __restrict__ packed, float* __restrict__ scales,
                                   uint8_t* __restrict__ zps, unsigned* bad) {
  constexpr int L = G / 32;  // threads per group: 1, 2 or 4
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  const size_t total = groups * L;  // threads' worth of work
  bool nonfinite = false;
  // Whole warps iterate together (the shuffles need every lane), so the loop runs on the warp's
  // first index; lanes past the end compute on valid memory and store nothing.
  const unsigned lane = threadIdx.x & 31;
  for (size_t base = (size_t(blockIdx.x) * blockDim.x + threadIdx.x) - lane; base < total; base += stride) {
    const size_t t = base + lane;
    const bool in = t < total;
    const size_t g = t / L;
    const int sub = int(t % L);
    float v[32];
    const float4* src = reinterpret_cast<const float4*>(w + (in ? t : 0) * 32);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const float4 x = src[i];
      v[4 * i] = x.x, v[4 * i + 1] = x.y, v[4 * i + 2] = x.z, v[4 * i + 3] = x.w;
    }
    float mn = v[0], mx = v[0];
    uint32_t key = 0;
#pragma unroll
    for (int i = 0; i < 32; ++i) {
      mn = fminf(mn, v[i]), mx = fmaxf(mx, v[i]);
      key = max(key, __float_as_uint(v[i]) & kAbs);
    }
#pragma unroll
    for (int o = 1; o < L; o <<= 1) {
      mn = fminf(mn, __shfl_xor_sync(0xFFFFFFFFu, mn, o));
      mx = fmaxf(mx, __shfl_xor_sync(0xFFFFFFFFu, mx, o));
      key = max(key, __shfl_xor_sync(0xFFFFFFFFu, key, o));
    }
    if (!in) continue;
    nonfinite |= key >= kInf;
    float scale;
    int zp;
    if (symmetric) {
      const float amax = fmaxf(-mn, mx);
      scale = amax > 0.f ? __fdiv_rn(amax, 7.f) : 1.f;
      zp = 8;
    } else {
      const float lo = fminf(mn, 0.f), hi = fmaxf(mx, 0.f), range = hi - lo;
      scale = range > 0.f ? __fdiv_rn(range, 15.f) : 1.f;
      zp = int(fminf(15.f, fmaxf(0.f, rintf(__fdiv_rn(-lo, scale)))));
    }
    if (sub == 0) {
      scales[g] = scale;
      if (zps) zps[g] = uint8_t(zp);
    }
    uint32_t word[4] = {0, 0, 0, 0};
#pragma unroll
    for (int i = 0; i < 32; ++i) {
      const uint32_t c = uint32_t(fminf(15.f, fmaxf(0.f, rintf(__fdiv_rn(v[i], scale)) + float(zp))));
      word[i / 8] |= c << (4 * (i % 8));
    }
    reinterpret_cast<uint4*>(packed)[t] = make_uint4(word[0], word[1], word[2], word[3]);
  }
  if (__syncthreads_or(nonfinite) && threadIdx.x == 0) atomicOr(bad, 1u);
}

unsigned grid_for(size_t work, size_t per_block = 256) {
  return unsigned(std::max<size_t>(1, std::min<size_t>((work + per_block - 1) / per_block, size_t(device_sms()) * 16)));
}

void check_flag(unsigned* flag) {
  unsigned bad = 0;
  TF_CUDA_CHECK(cudaMemcpy(&bad, flag, sizeof(bad), cudaMemcpyDeviceToHost));
  if (bad) throw bad_input("weights contain NaN or Infinity: they have no finite quantization scale", "weights");
}

}  // namespace

void quantize_int8_dev(const float* d_w, size_t rows, size_t cols, int axis, int8_t* d_q, float* d_scales) {
  require_device();
  if (axis != 0 && axis != 1) throw bad_input("axis must be 0 or 1, got " + std::to_string(axis), "axis");
  if (rows == 0 || cols == 0) return;
  DeviceScratch flag(sizeof(unsigned));
  TF_CUDA_CHECK(cudaMemsetAsync(flag.p, 0, sizeof(unsigned)));
  const bool vec = cols % 4 == 0 && reinterpret_cast<uintptr_t>(d_w) % 16 == 0 && reinterpret_cast<uintptr_t>(d_q) % 4 == 0;
  if (axis == 0 && vec && cols <= 1024 * 16) {
    unsigned* f = flag.as<unsigned>();
    const unsigned g = unsigned(rows);
    if (cols <= 1024) q8_rows_reg_kernel<1><<<g, 256>>>(d_w, cols, d_q, d_scales, f);
    else if (cols <= 2048) q8_rows_reg_kernel<2><<<g, 256>>>(d_w, cols, d_q, d_scales, f);
    else if (cols <= 4096) q8_rows_reg_kernel<4><<<g, 256>>>(d_w, cols, d_q, d_scales, f);
    else if (cols <= 8192) q8_rows_reg_kernel<8><<<g, 256>>>(d_w, cols, d_q, d_scales, f);
    else q8_rows_reg_kernel<16><<<g, 256>>>(d_w, cols, d_q, d_scales, f);
    TF_CUDA_LAUNCHED();
  } else if (axis == 0) {
    q8_rows_kernel<<<unsigned(rows), 256>>>(d_w, cols, d_q, d_scales, flag.as<unsigned>());
    TF_CUDA_LAUNCHED();
  } else {
    DeviceScratch keys(cols * sizeof(unsigned));
    TF_CUDA_CHECK(cudaMemsetAsync(keys.p, 0, cols * sizeof(unsigned)));
    colmax_kernel<<<dim3(unsigned((cols + 255) / 256), unsigned((rows + 255) / 256)), 256>>>(d_w, rows, cols,
                                                                                          keys.as<unsigned>());
    TF_CUDA_LAUNCHED();
    colscale_kernel<<<unsigned((cols + 255) / 256), 256>>>(keys.as<unsigned>(), cols, d_scales, flag.as<unsigned>());
    TF_CUDA_LAUNCHED();
    q8_cols_kernel<<<grid_for(rows * cols), 256>>>(d_w, rows * cols, cols, d_scales, d_q);
    TF_CUDA_LAUNCHED();
  }
  check_flag(flag.as<unsigned>());
}

void quantize_int4_dev(const float* d_w, size_t rows, size_t cols, size_t group, bool symmetric, uint8_t* d_packed,
                       float* d_scales, uint8_t* d_zp) {
  require_device();
  if (group != 32 && group != 64 && group != 128)
    throw bad_input("group size must be 32, 64 or 128, got " + std::to_string(group), "groupSize");
  if (cols % group) throw bad_input("cols must be a multiple of the group size", "cols");
  const size_t groups = rows * cols / group;
  if (groups == 0) return;
  DeviceScratch flag(sizeof(unsigned));
  TF_CUDA_CHECK(cudaMemsetAsync(flag.p, 0, sizeof(unsigned)));
  uint8_t* zp = symmetric ? nullptr : d_zp;
  const bool vec = reinterpret_cast<uintptr_t>(d_w) % 16 == 0 && reinterpret_cast<uintptr_t>(d_packed) % 16 == 0;
  if (vec) {
    const size_t threads = groups * (group / 32);
    const unsigned g4 = grid_for(threads, 256);
    unsigned* f = flag.as<unsigned>();
    if (group == 32) q4_groups32_kernel<32><<<g4, 256>>>(d_w, groups, symmetric, d_packed, d_scales, zp, f);
    else if (group == 64) q4_groups32_kernel<64><<<g4, 256>>>(d_w, groups, symmetric, d_packed, d_scales, zp, f);
    else q4_groups32_kernel<128><<<g4, 256>>>(d_w, groups, symmetric, d_packed, d_scales, zp, f);
    TF_CUDA_LAUNCHED();
    check_flag(f);
    return;
  }
  const unsigned grid = grid_for(groups, 8);  // 8 warps per block
  if (group == 32) q4_groups_kernel<32><<<grid, 256>>>(d_w, groups, symmetric, d_packed, d_scales, zp, flag.as<unsigned>());
  else if (group == 64) q4_groups_kernel<64><<<grid, 256>>>(d_w, groups, symmetric, d_packed, d_scales, zp, flag.as<unsigned>());
  else q4_groups_kernel<128><<<grid, 256>>>(d_w, groups, symmetric, d_packed, d_scales, zp, flag.as<unsigned>());
  TF_CUDA_LAUNCHED();
  check_flag(flag.as<unsigned>());
}

void quantize_int8(const float* w, size_t rows, size_t cols, int axis, int8_t* q, float* scales) {
  const size_t n = rows * cols, ns = axis == 0 ? rows : cols;
  Buffer dw(n * 4), dq(n), ds(ns * 4);
  dw.upload(w, n * 4);
  quantize_int8_dev(dw.as<float>(), rows, cols, axis, dq.as<int8_t>(), ds.as<float>());
  dq.download(q, n);
  ds.download(scales, ns * 4);
}

void quantize_int4(const float* w, size_t rows, size_t cols, size_t group, bool symmetric, uint8_t* packed,
                   float* scales, uint8_t* zero_points) {
  const size_t n = rows * cols, groups = group ? n / group : 0;
  Buffer dw(n * 4), dp(n / 2), ds(groups * 4), dz(groups);
  dw.upload(w, n * 4);
  quantize_int4_dev(dw.as<float>(), rows, cols, group, symmetric, dp.as<uint8_t>(), ds.as<float>(), dz.as<uint8_t>());
  dp.download(packed, n / 2);
  ds.download(scales, groups * 4);
  if (!symmetric && zero_points) dz.download(zero_points, groups);
}

}  // namespace tf::cuda
