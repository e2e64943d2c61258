// The int8gemm family's variants, scalar reference first: the dispatch (select), the C++ tests and
// the bench walk kVariants (kernels/dispatch/variants.h). A new variant is declared and listed here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/int8gemm/int8gemm.h"

namespace tf::int8gemm {

using S8Slice = void(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0, size_t n1);
S8Slice s8_gemm_slice_scalar, s8_gemm_slice_avx2, s8_gemm_slice_avx512vnni, s8_gemm_slice_neon_sdot;
TF_VARIANTS_ONE_PER_ISA(S8SliceFn, s8_gemm_slice_scalar, s8_gemm_slice_avx2, s8_gemm_slice_avx512vnni,
                        s8_gemm_slice_neon_sdot);

}  // namespace tf::int8gemm
