// The gemv family's variants: one declaration and one kVariants row per variant, the scalar
// reference first. The dispatch (select), the C++ tests (tf::test::for_each_variant) and the
// bench's `variants` suite all walk this list (kernels/dispatch/variants.h); adding a variant is
// its source file in an ISA folder plus its lines here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/gemv/gemv.h"

namespace tf::gemv {

void gemv_f32_slice_scalar(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
#if defined(__x86_64__) || defined(_M_X64)
void gemv_f32_slice_avx2(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
void gemv_f32_slice_avx512(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
#endif
#if defined(__aarch64__)
void gemv_f32_slice_neon(const float* x, const float* b, size_t k, size_t ldb, size_t j0, size_t j1, float* y);
#endif
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
