// The int8gemm family's variants: one declaration and one kVariants row per variant, the scalar
// reference first. The dispatch (select), the C++ tests (tf::test::for_each_variant) and the
// bench's `variants` suite all walk this list (kernels/dispatch/variants.h); adding a variant is
// its source file in an ISA folder plus its lines here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/int8gemm/int8gemm.h"

namespace tf::int8gemm {

void s8_gemm_slice_scalar(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                          size_t n1);
#if defined(__x86_64__) || defined(_M_X64)
void s8_gemm_slice_avx2(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                        size_t n1);
void s8_gemm_slice_avx512vnni(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                              size_t n1);
#endif
#if defined(__aarch64__)
void s8_gemm_slice_neon_sdot(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                             size_t n1);
#endif
inline constexpr Variant<S8SliceFn> kVariants[] = {
    {Isa::Scalar, "scalar", s8_gemm_slice_scalar},
#if defined(__x86_64__) || defined(_M_X64)
    {Isa::Avx2, "avx2", s8_gemm_slice_avx2},
    {Isa::Avx512, "avx512vnni", s8_gemm_slice_avx512vnni},
#endif
#if defined(__aarch64__)
    {Isa::Neon, "neon_sdot", s8_gemm_slice_neon_sdot},
#endif
};
static_assert(scalar_first(kVariants));

}  // namespace tf::int8gemm
