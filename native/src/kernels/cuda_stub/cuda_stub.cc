// The CUDA API when the build had no nvcc: info() says so, every other call throws NO_DEVICE.
#include "common/error.h"
#include "kernels/cuda/tf_cuda.h"

namespace tf::cuda {
namespace {
constexpr const char* kWhy = "built without CUDA (nvcc was not found when the addon was compiled)";
[[noreturn]] void none() { throw Error("NO_DEVICE", kWhy); }
}  // namespace

Info info() {
  Info i;
  i.error = kWhy;
  return i;
}
void require_device() { none(); }

Buffer::Buffer(size_t) { none(); }
Buffer::~Buffer() = default;
Buffer& Buffer::operator=(Buffer&& o) noexcept {
  std::swap(p_, o.p_);
  std::swap(bytes_, o.bytes_);
  return *this;
}
void Buffer::upload(const void*, size_t, size_t) { none(); }
void Buffer::download(void*, size_t, size_t) const { none(); }
void Buffer::zero() { none(); }
void synchronize() { none(); }
double time_ms(const std::function<void()>&, int, int) { none(); }

void copy_d2d(void*, const void*, size_t) { none(); }
Threshold global_threshold_dev(const float*, size_t, double) { none(); }
uint64_t build_mask_dev(const float*, size_t, float, uint64_t, uint8_t*) { none(); }
uint64_t prune_dev(float*, size_t, float, uint64_t) { none(); }
void apply_mask_dev(float*, const uint8_t*, size_t) { none(); }
void nm_mask_dev(const float*, const NmShape&, uint8_t*) { none(); }
void quantize_int8_dev(const float*, size_t, size_t, int, int8_t*, float*) { none(); }
void quantize_int4_dev(const float*, size_t, size_t, size_t, bool, uint8_t*, float*, uint8_t*) { none(); }
void quantize_int8(const float*, size_t, size_t, int, int8_t*, float*) { none(); }
void quantize_int4(const float*, size_t, size_t, size_t, bool, uint8_t*, float*, uint8_t*) { none(); }
void hessian_accumulate_dev(float*, const float*, size_t, size_t, float) { none(); }
void sgemm_dev(bool, bool, size_t, size_t, size_t, float, const float*, size_t, const float*, size_t, float, float*,
               size_t) {
  none();
}
solvers::ObsResult sparsegpt_dev(float*, size_t, size_t, const float*, uint8_t*, const solvers::SparseGptOptions&) {
  none();
}
solvers::ObsResult gptq_dev(float*, size_t, size_t, const float*, const uint8_t*, uint8_t*, float*, float*,
                            const solvers::GptqOptions&) {
  none();
}

Threshold global_threshold(const float*, size_t, double) { none(); }
void nm_mask(const float*, const NmShape&, uint8_t*) { none(); }
void hessian_accumulate(float*, const float*, size_t, size_t, float) { none(); }
solvers::ObsResult sparsegpt(float*, size_t, size_t, const float*, uint8_t*, const solvers::SparseGptOptions&) {
  none();
}
solvers::ObsResult gptq(float*, size_t, size_t, const float*, const uint8_t*, uint8_t*, float*, float*,
                        const solvers::GptqOptions&) {
  none();
}
double copy_bandwidth_gbps(size_t, int) { none(); }

}  // namespace tf::cuda
