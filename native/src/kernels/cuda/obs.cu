// SparseGPT and GPTQ on the device, the CPU drivers' algorithm (solvers/reference/obs_solver.cc):
// dead inputs and damping, U from inverse_cholesky_upper_dev, then per block of columns:
//  - unstructured: scores w²/U_ii² of the block, the k-th smallest by radix select and the
//    mask with ties pruned in flat index order (the magnitude kernels on the scores);
//  - the column sweep: one thread block per 32 rows holds those rows of the block and the
//    block's U in shared memory and walks the columns (targets, errors, rank-1 updates);
//  - the lazy batch update W[:, i2:] -= E · U[i1:i2, i2:] with the device sgemm.
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_util.cuh"
#include "kernels/cuda/linalg_dev.cuh"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {

uint64_t build_mask_dev(const float* d_w, size_t n, float threshold, uint64_t ties, uint8_t* d_mask);

namespace {

constexpr int RC = 32;        // rows per thread block (one warp of row threads)
constexpr int LDW = RC + 1;   // padded row stride of the [column][row] tiles (no bank conflicts)
constexpr int kSweepThreads = 256;
constexpr float kDampGrowth = 10.0f;
constexpr int kDampRetries = 3;

enum Target : int { kMask = 0, kNM = 1, kQuant = 2 };

struct SweepParams {
  int target;
  int rows, cols, i1, count;
  const float* u;        // full U (cols x cols)
  float* w;              // W (rows x cols)
  float* err;            // E (rows x count)
  const uint8_t* bmask;  // block mask [rows][count] (unstructured) or null
  const uint8_t* pin;    // GPTQ pinned-zero mask [rows][cols] or null
  uint8_t* mask_out;     // SparseGPT mask [rows][cols] or null
  int n, m;
  uint8_t* codes;        // GPTQ
  float* scales;         // [rows][groups]
  float* zeros;
  int group, groups_per_row, bits, symmetric;
  int gpb;               // grids per row inside the block (GPTQ), sizes the shared scale tiles
  double* loss;
};

__device__ inline void quant_grid(float lo, float hi, int bits, int symmetric, float* s, float* z) {
  if (symmetric) {
    const float qmax = float((1 << (bits - 1)) - 1);
    const float amax = -lo > hi ? -lo : hi;
    *s = amax > 0.0f ? amax / qmax : 1.0f;
    *z = 0.0f;
  } else {
    const float qmax = float((1 << bits) - 1);
    const float range = hi - lo;
    *s = range > 0.0f ? range / qmax : 1.0f;
    *z = rintf(-lo / *s);
  }
}

__global__ void __launch_bounds__(kSweepThreads) sweep_kernel(SweepParams p) {
  extern __shared__ float sm[];
  const int count = p.count;
  float* us = sm;                           // count x count
  float* wt = us + count * count;           // count x LDW
  float* et = wt + count * LDW;             // count x LDW
  float* sc = et + count * LDW;             // gpb x LDW (GPTQ grids)
  float* zp = sc + p.gpb * LDW;             // gpb x LDW
  uint8_t* keep = reinterpret_cast<uint8_t*>(zp + p.gpb * LDW);  // count x LDW
  const int t = threadIdx.x, r0 = blockIdx.x * RC;
  const int valid = min(RC, p.rows - r0);

  for (int e = t; e < count * count; e += blockDim.x) {
    const int a = e / count, b = e % count;
    us[e] = p.u[size_t(p.i1 + a) * p.cols + p.i1 + b];
  }
  for (int e = t; e < RC * count; e += blockDim.x) {
    const int r = e / count, i = e % count;  // i fastest: coalesced reads of W rows
    const bool in = r < valid;
    const size_t gi = size_t(r0 + r) * p.cols + p.i1 + i;
    wt[i * LDW + r] = in ? p.w[gi] : 0.0f;
    uint8_t k = 1;
    if (in && p.bmask) k = p.bmask[size_t(r0 + r) * count + i];
    if (in && p.pin) k = p.pin[gi] != 0;
    keep[i * LDW + r] = k;
  }
  const bool per_row_grid = p.target == kQuant && p.group == 0;
  if (per_row_grid && t < RC) {
    sc[t] = t < valid ? p.scales[r0 + t] : 1.0f;
    zp[t] = t < valid ? p.zeros[r0 + t] : 0.0f;
  }
  __syncthreads();

  const float qlo = p.symmetric ? -float((1 << (p.bits - 1)) - 1) : 0.0f;
  const float qhi = p.symmetric ? float((1 << (p.bits - 1)) - 1) : float((1 << p.bits) - 1);
  float loss = 0.0f;
  for (int i = 0; i < count; ++i) {
    if (t < RC) {
      const int r = t;
      if (p.target == kNM && i % p.m == 0) {
        float s[16];
        for (int c = 0; c < p.m; ++c) {
          const float d = us[(i + c) * count + i + c];
          const float v = wt[(i + c) * LDW + r];
          s[c] = v * v / (d * d);
        }
        for (int c = 0; c < p.m; ++c) {
          int below = 0;
          for (int o = 0; o < p.m; ++o)
            if (o != c) below += (s[o] < s[c]) || (s[o] == s[c] && o > c);
          keep[(i + c) * LDW + r] = below >= p.m - p.n;
        }
      }
      if (p.target == kQuant && p.group && i % p.group == 0) {
        float lo = 0.0f, hi = 0.0f;
        const int cols = min(p.group, count - i);
        for (int c = 0; c < cols; ++c) {
          const float v = keep[(i + c) * LDW + r] ? wt[(i + c) * LDW + r] : 0.0f;
          lo = v < lo ? v : lo;
          hi = v > hi ? v : hi;
        }
        const int g = i / p.group;
        quant_grid(lo, hi, p.bits, p.symmetric, &sc[g * LDW + r], &zp[g * LDW + r]);
      }
      const float w = wt[i * LDW + r];
      const float d = us[i * count + i];
      const bool k = keep[i * LDW + r];
      float q;
      if (p.target == kQuant) {
        const int g = p.group ? i / p.group : 0;
        const float s = sc[g * LDW + r], z = zp[g * LDW + r];
        float c = rintf(__fdiv_rn(w, s)) + z;
        c = c < qlo ? qlo : (c > qhi ? qhi : c);
        c = k ? c : z;
        q = __fmul_rn(c - z, s);
        if (r < valid) p.codes[size_t(r0 + r) * p.cols + p.i1 + i] = uint8_t(int(c));
      } else {
        q = k ? w : 0.0f;
      }
      const float e = __fdiv_rn(w - q, d);
      et[i * LDW + r] = e;
      loss += e * e;
      wt[i * LDW + r] = q;
    }
    __syncthreads();
    const int rest = count - i - 1;
    const float* urow = us + i * count + i + 1;
    for (int e = t; e < rest * RC; e += blockDim.x) {
      const int j = e / RC, r = e % RC;
      wt[(i + 1 + j) * LDW + r] -= et[i * LDW + r] * urow[j];
    }
    __syncthreads();
  }
  for (int e = t; e < RC * count; e += blockDim.x) {
    const int r = e / count, i = e % count;
    if (r >= valid) continue;
    p.w[size_t(r0 + r) * p.cols + p.i1 + i] = wt[i * LDW + r];
    p.err[size_t(r0 + r) * count + i] = et[i * LDW + r];
    if (p.mask_out) p.mask_out[size_t(r0 + r) * p.cols + p.i1 + i] = keep[i * LDW + r];
  }
  if (p.target == kQuant && p.group && t < valid)
    for (int g = 0; g * p.group < count; ++g) {
      const size_t o = size_t(r0 + t) * p.groups_per_row + (p.i1 + g * p.group) / p.group;
      p.scales[o] = sc[g * LDW + t];
      p.zeros[o] = zp[g * LDW + t];
    }
  double l = t < valid ? double(loss) : 0.0;
  l = block_sum<double>(l);
  if (t == 0) atomicAdd(p.loss, l);
}

// Block scores w²/U_ii² as a [rows][count] matrix (flat index order = the CPU's).
__global__ void block_scores_kernel(const float* w, const float* u, int rows, int cols, int i1, int count, float* s) {
  const size_t total = size_t(rows) * count, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int r = int(e / count), c = int(e % count);
    const float d = u[size_t(i1 + c) * cols + i1 + c];
    const float v = w[size_t(r) * cols + i1 + c];
    s[e] = v * v / (d * d);
  }
}

// Dead inputs (H_ii == 0): diag -> 1, flag the column; also sums the diagonal (double).
__global__ void dead_and_diag_kernel(float* u, int cols, uint8_t* dead, double* diag_sum, unsigned* dead_count) {
  double s = 0.0;
  unsigned nd = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < cols; i += gridDim.x * blockDim.x) {
    float& d = u[size_t(i) * cols + i];
    const bool is_dead = d == 0.0f;
    if (is_dead) d = 1.0f;
    dead[i] = is_dead;
    nd += is_dead;
    s += d;
  }
  s = block_sum<double>(s);
  const unsigned c = block_sum<unsigned>(nd);
  if (threadIdx.x == 0) {
    atomicAdd(diag_sum, s);
    atomicAdd(dead_count, c);
  }
}

__global__ void zero_dead_columns_kernel(float* w, int rows, int cols, const uint8_t* dead) {
  const size_t total = size_t(rows) * cols, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride)
    if (dead[e % cols]) w[e] = 0.0f;
}

__global__ void add_diag_kernel(float* u, int cols, float damp) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < cols; i += gridDim.x * blockDim.x) u[size_t(i) * cols + i] += damp;
}

__global__ void finite_kernel(const float* x, size_t n, unsigned* bad) {
  bool b = false;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) b |= !isfinite(x[i]);
  if (__syncthreads_or(b) && threadIdx.x == 0) atomicOr(bad, 1u);
}

// Per-row grid over the whole row (kept weights only), GPTQ's per-channel case.
__global__ void row_grid_kernel(const float* w, const uint8_t* pin, int cols, int bits, int symmetric, float* scales,
                                float* zeros) {
  const int r = blockIdx.x;
  float lo = 0.0f, hi = 0.0f;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {
    const size_t i = size_t(r) * cols + c;
    const float v = (!pin || pin[i]) ? w[i] : 0.0f;
    lo = fminf(lo, v), hi = fmaxf(hi, v);
  }
  __shared__ float slo[32], shi[32];
  for (int o = 16; o > 0; o >>= 1) {
    lo = fminf(lo, __shfl_down_sync(0xFFFFFFFFu, lo, o));
    hi = fmaxf(hi, __shfl_down_sync(0xFFFFFFFFu, hi, o));
  }
  if ((threadIdx.x & 31) == 0) slo[threadIdx.x >> 5] = lo, shi[threadIdx.x >> 5] = hi;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int q = 1; q < int(blockDim.x >> 5); ++q) lo = fminf(lo, slo[q]), hi = fmaxf(hi, shi[q]);
    quant_grid(lo, hi, bits, symmetric, &scales[r], &zeros[r]);
  }
}

unsigned grid_for(size_t work) {
  return unsigned(std::max<size_t>(1, std::min<size_t>((work + 255) / 256, size_t(device_sms()) * 8)));
}

void require_finite_dev(const float* x, size_t n, const char* argument) {
  DeviceScratch flag(sizeof(unsigned));
  TF_CUDA_CHECK(cudaMemsetAsync(flag.p, 0, sizeof(unsigned)));
  finite_kernel<<<grid_for(n), 256>>>(x, n, flag.as<unsigned>());
  TF_CUDA_LAUNCHED();
  unsigned bad = 0;
  TF_CUDA_CHECK(cudaMemcpy(&bad, flag.p, sizeof(bad), cudaMemcpyDeviceToHost));
  if (bad) throw bad_input(std::string(argument) + " has a non-finite value", argument);
}

// Dead inputs, damping (raised on failure), U into `u`.
void prepare(float* w, size_t rows, size_t cols, const float* h, float* u, const solvers::ObsOptions& opt,
             solvers::ObsResult& res) {
  require_finite_dev(h, cols * cols, "h");
  DeviceScratch dead(cols), acc(sizeof(double) + sizeof(unsigned) * 2);
  double* diag_sum = acc.as<double>();
  unsigned* dead_count = reinterpret_cast<unsigned*>(diag_sum + 1);
  TF_CUDA_CHECK(cudaMemsetAsync(acc.p, 0, sizeof(double) + sizeof(unsigned) * 2));
  TF_CUDA_CHECK(cudaMemcpyAsync(u, h, cols * cols * sizeof(float), cudaMemcpyDeviceToDevice));
  dead_and_diag_kernel<<<std::min<unsigned>(grid_for(cols), 64), 256>>>(u, int(cols), dead.as<uint8_t>(), diag_sum,
                                                                       dead_count);
  TF_CUDA_LAUNCHED();
  double sum = 0;
  unsigned nd = 0;
  TF_CUDA_CHECK(cudaMemcpy(&sum, diag_sum, sizeof(sum), cudaMemcpyDeviceToHost));
  TF_CUDA_CHECK(cudaMemcpy(&nd, dead_count, sizeof(nd), cudaMemcpyDeviceToHost));
  res.dead = nd;
  if (nd) {
    zero_dead_columns_kernel<<<grid_for(rows * cols), 256>>>(w, int(rows), int(cols), dead.as<uint8_t>());
    TF_CUDA_LAUNCHED();
  }
  // The undamped (dead-fixed) H is kept in the pool for retries.
  DeviceScratch base(cols * cols * sizeof(float));
  TF_CUDA_CHECK(cudaMemcpyAsync(base.p, u, cols * cols * sizeof(float), cudaMemcpyDeviceToDevice));
  float damp = float(double(opt.percdamp) * sum / double(cols));
  for (int attempt = 0; attempt <= kDampRetries; ++attempt) {
    if (attempt) TF_CUDA_CHECK(cudaMemcpyAsync(u, base.p, cols * cols * sizeof(float), cudaMemcpyDeviceToDevice));
    add_diag_kernel<<<grid_for(cols), 256>>>(u, int(cols), damp);
    TF_CUDA_LAUNCHED();
    if (inverse_cholesky_upper_dev(u, cols)) {
      res.damp = damp;
      return;
    }
    damp = damp > 0.0f ? damp * kDampGrowth : float(1e-6 * sum / double(cols) + 1e-12);
  }
  throw bad_input("h is not positive definite, even with damping " + std::to_string(damp / kDampGrowth), "h");
}

size_t sweep_smem(size_t count, size_t gpb) {
  return count * count * 4 + 2 * count * LDW * 4 + 2 * gpb * LDW * 4 + count * LDW;
}

double run_blocks(SweepParams base, float* u, size_t block, double sparsity) {
  const size_t rows = size_t(base.rows), cols = size_t(base.cols);
  int max_smem = 48 * 1024;
  cudaDeviceGetAttribute(&max_smem, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0);
  // GPUs with less shared memory per block (consumer Ampere/Ada: 99 KB) get narrower blocks,
  // kept a multiple of the group / m so grids and N:M groups never straddle two blocks.
  const size_t unit = base.target == kQuant ? std::max(1, base.group) : (base.target == kNM ? size_t(base.m) : 1);
  auto gpb_of = [&](size_t b) { return base.target == kQuant && base.group ? (b + base.group - 1) / base.group : size_t(1); };
  while (sweep_smem(block, gpb_of(block)) > size_t(max_smem) && block / 2 >= unit && (block / 2) % unit == 0) block /= 2;
  DeviceScratch err(rows * block * sizeof(float)), loss(sizeof(double));
  DeviceScratch scores(base.target == kMask ? rows * block * sizeof(float) : 4);
  DeviceScratch bmask(base.target == kMask ? rows * block : 1);
  TF_CUDA_CHECK(cudaMemsetAsync(loss.p, 0, sizeof(double)));
  const size_t gpb = base.target == kQuant && base.group ? (block + base.group - 1) / base.group : 1;
  base.gpb = int(gpb);
  if (sweep_smem(block, gpb) > size_t(max_smem))
    throw Error("UNSUPPORTED", "block of " + std::to_string(block) + " columns needs more shared memory than this GPU has");
  TF_CUDA_CHECK(cudaFuncSetAttribute(sweep_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(sweep_smem(block, gpb))));
  if (base.target == kQuant && base.group == 0) {
    row_grid_kernel<<<unsigned(rows), 256>>>(base.w, base.pin, int(cols), base.bits, base.symmetric, base.scales,
                                             base.zeros);
    TF_CUDA_LAUNCHED();
  }
  for (size_t i1 = 0; i1 < cols; i1 += block) {
    const size_t i2 = std::min(cols, i1 + block), count = i2 - i1;
    SweepParams p = base;
    p.i1 = int(i1), p.count = int(count), p.u = u, p.err = err.as<float>(), p.loss = loss.as<double>();
    if (base.target == kMask) {
      const size_t total = rows * count;
      const uint64_t k = std::min<uint64_t>(total, uint64_t(std::llround(sparsity * double(total))));
      uint8_t* bm = bmask.as<uint8_t>();
      if (k == 0) {
        TF_CUDA_CHECK(cudaMemsetAsync(bm, 1, total));
      } else if (k == total) {
        TF_CUDA_CHECK(cudaMemsetAsync(bm, 0, total));
      } else {
        float* s = scores.as<float>();
        block_scores_kernel<<<grid_for(total), 256>>>(base.w, u, int(rows), int(cols), int(i1), int(count), s);
        TF_CUDA_LAUNCHED();
        // Keep the smallest score of rank k (0-based) and above; prune k, ties in flat order.
        Threshold th = kth_select_dev(s, total, k);
        build_mask_dev(s, total, th.threshold, k - th.ties_to_prune, bm);
      }
      p.bmask = bm;
    }
    sweep_kernel<<<unsigned((rows + RC - 1) / RC), kSweepThreads, sweep_smem(count, gpb)>>>(p);
    TF_CUDA_LAUNCHED();
    if (i2 < cols)
      sgemm_dev_part(false, false, rows, cols - i2, count, -1.0f, err.as<float>(), count, u + i1 * cols + i2, cols,
                     1.0f, base.w + i2, cols, false);
  }
  double l = 0;
  TF_CUDA_CHECK(cudaMemcpy(&l, loss.p, sizeof(l), cudaMemcpyDeviceToHost));
  return l / 2.0;
}

size_t round_block(size_t block, size_t unit) {
  if (unit <= 1) return std::max<size_t>(block, 1);
  return std::max(unit, block / unit * unit);
}

}  // namespace

solvers::ObsResult sparsegpt_dev(float* d_w, size_t rows, size_t cols, const float* d_h, uint8_t* d_mask,
                                 const solvers::SparseGptOptions& opt) {
  require_device();
  if (opt.m > 0 && (opt.m > 16 || opt.n == 0 || opt.n >= opt.m))
    throw bad_input("N:M needs 0 < n < m <= 16", "nm");
  if (opt.m > 0 && cols % opt.m != 0) throw bad_input("cols must be a multiple of m", "nm");
  if (opt.m == 0 && !(opt.sparsity >= 0.0 && opt.sparsity <= 1.0)) throw bad_input("sparsity must be in [0, 1]", "sparsity");
  solvers::ObsResult res;
  if (rows == 0 || cols == 0) return res;
  require_finite_dev(d_w, rows * cols, "w");
  DeviceScratch u(cols * cols * sizeof(float));
  prepare(d_w, rows, cols, d_h, u.as<float>(), opt, res);
  SweepParams p{};
  p.target = opt.m ? kNM : kMask;
  p.rows = int(rows), p.cols = int(cols), p.w = d_w, p.mask_out = d_mask;
  p.n = int(opt.n), p.m = int(opt.m), p.bits = 8, p.symmetric = 1;
  DeviceScratch own(d_mask ? 1 : rows * cols);
  if (!d_mask) p.mask_out = own.as<uint8_t>();
  size_t block = round_block(opt.block, opt.m);
  res.loss = run_blocks(p, u.as<float>(), std::min<size_t>(block, 128), opt.sparsity);
  return res;
}

solvers::ObsResult gptq_dev(float* d_w, size_t rows, size_t cols, const float* d_h, const uint8_t* d_mask,
                            uint8_t* d_codes, float* d_scales, float* d_zeros, const solvers::GptqOptions& opt) {
  require_device();
  if (opt.bits != 4 && opt.bits != 8) throw bad_input("bits must be 4 or 8", "bits");
  if (opt.group > 0 && cols % opt.group != 0) throw bad_input("cols must be a multiple of group", "group");
  solvers::ObsResult res;
  if (rows == 0 || cols == 0) return res;
  require_finite_dev(d_w, rows * cols, "w");
  DeviceScratch u(cols * cols * sizeof(float));
  prepare(d_w, rows, cols, d_h, u.as<float>(), opt, res);
  SweepParams p{};
  p.target = kQuant;
  p.rows = int(rows), p.cols = int(cols), p.w = d_w, p.pin = d_mask;
  p.codes = d_codes, p.scales = d_scales, p.zeros = d_zeros;
  p.group = int(opt.group), p.groups_per_row = opt.group ? int(cols / opt.group) : 1;
  p.bits = int(opt.bits), p.symmetric = opt.symmetric;
  size_t block = opt.group == 0 ? opt.block : (opt.group >= opt.block ? opt.group : round_block(opt.block, opt.group));
  if (block > 128 && opt.group == 0) block = 128;
  res.loss = run_blocks(p, u.as<float>(), block, 0.0);
  return res;
}

solvers::ObsResult sparsegpt(float* w, size_t rows, size_t cols, const float* h, uint8_t* mask,
                             const solvers::SparseGptOptions& opt) {
  Buffer dw(rows * cols * 4), dh(cols * cols * 4), dm(rows * cols);
  dw.upload(w, rows * cols * 4);
  dh.upload(h, cols * cols * 4);
  auto r = sparsegpt_dev(dw.as<float>(), rows, cols, dh.as<float>(), dm.as<uint8_t>(), opt);
  dw.download(w, rows * cols * 4);
  if (mask) dm.download(mask, rows * cols);
  return r;
}

solvers::ObsResult gptq(float* w, size_t rows, size_t cols, const float* h, const uint8_t* mask, uint8_t* codes,
                        float* scales, float* zeros, const solvers::GptqOptions& opt) {
  const size_t groups = opt.group ? cols / std::max<size_t>(opt.group, 1) : 1;
  Buffer dw(rows * cols * 4), dh(cols * cols * 4), dc(rows * cols), ds(rows * groups * 4), dz(rows * groups * 4);
  Buffer dm(mask ? rows * cols : 0);
  dw.upload(w, rows * cols * 4);
  dh.upload(h, cols * cols * 4);
  if (mask) dm.upload(mask, rows * cols);
  auto r = gptq_dev(dw.as<float>(), rows, cols, dh.as<float>(), mask ? dm.as<uint8_t>() : nullptr, dc.as<uint8_t>(),
                    ds.as<float>(), dz.as<float>(), opt);
  dw.download(w, rows * cols * 4);
  dc.download(codes, rows * cols);
  ds.download(scales, rows * groups * 4);
  dz.download(zeros, rows * groups * 4);
  return r;
}

}  // namespace tf::cuda
