// Device discovery, buffers, event timing and the copy yardstick.
#include <algorithm>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {

Info info() {
  Info i;
  i.built = true;
  cudaRuntimeGetVersion(&i.runtime_version);
  if (cudaDriverGetVersion(&i.driver_version) != cudaSuccess) i.driver_version = 0;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free error so later calls start clean
    i.error = std::string("no usable CUDA device: ") + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
    return i;
  }
  if (count == 0) {
    i.error = "no CUDA device found";
    return i;
  }
  for (int d = 0; d < count; ++d) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
    DeviceInfo di;
    di.index = d;
    di.name = p.name;
    di.cc_major = p.major, di.cc_minor = p.minor;
    di.total_bytes = p.totalGlobalMem;
    di.multiprocessors = p.multiProcessorCount;
    di.l2_bytes = size_t(p.l2CacheSize);
    i.devices.push_back(di);
  }
  return i;
}

void require_device() {
  static const std::string why = [] {
    Info i = info();
    return i.devices.empty() ? (i.error.empty() ? std::string("no CUDA device") : i.error) : std::string();
  }();
  if (!why.empty()) throw Error("NO_DEVICE", why);
}

Buffer::Buffer(size_t bytes) {
  require_device();
  if (bytes) TF_CUDA_CHECK(cudaMalloc(&p_, bytes));
  bytes_ = bytes;
}
Buffer::~Buffer() {
  if (p_) cudaFree(p_);
}
Buffer& Buffer::operator=(Buffer&& o) noexcept {
  std::swap(p_, o.p_);
  std::swap(bytes_, o.bytes_);
  return *this;
}
void Buffer::upload(const void* src, size_t bytes, size_t offset) {
  if (bytes) TF_CUDA_CHECK(cudaMemcpy(static_cast<char*>(p_) + offset, src, bytes, cudaMemcpyHostToDevice));
}
void Buffer::download(void* dst, size_t bytes, size_t offset) const {
  if (bytes) TF_CUDA_CHECK(cudaMemcpy(dst, static_cast<const char*>(p_) + offset, bytes, cudaMemcpyDeviceToHost));
}
void Buffer::zero() {
  if (bytes_) TF_CUDA_CHECK(cudaMemset(p_, 0, bytes_));
}

void synchronize() { TF_CUDA_CHECK(cudaDeviceSynchronize()); }

double time_ms(const std::function<void()>& fn, int reps, int warmup) {
  require_device();
  for (int i = 0; i < warmup; ++i) fn();
  TF_CUDA_CHECK(cudaDeviceSynchronize());
  cudaEvent_t a, b;
  TF_CUDA_CHECK(cudaEventCreate(&a));
  TF_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> ms;
  for (int i = 0; i < std::max(reps, 1); ++i) {
    TF_CUDA_CHECK(cudaEventRecord(a));
    fn();
    TF_CUDA_CHECK(cudaEventRecord(b));
    TF_CUDA_CHECK(cudaEventSynchronize(b));
    float t = 0;
    TF_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

namespace {
__global__ void copy16_kernel(uint4* __restrict__ dst, const uint4* __restrict__ src, size_t n16) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n16; i += stride) dst[i] = src[i];
}
}  // namespace

void copy_d2d(void* d_dst, const void* d_src, size_t bytes) {
  const size_t n16 = bytes / 16;
  if (!n16) return;
  int sms = 132;
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0);
  const size_t blocks = std::min<size_t>((n16 + 255) / 256, size_t(sms) * 8);
  copy16_kernel<<<unsigned(blocks), 256>>>(static_cast<uint4*>(d_dst), static_cast<const uint4*>(d_src), n16);
  TF_CUDA_LAUNCHED();
}

double copy_bandwidth_gbps(size_t bytes, int reps) {
  bytes = bytes / 16 * 16;
  Buffer a(bytes), b(bytes);
  TF_CUDA_CHECK(cudaMemset(a.data(), 0x5A, bytes));  // not zeros: nothing may shortcut on them
  const double ms = time_ms([&] { copy_d2d(b.data(), a.data(), bytes); }, reps);
  return 2.0 * double(bytes) / (ms * 1e-3) / 1e9;
}

}  // namespace tf::cuda
