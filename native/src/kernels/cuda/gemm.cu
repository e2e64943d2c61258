// Device fp32 GEMM (row-major, optional transposes, optional lower-triangle-only output) and
// the Hessian accumulation built on it. 128 x 128 output tile per block, k in steps of 8
// through shared memory, each of the 256 threads accumulating an 8 x 8 sub-tile in registers
// (two 4-row and two 4-column strips, so the shared-memory reads are conflict-free float4s).
// Plain FFMA on purpose: the solvers' numerics stay fp32 like the CPU reference (no TF32).
#include <algorithm>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_util.cuh"
#include "kernels/cuda/linalg_dev.cuh"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {
namespace {

constexpr int BM = 128, BN = 128, BK = 8, kThreads = 256;

template <bool TA, bool TB>
__global__ void __launch_bounds__(kThreads) sgemm_kernel(int M, int N, int K, float alpha, const float* __restrict__ A,
                                                         int lda, const float* __restrict__ B, int ldb, float beta,
                                                         float* __restrict__ C, int ldc, bool lower) {
  const int bm = blockIdx.y * BM, bn = blockIdx.x * BN;
  if (lower && bn > bm + BM - 1) return;  // tile strictly above the diagonal
  __shared__ __align__(16) float As[BK][BM];
  __shared__ __align__(16) float Bs[BK][BN];
  const int t = threadIdx.x, tx = t % 16, ty = t / 16;
  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.0f;

  for (int k0 = 0; k0 < K; k0 += BK) {
    // A tile -> As[k][m]
    if (!TA) {
      const int i = t >> 1, kk0 = (t & 1) * 4, gi = bm + i;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int gk = k0 + kk0 + q;
        As[kk0 + q][i] = (gi < M && gk < K) ? A[size_t(gi) * lda + gk] : 0.0f;
      }
    } else {
      const int kk = t >> 5, i0 = (t & 31) * 4, gk = k0 + kk;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int gi = bm + i0 + q;
        As[kk][i0 + q] = (gi < M && gk < K) ? A[size_t(gk) * lda + gi] : 0.0f;
      }
    }
    // B tile -> Bs[k][n]
    if (!TB) {
      const int kk = t >> 5, j0 = (t & 31) * 4, gk = k0 + kk;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int gj = bn + j0 + q;
        Bs[kk][j0 + q] = (gj < N && gk < K) ? B[size_t(gk) * ldb + gj] : 0.0f;
      }
    } else {
      const int j = t >> 1, kk0 = (t & 1) * 4, gj = bn + j;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const int gk = k0 + kk0 + q;
        Bs[kk0 + q][j] = (gj < N && gk < K) ? B[size_t(gj) * ldb + gk] : 0.0f;
      }
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[kk][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[kk][64 + tx * 4]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int gi = bm + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
    if (gi >= M) continue;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int gj = bn + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
      if (gj >= N) continue;
      float* c = C + size_t(gi) * ldc + gj;
      *c = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *c;
    }
  }
}

__global__ void scale_kernel(float* C, int M, int N, int ldc, float beta, bool lower) {
  const size_t total = size_t(M) * N, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int i = int(e / N), j = int(e % N);
    if (lower && j > i) continue;
    float* c = C + size_t(i) * ldc + j;
    *c = beta == 0.0f ? 0.0f : *c * beta;
  }
}

__global__ void mirror_lower_kernel(float* A, int n, int lda) {
  const size_t total = size_t(n) * n, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int i = int(e / n), j = int(e % n);
    if (j > i) A[size_t(i) * lda + j] = A[size_t(j) * lda + i];
  }
}

}  // namespace

void sgemm_dev_part(bool ta, bool tb, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
                    const float* b, size_t ldb, float beta, float* c, size_t ldc, bool lower) {
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) {
    const unsigned grid = unsigned(std::min<size_t>((m * n + 255) / 256, size_t(device_sms()) * 8));
    scale_kernel<<<grid, 256>>>(c, int(m), int(n), int(ldc), beta, lower);
    TF_CUDA_LAUNCHED();
    return;
  }
  const dim3 grid(unsigned((n + BN - 1) / BN), unsigned((m + BM - 1) / BM));
  const int M = int(m), N = int(n), K = int(k);
  if (!ta && !tb) sgemm_kernel<false, false><<<grid, kThreads>>>(M, N, K, alpha, a, int(lda), b, int(ldb), beta, c, int(ldc), lower);
  else if (!ta && tb) sgemm_kernel<false, true><<<grid, kThreads>>>(M, N, K, alpha, a, int(lda), b, int(ldb), beta, c, int(ldc), lower);
  else if (ta && !tb) sgemm_kernel<true, false><<<grid, kThreads>>>(M, N, K, alpha, a, int(lda), b, int(ldb), beta, c, int(ldc), lower);
  else sgemm_kernel<true, true><<<grid, kThreads>>>(M, N, K, alpha, a, int(lda), b, int(ldb), beta, c, int(ldc), lower);
  TF_CUDA_LAUNCHED();
}

void mirror_lower_dev(float* a, size_t n, size_t lda) {
  if (n == 0) return;
  const unsigned grid = unsigned(std::min<size_t>((n * n + 255) / 256, size_t(device_sms()) * 8));
  mirror_lower_kernel<<<grid, 256>>>(a, int(n), int(lda));
  TF_CUDA_LAUNCHED();
}

void sgemm_dev(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha, const float* d_a, size_t lda,
               const float* d_b, size_t ldb, float beta, float* d_c, size_t ldc) {
  require_device();
  sgemm_dev_part(trans_a, trans_b, m, n, k, alpha, d_a, lda, d_b, ldb, beta, d_c, ldc, false);
}

void hessian_accumulate_dev(float* d_h, const float* d_x, size_t n_samples, size_t dim, float alpha) {
  require_device();
  if (dim == 0) return;
  sgemm_dev_part(true, false, dim, dim, n_samples, alpha, d_x, dim, d_x, dim, 1.0f, d_h, dim, true);
  mirror_lower_dev(d_h, dim, dim);
}

void hessian_accumulate(float* h, const float* x, size_t n_samples, size_t dim, float alpha) {
  Buffer dh(dim * dim * sizeof(float)), dx(n_samples * dim * sizeof(float));
  dh.upload(h, dim * dim * sizeof(float));
  dx.upload(x, n_samples * dim * sizeof(float));
  hessian_accumulate_dev(dh.as<float>(), dx.as<float>(), n_samples, dim, alpha);
  dh.download(h, dim * dim * sizeof(float));
}

}  // namespace tf::cuda
