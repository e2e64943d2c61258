// Global magnitude threshold by a histogram select on the |w| bit patterns (monotone in |w| for
// non-NaN floats), reading the weights twice: one histogram kernel of the top 11 key bits
// (per-block shared histograms merged), a one-block pick of the bin holding the wanted rank,
// then one refine kernel that copies only that bin's keys into a compact buffer; the last 20
// bits are resolved by histogram passes (11 + 9 bits) over that buffer alone.
// Masks and pruning prune the ties (|w| == threshold) in index order: the streaming pass notes
// tie positions (warp-aggregated appends); when they are few one block ranks them and prunes
// the first ones, else a per-block tie count, an exclusive scan and a ranked pass decide.
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

// The first pass: top 11 bits of every key, float4 loads (the pointer is 16-byte aligned),
// the NaN check on the way.
__global__ void histogram_top_kernel(const float4* __restrict__ w4, size_t n4, const float* __restrict__ tail,
                                     size_t ntail, unsigned long long* __restrict__ hist, SelectState* st) {
  __shared__ unsigned int local[kBins];
  for (int i = threadIdx.x; i < kBins; i += blockDim.x) local[i] = 0;
  __syncthreads();
  uint32_t mx = 0;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    const float4 v = w4[i];
    const uint32_t k0 = __float_as_uint(v.x) & kAbsMask, k1 = __float_as_uint(v.y) & kAbsMask;
    const uint32_t k2 = __float_as_uint(v.z) & kAbsMask, k3 = __float_as_uint(v.w) & kAbsMask;
    mx = max(max(mx, max(k0, k1)), max(k2, k3));
    atomicAdd(&local[k0 >> 20], 1u);
    atomicAdd(&local[k1 >> 20], 1u);
    atomicAdd(&local[k2 >> 20], 1u);
    atomicAdd(&local[k3 >> 20], 1u);
  }
  if (blockIdx.x == 0)
    for (size_t i = threadIdx.x; i < ntail; i += blockDim.x) {
      const uint32_t k = __float_as_uint(tail[i]) & kAbsMask;
      mx = max(mx, k);
      atomicAdd(&local[k >> 20], 1u);
    }
  if (__syncthreads_or(mx > kInfBits) && threadIdx.x == 0) atomicOr(&st->nan, 1u);
  for (int i = threadIdx.x; i < kBins; i += blockDim.x)
    if (local[i]) atomicAdd(&hist[i], (unsigned long long)local[i]);
}

// The refine pass: keys whose top 11 bits equal the chosen digit, appended to `out`
// (one atomic per warp; order does not matter to a histogram).
__global__ void refine_collect_kernel(const float4* __restrict__ w4, size_t n4, const float* __restrict__ tail,
                                      size_t ntail, const SelectState* st, uint32_t* __restrict__ out,
                                      unsigned long long* __restrict__ count) {
  const uint32_t digit = st->prefix >> 20;
  const unsigned lane = threadIdx.x & 31;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  auto append = [&](uint32_t k, bool hit) {
    const unsigned ballot = __ballot_sync(0xFFFFFFFFu, hit);
    if (!ballot) return;
    unsigned long long base = 0;
    if (lane == 0) base = atomicAdd(count, (unsigned long long)__popc(ballot));
    base = __shfl_sync(0xFFFFFFFFu, base, 0);
    if (hit) out[base + __popc(ballot & ((1u << lane) - 1))] = k;
  };
  // Whole warps iterate together (the ballots need every lane).
  const size_t n4r = (n4 + 31) / 32 * 32;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4r; i += stride) {
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
    const bool in = i < n4;
    if (in) v = w4[i];
    const uint32_t k0 = __float_as_uint(v.x) & kAbsMask, k1 = __float_as_uint(v.y) & kAbsMask;
    const uint32_t k2 = __float_as_uint(v.z) & kAbsMask, k3 = __float_as_uint(v.w) & kAbsMask;
    append(k0, in && (k0 >> 20) == digit);
    append(k1, in && (k1 >> 20) == digit);
    append(k2, in && (k2 >> 20) == digit);
    append(k3, in && (k3 >> 20) == digit);
  }
  if (blockIdx.x == 0 && threadIdx.x < 32)
    for (size_t i0 = 0; i0 < ntail; i0 += 32) {
      const size_t i = i0 + threadIdx.x;
      const uint32_t k = i < ntail ? __float_as_uint(tail[i]) & kAbsMask : 0u;
      append(k, i < ntail && (k >> 20) == digit);
    }
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

// keep = |w| >= threshold in one streaming pass (as threshold_simple_kernel) that also appends
// the positions of the ties (|w| == threshold, any order) to pos[0, cap), counting all of them.
template <int kMode>
__global__ void threshold_note_kernel(float* __restrict__ w, size_t n, uint32_t key, uint8_t* __restrict__ mask,
                                      unsigned long long* __restrict__ pos, size_t cap,
                                      unsigned long long* __restrict__ total) {
  const unsigned lane = threadIdx.x & 31;
  auto note = [&](size_t i, bool tie) {
    const unsigned ballot = __ballot_sync(0xFFFFFFFFu, tie);
    if (!ballot) return;
    unsigned long long base = 0;
    if (lane == 0) base = atomicAdd(total, (unsigned long long)__popc(ballot));
    base = __shfl_sync(0xFFFFFFFFu, base, 0);
    const unsigned long long at = base + __popc(ballot & ((1u << lane) - 1));
    if (tie && at < cap) pos[at] = i;
  };
  const size_t stride = size_t(gridDim.x) * blockDim.x, n4 = n / 4, n4r = (n4 + 31) / 32 * 32;
  float4* w4 = reinterpret_cast<float4*>(w);
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4r; i += stride) {
    const bool in = i < n4;
    float4 x = in ? w4[i] : make_float4(0.f, 0.f, 0.f, 0.f);
    const uint32_t q0 = __float_as_uint(x.x) & kAbsMask, q1 = __float_as_uint(x.y) & kAbsMask;
    const uint32_t q2 = __float_as_uint(x.z) & kAbsMask, q3 = __float_as_uint(x.w) & kAbsMask;
    const bool k0 = q0 >= key, k1 = q1 >= key, k2 = q2 >= key, k3 = q3 >= key;
    if (in) {
      if (kMode == 0) {
        reinterpret_cast<uchar4*>(mask)[i] = make_uchar4(k0, k1, k2, k3);
      } else if (!(k0 && k1 && k2 && k3)) {
        x.x = k0 ? x.x : 0.0f, x.y = k1 ? x.y : 0.0f, x.z = k2 ? x.z : 0.0f, x.w = k3 ? x.w : 0.0f;
        w4[i] = x;
      }
    }
    note(4 * i, in && q0 == key);
    note(4 * i + 1, in && q1 == key);
    note(4 * i + 2, in && q2 == key);
    note(4 * i + 3, in && q3 == key);
  }
  if (blockIdx.x == 0 && threadIdx.x < 32)
    for (size_t i0 = n4 * 4; i0 < n; i0 += 32) {
      const size_t i = i0 + threadIdx.x;
      const bool in = i < n;
      const uint32_t q = in ? __float_as_uint(w[i]) & kAbsMask : 0u;
      if (in) {
        if (kMode == 0) mask[i] = q >= key;
        else if (q < key) w[i] = 0.0f;
      }
      note(i, in && q == key);
    }
}

// One block: the noted ties (all of them: total <= cap) ranked by position; the first `ties`
// in index order are pruned.
template <int kMode>
__global__ void settle_ties_kernel(const unsigned long long* __restrict__ pos, size_t total, uint64_t ties,
                                   float* __restrict__ w, uint8_t* __restrict__ mask) {
  for (size_t a = threadIdx.x; a < total; a += blockDim.x) {
    const unsigned long long p = pos[a];
    size_t rank = 0;
    for (size_t b = 0; b < total; ++b) rank += pos[b] < p;
    if (rank < ties) {
      if (kMode == 0) mask[p] = 0;
      else w[p] = 0.0f;
    }
  }
}

// Up to this many ties the one-pass path settles them in one block (quadratic ranking).
constexpr size_t kNoteCap = 4096;

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
  if (ties > 0 && aligned) {
    DeviceScratch note((kNoteCap + 1) * sizeof(unsigned long long));
    auto* pos = note.as<unsigned long long>();
    auto* total = pos + kNoteCap;
    TF_CUDA_CHECK(cudaMemsetAsync(total, 0, sizeof(unsigned long long)));
    const unsigned grid = unsigned(std::min<size_t>((n / 4 + 255) / 256 + 1, size_t(device_sms()) * 16));
    if (mode == 0) threshold_note_kernel<0><<<grid, 256>>>(d_w, n, key, d_mask, pos, kNoteCap, total);
    else threshold_note_kernel<1><<<grid, 256>>>(d_w, n, key, nullptr, pos, kNoteCap, total);
    TF_CUDA_LAUNCHED();
    unsigned long long found = 0;
    TF_CUDA_CHECK(cudaMemcpy(&found, total, sizeof(found), cudaMemcpyDeviceToHost));
    if (found <= kNoteCap) {
      if (found > 0) {
        if (mode == 0) settle_ties_kernel<0><<<1, 1024>>>(pos, size_t(found), ties, nullptr, d_mask);
        else settle_ties_kernel<1><<<1, 1024>>>(pos, size_t(found), ties, d_w, nullptr);
        TF_CUDA_LAUNCHED();
        TF_CUDA_CHECK(cudaDeviceSynchronize());
      }
      return std::min<uint64_t>(ties, found);
    }
    // Too many ties to rank in one block: the ranked pass below redoes the whole decision
    // (idempotent for pruning: zeroed weights stay below the threshold or tie at 0).
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
  DeviceScratch scratch(sizeof(SelectState) + kBins * sizeof(unsigned long long) + sizeof(unsigned long long));
  auto* st = scratch.as<SelectState>();
  auto* hist = reinterpret_cast<unsigned long long*>(st + 1);
  auto* count = hist + kBins;
  SelectState init{0, 0, rank, 0, 0, 0};
  TF_CUDA_CHECK(cudaMemcpyAsync(st, &init, sizeof(init), cudaMemcpyHostToDevice));
  TF_CUDA_CHECK(cudaMemsetAsync(hist, 0, (kBins + 1) * sizeof(unsigned long long)));
  const int sms = device_sms();
  // float4 body from the first 16-byte boundary; the few elements before it and after the
  // last whole float4 go through the tail path (contiguous only when the head is empty).
  const size_t head = (16 - reinterpret_cast<uintptr_t>(d_w) % 16) % 16 / 4;
  if (head != 0) {
    // Unaligned start (a view into a larger buffer): the generic prefix passes.
    const unsigned grid = unsigned(std::min<size_t>((n + 1023) / 1024, size_t(sms) * 4));
    const int shifts[3] = {20, 9, 0}, bits[3] = {11, 11, 9};
    for (int p = 0; p < 3; ++p) {
      histogram_kernel<<<grid, 1024>>>(d_w, n, st, shifts[p], bits[p], hist, p == 0);
      TF_CUDA_LAUNCHED();
      pick_digit_kernel<<<1, 1024>>>(st, hist, shifts[p], bits[p], p == 2);
      TF_CUDA_LAUNCHED();
    }
  } else {
    const size_t n4 = n / 4, ntail = n - 4 * n4;
    const auto* w4 = reinterpret_cast<const float4*>(d_w);
    const float* tail = d_w + 4 * n4;
    const unsigned grid = unsigned(std::max<size_t>(1, std::min<size_t>((n4 + 1023) / 1024, size_t(sms) * 4)));
    histogram_top_kernel<<<grid, 1024>>>(w4, n4, tail, ntail, hist, st);
    TF_CUDA_LAUNCHED();
    // The chosen bin's size (kept in .equal by the pick) sizes the compact buffer.
    pick_digit_kernel<<<1, 1024>>>(st, hist, 20, 11, true);
    TF_CUDA_LAUNCHED();
    SelectState mid;
    TF_CUDA_CHECK(cudaMemcpy(&mid, st, sizeof(mid), cudaMemcpyDeviceToHost));
    if (mid.nan) throw bad_input("weights contain NaN", "weights");
    DeviceScratch compact(size_t(mid.equal) * sizeof(uint32_t) + 16);
    auto* out = compact.as<uint32_t>();
    refine_collect_kernel<<<grid, 1024>>>(w4, n4, tail, ntail, st, out, count);
    TF_CUDA_LAUNCHED();
    unsigned long long m = 0;
    TF_CUDA_CHECK(cudaMemcpy(&m, count, sizeof(m), cudaMemcpyDeviceToHost));
    const unsigned g2 = unsigned(std::max<size_t>(1, std::min<size_t>((m + 1023) / 1024, size_t(sms) * 4)));
    const int shifts[2] = {9, 0}, bits[2] = {11, 9};
    for (int p = 0; p < 2; ++p) {
      histogram_kernel<<<g2, 1024>>>(reinterpret_cast<const float*>(out), size_t(m), st, shifts[p], bits[p], hist, false);
      TF_CUDA_LAUNCHED();
      pick_digit_kernel<<<1, 1024>>>(st, hist, shifts[p], bits[p], p == 1);
      TF_CUDA_LAUNCHED();
    }
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
