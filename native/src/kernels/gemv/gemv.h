// Dense fp32 GEMV y = x·B with B K x N row-major (ONNX MatMul's layout for a 1 x K input):
// rows of B stream through once, four at a time, into y held in L1. Memory-bound: the
// yardstick for the sparse GEMVs.
#pragma once
#include <cstddef>

#include "kernels/dispatch/variants.h"

namespace tf::gemv {

// y[0, n) = sum_k x[k] * b[k*ldb + j], threads over column slices.
void gemv_f32(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y, Isa isa);
void gemv_f32_ref(const float* x, const float* b, size_t k, size_t n, size_t ldb, float* y);

// Column-slice kernels: y[j0, j1) of the product.
using GemvSliceFn = void (*)(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
void gemv_f32_slice_scalar(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
#if defined(__x86_64__) || defined(_M_X64)
void gemv_f32_slice_avx2(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
void gemv_f32_slice_avx512(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
#endif
#if defined(__aarch64__)
void gemv_f32_slice_neon(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
#endif
// Every variant, scalar reference first (kernels/dispatch/variants.h): the dispatch, the tests
// and the bench all walk this list.
inline constexpr Variant<GemvSliceFn> kVariants[] = {
    {Isa::Scalar, "scalar", gemv_f32_slice_scalar},
#if defined(__x86_64__) || defined(_M_X64)
    {Isa::Avx2, "avx2", gemv_f32_slice_avx2},
    {Isa::Avx512, "avx512", gemv_f32_slice_avx512},
#endif
#if defined(__aarch64__)
    {Isa::Neon, "neon", gemv_f32_slice_neon},
#endif
};
static_assert(scalar_first(kVariants));

}  // namespace tf::gemv
