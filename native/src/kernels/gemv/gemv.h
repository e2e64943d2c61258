// Dense fp32 GEMV y = x·B with B K x N row-major (ONNX MatMul's layout for a 1 x K input):
// rows of B stream through once, four at a time, into y held in L1. Memory-bound: the
// yardstick for the sparse GEMVs.
#pragma once
#include <cstddef>

#include "kernels/dispatch/cpu.h"

namespace tf::gemv {

// y[0, n) = sum_k x[k] * b[k*ldb + j], threads over column slices.
void gemv_f32(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y, Isa isa);
void gemv_f32_ref(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y);

// Column-slice kernels: y[j0, j1) of the product.
using GemvSliceFn = void (*)(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);

}  // namespace tf::gemv
