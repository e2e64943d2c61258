// The spmm family's variants: one declaration and one kVariants row per variant, the scalar
// reference first. The dispatch (select), the C++ tests (tf::test::for_each_variant) and the
// bench's `variants` suite all walk this list (kernels/dispatch/variants.h); adding a variant is
// its source file in an ISA folder plus its lines here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/spmm/spmm.h"

namespace tf::spmm {

extern const Kernels kScalar;
#if defined(__x86_64__) || defined(_M_X64)
extern const Kernels kAvx2;
extern const Kernels kAvx512;
#endif
#if defined(__aarch64__)
extern const Kernels kNeon;
#endif
inline constexpr Variant<const Kernels*> kVariants[] = {
    {Isa::Scalar, "scalar", &kScalar},
#if defined(__x86_64__) || defined(_M_X64)
    {Isa::Avx2, "avx2", &kAvx2},
    {Isa::Avx512, "avx512", &kAvx512},
#endif
#if defined(__aarch64__)
    {Isa::Neon, "neon", &kNeon},
#endif
};
static_assert(scalar_first(kVariants));

}  // namespace tf::spmm
