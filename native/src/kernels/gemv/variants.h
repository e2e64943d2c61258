// The gemv family's variants, scalar reference first: the dispatch (select), the C++ tests and
// the bench walk kVariants (kernels/dispatch/variants.h). A new variant is declared and listed here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/gemv/gemv.h"

namespace tf::gemv {

using GemvSlice = void(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
GemvSlice gemv_f32_slice_scalar, gemv_f32_slice_avx2, gemv_f32_slice_avx512, gemv_f32_slice_neon;
TF_VARIANTS_ONE_PER_ISA(GemvSliceFn, gemv_f32_slice_scalar, gemv_f32_slice_avx2, gemv_f32_slice_avx512,
                        gemv_f32_slice_neon);

}  // namespace tf::gemv
