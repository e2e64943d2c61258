// Error checks for the .cu files: any failing runtime call becomes tf::Error (INTERNAL, or
// NO_DEVICE for the "no usable device/driver" family), so the binding edge maps it to a JS code.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "common/error.h"

namespace tf::cuda {

inline bool is_no_device(cudaError_t e) {
  return e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver || e == cudaErrorInvalidDevice ||
         e == cudaErrorDevicesUnavailable || e == cudaErrorSystemDriverMismatch ||
         e == cudaErrorCompatNotSupportedOnDevice || e == cudaErrorInitializationError;
}

[[noreturn]] inline void fail(cudaError_t e, const char* what, const char* file, int line) {
  std::string msg = std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ") at " + file +
                    ":" + std::to_string(line);
  throw Error(is_no_device(e) ? "NO_DEVICE" : "INTERNAL", msg);
}

}  // namespace tf::cuda

#define TF_CUDA_CHECK(call)                                                 \
  do {                                                                      \
    cudaError_t tf_e_ = (call);                                             \
    if (tf_e_ != cudaSuccess) ::tf::cuda::fail(tf_e_, #call, __FILE__, __LINE__); \
  } while (0)
// After a kernel launch: launch-configuration errors surface here.
#define TF_CUDA_LAUNCHED() TF_CUDA_CHECK(cudaGetLastError())
