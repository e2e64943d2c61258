// Global magnitude threshold by radix select on the |w| bit patterns (monotone in |w| for
// non-NaN floats): three histogram passes (11 + 11 + 9 bits) over the elements that still
// match the chosen prefix, each followed by a one-block kernel that picks the digit holding
// the wanted rank, so no host round trip sits between passes. Masks and pruning prune the
// ties (|w| == threshold) in index order: a per-block tie count, an exclusive scan, then each
// block ranks its ties with warp ballots.
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_util.cuh"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {
namespace {

constexpr uint32_t kAbsMask = 0x7FFFFFFFu;
constexpr uint32_t kInfBits = 0x7F800000u;
constexpr int kBins = 2048;

struct SelectState {
  uint32_t prefix;      // chosen high bits so far
  uint32_t prefix_mask; // which bits of the key are chosen
  uint64_t want;        // rank (0-based) of the wanted key among those matching the prefix
  uint64_t below;       // keys < prefix range, counted so far
  uint64_t equal;       // keys == final threshold (last pass)
  uint32_t nan;         // any NaN seen
};

__global__ void histogram_kernel(const float* __restrict__ w, size_t n, const SelectState* st, int shift, int bits,
                                 unsigned long long* __restrict__ hist, bool first) {
  __shared__ unsigned int local[kBins];
  const int bins = 1 << bits;
  for (int i = threadIdx.x; i < bins; i += blockDim.x) local[i] = 0;
  __syncthreads();
  const uint32_t prefix = st->prefix, pmask = st->prefix_mask;
  bool nan = false;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const uint32_t key = __float_as_uint(w[i]) & kAbsMask;
    nan |= key > kInfBits;
    if ((key & pmask) == prefix) atomicAdd(&local[(key >> shift) & (bins - 1)], 1u);
  }
  if (first && __syncthreads_or(nan) && threadIdx.x == 0) atomicOr(const_cast<uint32_t*>(&st->nan), 1u);
  if (!first) __syncthreads();
  for (int i = threadIdx.x; i < bins; i += blockDim.x)
    if (local[i]) atomicAdd(&hist[i], (unsigned long long)local[i]);
}

// One block: find the digit whose cumulative count passes `want`; fold it into the prefix.
__global__ void pick_digit_kernel(SelectState* st, unsigned long long* hist, int shift, int bits, bool last) {
  __shared__ unsigned long long sums[1024];
  const int bins = 1 << bits, per = (bins + blockDim.x - 1) / blockDim.x;
  unsigned long long mine = 0;
  for (int j = 0; j < per; ++j) {
    const int b = threadIdx.x * per + j;
    if (b < bins) mine += hist[b];
  }
  sums[threadIdx.x] = mine;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned long long run = 0, want = st->want;
    int digit = bins - 1;
    for (int t = 0; t < int(blockDim.x); ++t) {
      if (run + sums[t] > want) {
        for (int j = 0; j < per; ++j) {
          const int b = t * per + j;
          if (b < bins && run + hist[b] > want) {
            digit = b;
            break;
          }
          if (b < bins) run += hist[b];
        }
        break;
      }
      run += sums[t];
    }
    st->below += run;
    st->want = want - run;
    st->prefix |= uint32_t(digit) << shift;
    st->prefix_mask |= uint32_t(bins - 1) << shift;
    if (last) st->equal = hist[digit];
  }
  __syncthreads();
  for (int b = threadIdx.x; b < bins; b += blockDim.x) hist[b] = 0;  // ready for the next pass
}

// Per-block count of ties (|w| bits == key) over contiguous block ranges of `chunk` elements.
__global__ void tie_count_kernel(const float* __restrict__ w, size_t n, size_t chunk, uint32_t key,
                                 unsigned long long* counts) {
  const size_t b = blockIdx.x, lo = b * chunk, hi = min(n, lo + chunk);
  unsigned long long c = 0;
  for (size_t i = lo + threadIdx.x; i < hi; i += blockDim.x) c += (__float_as_uint(w[i]) & kAbsMask) == key;
  c = block_sum_u64(c);
  if (threadIdx.x == 0) counts[b] = c;
}

// Exclusive scan of the per-block tie counts (one block, sequential chunks per thread).
__global__ void exclusive_scan_kernel(unsigned long long* v, size_t n) {
  __shared__ unsigned long long part[1024];
  const size_t per = (n + blockDim.x - 1) / blockDim.x, lo = threadIdx.x * per, hi = min(n, lo + per);
  unsigned long long s = 0;
  for (size_t i = lo; i < hi; ++i) s += v[i];
  part[threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned long long run = 0;
    for (unsigned t = 0; t < blockDim.x; ++t) {
      const unsigned long long x = part[t];
      part[t] = run;
      run += x;
    }
  }
  __syncthreads();
  unsigned long long run = part[threadIdx.x];
  for (size_t i = lo; i < hi; ++i) {
    const unsigned long long x = v[i];
    v[i] = run;
    run += x;
  }
}

// keep = |w| > t, or |w| == t and the tie's rank (index order) >= ties. Mode 0 writes the
// mask, mode 1 zeroes pruned weights in place. Counts pruned ties into *pruned_ties.
template <int kMode>
__global__ void threshold_apply_kernel(float* __restrict__ w, size_t n, size_t chunk, uint32_t key, uint64_t ties,
                                       const unsigned long long* __restrict__ offsets, uint8_t* __restrict__ mask,
                                       unsigned long long* pruned_ties) {
  __shared__ unsigned int warp_ties[32];
  const size_t b = blockIdx.x, lo = b * chunk, hi = min(n, lo + chunk);
  const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  unsigned long long base = offsets ? offsets[b] : 0;
  unsigned long long pruned_here = 0;
  for (size_t t0 = lo; t0 < hi; t0 += blockDim.x) {
    const size_t i = t0 + threadIdx.x;
    const bool in = i < hi;
    const float v = in ? w[i] : 0.0f;
    const uint32_t k = __float_as_uint(v) & kAbsMask;
    const bool tie = in && k == key;
    const unsigned ballot = __ballot_sync(0xFFFFFFFFu, tie);
    if (lane == 0) warp_ties[warp] = __popc(ballot);
    __syncthreads();
    unsigned before = 0, total = 0;
    for (unsigned q = 0; q < warps; ++q) {
      before += q < warp ? warp_ties[q] : 0;
      total += warp_ties[q];
    }
    const unsigned long long rank = base + before + __popc(ballot & ((1u << lane) - 1));
    const bool keep = k > key || (tie && rank >= ties);
    if (tie && rank < ties) ++pruned_here;
    if (in) {
      if (kMode == 0) mask[i] = keep;
      else if (!keep) w[i] = 0.0f;
    }
    base += total;
    __syncthreads();
  }
  pruned_here = block_sum_u64(pruned_here);
  if (threadIdx.x == 0 && pruned_here) atomicAdd(pruned_ties, pruned_here);
}

__global__ void apply_mask_kernel(float* __restrict__ w, const uint8_t* __restrict__ mask, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  const size_t n4 = n / 4;
  float4* w4 = reinterpret_cast<float4*>(w);
  const uchar4* m4 = reinterpret_cast<const uchar4*>(mask);
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    float4 v = w4[i];
    const uchar4 m = m4[i];
    v.x = m.x ? v.x : 0.0f, v.y = m.y ? v.y : 0.0f, v.z = m.z ? v.z : 0.0f, v.w = m.w ? v.w : 0.0f;
    w4[i] = v;
  }
  for (size_t i = n4 * 4 + size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    if (!mask[i]) w[i] = 0.0f;
}

// No ties to prune: keep = |w| >= threshold, a pure streaming pass (float4 in, 4 bytes out).
template <int kMode>
__global__ void threshold_simple_kernel(float* __restrict__ w, size_t n, uint32_t key, uint8_t* __restrict__ mask) {
  const size_t stride = size_t(gridDim.x) * blockDim.x, n4 = n / 4;
  float4* w4 = reinterpret_cast<float4*>(w);
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    float4 x = w4[i];
    const bool k0 = (__float_as_uint(x.x) & kAbsMask) >= key, k1 = (__float_as_uint(x.y) & kAbsMask) >= key;
    const bool k2 = (__float_as_uint(x.z) & kAbsMask) >= key, k3 = (__float_as_uint(x.w) & kAbsMask) >= key;
    if (kMode == 0) {
      reinterpret_cast<uchar4*>(mask)[i] = make_uchar4(k0, k1, k2, k3);
    } else if (!(k0 && k1 && k2 && k3)) {
      x.x = k0 ? x.x : 0.0f, x.y = k1 ? x.y : 0.0f, x.z = k2 ? x.z : 0.0f, x.w = k3 ? x.w : 0.0f;
      w4[i] = x;
    }
  }
  for (size_t i = n4 * 4 + size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const bool k = (__float_as_uint(w[i]) & kAbsMask) >= key;
    if (kMode == 0) mask[i] = k;
    else if (!k) w[i] = 0.0f;
  }
}

// Tie ranking needs contiguous ranges per block; ~64K elements each keeps the scan tiny.
constexpr size_t kTieChunk = size_t(1) << 16;

uint64_t threshold_apply(float* d_w, size_t n, float threshold, uint64_t ties, uint8_t* d_mask, int mode) {
  require_device();
  if (n == 0) return 0;
  const uint32_t key = __float_as_uint_host(threshold) & kAbsMask;
  const bool aligned = reinterpret_cast<uintptr_t>(d_w) % 16 == 0 && (mode != 0 || reinterpret_cast<uintptr_t>(d_mask) % 4 == 0);
  if (ties == 0 && aligned) {
    const unsigned grid = unsigned(std::min<size_t>((n / 4 + 255) / 256 + 1, size_t(device_sms()) * 16));
    if (mode == 0) threshold_simple_kernel<0><<<grid, 256>>>(d_w, n, key, d_mask);
    else threshold_simple_kernel<1><<<grid, 256>>>(d_w, n, key, nullptr);
    TF_CUDA_LAUNCHED();
    return 0;
  }
  const size_t blocks = (n + kTieChunk - 1) / kTieChunk;
  DeviceScratch scratch((blocks + 1) * sizeof(unsigned long long));
  auto* offsets = scratch.as<unsigned long long>();
  auto* pruned = offsets + blocks;
  TF_CUDA_CHECK(cudaMemsetAsync(pruned, 0, sizeof(unsigned long long)));
  if (ties > 0) {
    tie_count_kernel<<<unsigned(blocks), 256>>>(d_w, n, kTieChunk, key, offsets);
    TF_CUDA_LAUNCHED();
    exclusive_scan_kernel<<<1, 1024>>>(offsets, blocks);
    TF_CUDA_LAUNCHED();
  }
  if (mode == 0)
    threshold_apply_kernel<0><<<unsigned(blocks), 1024>>>(d_w, n, kTieChunk, key, ties, ties ? offsets : nullptr,
                                                          d_mask, pruned);
  else
    threshold_apply_kernel<1><<<unsigned(blocks), 1024>>>(d_w, n, kTieChunk, key, ties, ties ? offsets : nullptr,
                                                          nullptr, pruned);
  TF_CUDA_LAUNCHED();
  unsigned long long out = 0;
  TF_CUDA_CHECK(cudaMemcpy(&out, pruned, sizeof(out), cudaMemcpyDeviceToHost));
  return out;
}

}  // namespace

Threshold kth_select_dev(const float* d_w, size_t n, uint64_t rank) {
  // Key of the element with 0-based ascending rank `rank` among the |w| keys.
  Threshold t;
  t.total = n;
  DeviceScratch scratch(sizeof(SelectState) + kBins * sizeof(unsigned long long));
  auto* st = scratch.as<SelectState>();
  auto* hist = reinterpret_cast<unsigned long long*>(st + 1);
  SelectState init{0, 0, rank, 0, 0, 0};
  TF_CUDA_CHECK(cudaMemcpyAsync(st, &init, sizeof(init), cudaMemcpyHostToDevice));
  TF_CUDA_CHECK(cudaMemsetAsync(hist, 0, kBins * sizeof(unsigned long long)));
  const int sms = device_sms();
  const unsigned grid = unsigned(std::min<size_t>((n + 1023) / 1024, size_t(sms) * 4));
  const int shifts[3] = {20, 9, 0}, bits[3] = {11, 11, 9};
  for (int p = 0; p < 3; ++p) {
    histogram_kernel<<<grid, 1024>>>(d_w, n, st, shifts[p], bits[p], hist, p == 0);
    TF_CUDA_LAUNCHED();
    pick_digit_kernel<<<1, 1024>>>(st, hist, shifts[p], bits[p], p == 2);
    TF_CUDA_LAUNCHED();
  }
  SelectState out;
  TF_CUDA_CHECK(cudaMemcpy(&out, st, sizeof(out), cudaMemcpyDeviceToHost));
  if (out.nan) throw bad_input("weights contain NaN", "weights");
  t.threshold = __uint_as_float_host(out.prefix);
  t.ties_to_prune = out.below;  // caller turns `below` into ties to prune
  return t;
}

Threshold global_threshold_dev(const float* d_w, size_t n, double sparsity) {
  require_device();
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    throw bad_input("sparsity must be in [0, 1), got " + std::to_string(sparsity), "sparsity");
  Threshold t;
  t.total = n;
  if (n == 0) return t;
  t.prune_count = std::min<uint64_t>(uint64_t(std::floor(sparsity * double(n))), n - 1);
  Threshold k = kth_select_dev(d_w, n, t.prune_count);
  t.threshold = k.threshold;
  t.ties_to_prune = t.prune_count - k.ties_to_prune;  // prune_count - below
  return t;
}

uint64_t build_mask_dev(const float* d_w, size_t n, float threshold, uint64_t ties, uint8_t* d_mask) {
  return threshold_apply(const_cast<float*>(d_w), n, threshold, ties, d_mask, 0);
}

uint64_t prune_dev(float* d_w, size_t n, float threshold, uint64_t ties) {
  return threshold_apply(d_w, n, threshold, ties, nullptr, 1);
}

__global__ void apply_mask_scalar_kernel(float* __restrict__ w, const uint8_t* __restrict__ mask, size_t n) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    if (!mask[i]) w[i] = 0.0f;
}

void apply_mask_dev(float* d_w, const uint8_t* d_mask, size_t n) {
  require_device();
  if (n == 0) return;
  if ((reinterpret_cast<uintptr_t>(d_w) % 16) || (reinterpret_cast<uintptr_t>(d_mask) % 4)) {
    apply_mask_scalar_kernel<<<unsigned(std::min<size_t>((n + 255) / 256, size_t(device_sms()) * 8)), 256>>>(d_w, d_mask, n);
    TF_CUDA_LAUNCHED();
    return;
  }
  const unsigned grid = unsigned(std::min<size_t>((n / 4 + 255) / 256 + 1, size_t(device_sms()) * 8));
  apply_mask_kernel<<<grid, 256>>>(d_w, d_mask, n);
  TF_CUDA_LAUNCHED();
}

Threshold global_threshold(const float* w, size_t n, double sparsity) {
  Buffer d(n * sizeof(float));
  d.upload(w, n * sizeof(float));
  return global_threshold_dev(d.as<float>(), n, sparsity);
}

}  // namespace tf::cuda
