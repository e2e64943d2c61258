// Blocked Cholesky and triangular inverse on the device, the same algorithms as the CPU
// (linalg/reference): diagonal blocks of kNb are factored and inverted in double by one thread
// block in shared memory, everything else is sgemm. U = chol(H⁻¹)-upper comes from reversing
// the array, the lower factor and its inverse, and reversing back.
#include <algorithm>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/device_util.cuh"
#include "kernels/cuda/linalg_dev.cuh"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {
namespace {

constexpr int kNb = 64;  // 2 x 64 x 64 doubles = 64 KB of shared memory per diagonal block

// Factor (when `factor`) and invert the jb x jb diagonal block at a[j][j] (lower part read).
// Writes L (float) back to a when factoring, and L⁻¹ (float, jb x jb) to inv.
__global__ void diag_block_kernel(float* a, int lda, int j, int jb, bool factor, float* inv, unsigned* fail) {
  extern __shared__ double sm[];
  double* L = sm;            // jb x jb
  double* X = sm + jb * jb;  // jb x jb inverse
  const int t = threadIdx.x, nt = blockDim.x;
  for (int e = t; e < jb * jb; e += nt) {
    const int r = e / jb, c = e % jb;
    L[e] = c <= r ? double(a[size_t(j + r) * lda + j + c]) : 0.0;
    X[e] = 0.0;
  }
  __syncthreads();
  if (factor) {
    __shared__ int bad;
    if (t == 0) bad = 0;
    for (int k = 0; k < jb; ++k) {
      __syncthreads();
      if (t == 0) {
        const double d = L[k * jb + k];
        if (!(d > 0.0) || !isfinite(d)) bad = 1;
        L[k * jb + k] = sqrt(d > 0.0 ? d : 1.0);
      }
      __syncthreads();
      const double d = L[k * jb + k];
      for (int i = k + 1 + t; i < jb; i += nt) L[i * jb + k] /= d;
      __syncthreads();
      // trailing update of the lower triangle: L[i][c] -= L[i][k] * L[c][k], k < c <= i
      const int rest = jb - k - 1;
      for (int e = t; e < rest * rest; e += nt) {
        const int i = k + 1 + e / rest, c = k + 1 + e % rest;
        if (c <= i) L[i * jb + c] -= L[i * jb + k] * L[c * jb + k];
      }
    }
    __syncthreads();
    if (t == 0 && bad) atomicOr(fail, 1u);
    for (int e = t; e < jb * jb; e += nt) {
      const int r = e / jb, c = e % jb;
      a[size_t(j + r) * lda + j + c] = c <= r ? float(L[e]) : 0.0f;
    }
  }
  __syncthreads();
  // Inverse column by column (forward substitution): columns are independent.
  for (int c = t; c < jb; c += nt) {
    X[c * jb + c] = 1.0 / L[c * jb + c];
    for (int i = c + 1; i < jb; ++i) {
      double s = 0.0;
      for (int k = c; k < i; ++k) s += L[i * jb + k] * X[k * jb + c];
      X[i * jb + c] = -s / L[i * jb + i];
    }
  }
  __syncthreads();
  for (int e = t; e < jb * jb; e += nt) inv[e] = float(X[e]);
}

__global__ void zero_upper_kernel(float* a, int n, int lda) {
  const size_t total = size_t(n) * n, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int i = int(e / n), j = int(e % n);
    if (j > i) a[size_t(i) * lda + j] = 0.0f;
  }
}

__global__ void reverse_kernel(float* a, size_t n) {
  const size_t half = n / 2, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < half; i += stride) {
    const float x = a[i];
    a[i] = a[n - 1 - i];
    a[n - 1 - i] = x;
  }
}

__global__ void copy_block_kernel(float* dst, int ldd, const float* src, int lds, int rows, int cols) {
  const size_t total = size_t(rows) * cols, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += stride) {
    const int r = int(e / cols), c = int(e % cols);
    dst[size_t(r) * ldd + c] = src[size_t(r) * lds + c];
  }
}

unsigned grid_for(size_t work) {
  return unsigned(std::max<size_t>(1, std::min<size_t>((work + 255) / 256, size_t(device_sms()) * 8)));
}

void diag_block(float* a, size_t lda, size_t j, size_t jb, bool factor, float* inv, unsigned* fail) {
  const size_t smem = 2 * jb * jb * sizeof(double);
  static bool attr = [] {
    cudaFuncSetAttribute(diag_block_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                         int(2 * kNb * kNb * sizeof(double)));
    return true;
  }();
  (void)attr;
  diag_block_kernel<<<1, 256, smem>>>(a, int(lda), int(j), int(jb), factor, inv, fail);
  TF_CUDA_LAUNCHED();
}

}  // namespace

// In-place blocked lower Cholesky; sets *fail on a bad pivot (device flag).
void cholesky_lower_dev(float* a, size_t n, size_t lda, unsigned* fail, float* inv, float* panel) {
  for (size_t j = 0; j < n; j += kNb) {
    const size_t jb = std::min<size_t>(kNb, n - j), rest = n - j - jb;
    diag_block(a, lda, j, jb, true, inv, fail);
    if (rest == 0) continue;
    float* a21 = a + (j + jb) * lda + j;
    copy_block_kernel<<<grid_for(rest * jb), 256>>>(panel, int(jb), a21, int(lda), int(rest), int(jb));
    TF_CUDA_LAUNCHED();
    sgemm_dev_part(false, true, rest, jb, jb, 1.0f, panel, jb, inv, jb, 0.0f, a21, lda, false);
    sgemm_dev_part(false, true, rest, rest, jb, -1.0f, a21, lda, a21, lda, 1.0f, a21 + jb, lda, true);
  }
  zero_upper_kernel<<<grid_for(n * n), 256>>>(a, int(n), int(lda));
  TF_CUDA_LAUNCHED();
}

// In-place inverse of a lower triangular matrix (upper part zero).
void trtri_lower_dev(float* a, size_t n, size_t lda, float* inv, float* x) {
  const size_t nblocks = (n + kNb - 1) / kNb;
  for (size_t bi = nblocks; bi-- > 0;) {
    const size_t j = bi * kNb, jb = std::min<size_t>(kNb, n - j), rest = n - j - jb;
    diag_block(a, lda, j, jb, false, inv, nullptr);
    if (rest > 0) {
      float* l21 = a + (j + jb) * lda + j;
      const float* inv22 = a + (j + jb) * lda + j + jb;
      // Inv22 is lower triangular with zeros above: a full product is exact.
      sgemm_dev_part(false, false, rest, jb, rest, 1.0f, inv22, lda, l21, lda, 0.0f, x, jb, false);
      sgemm_dev_part(false, false, rest, jb, jb, -1.0f, x, jb, inv, jb, 0.0f, l21, lda, false);
    }
    copy_block_kernel<<<grid_for(jb * jb), 256>>>(a + j * lda + j, int(lda), inv, int(jb), int(jb), int(jb));
    TF_CUDA_LAUNCHED();
  }
}

bool inverse_cholesky_upper_dev(float* h, size_t n) {
  if (n == 0) return true;
  DeviceScratch flag(sizeof(unsigned)), inv(kNb * kNb * sizeof(float)), work(n * kNb * sizeof(float));
  TF_CUDA_CHECK(cudaMemsetAsync(flag.p, 0, sizeof(unsigned)));
  reverse_kernel<<<grid_for(n * n / 2), 256>>>(h, n * n);
  TF_CUDA_LAUNCHED();
  cholesky_lower_dev(h, n, n, flag.as<unsigned>(), inv.as<float>(), work.as<float>());
  unsigned bad = 0;
  TF_CUDA_CHECK(cudaMemcpy(&bad, flag.p, sizeof(bad), cudaMemcpyDeviceToHost));
  if (bad) return false;
  trtri_lower_dev(h, n, n, inv.as<float>(), work.as<float>());
  reverse_kernel<<<grid_for(n * n / 2), 256>>>(h, n * n);
  TF_CUDA_LAUNCHED();
  return true;
}

}  // namespace tf::cuda
