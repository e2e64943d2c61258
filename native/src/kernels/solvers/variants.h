// The solvers family's variants: one declaration and one kVariants row per variant, the scalar
// reference first. The dispatch (select), the C++ tests (tf::test::for_each_variant) and the
// bench's `variants` suite all walk this list (kernels/dispatch/variants.h); adding a variant is
// its source file in an ISA folder plus its lines here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/solvers/obs_sweep.h"

namespace tf::solvers::detail {

void obs_sweep_scalar(SweepArgs& a);
#if defined(__x86_64__) || defined(_M_X64)
void obs_sweep_avx2(SweepArgs& a);
void obs_sweep_avx512(SweepArgs& a);
#endif
#if defined(__aarch64__)
void obs_sweep_neon(SweepArgs& a);
#endif
inline constexpr Variant<SweepFn> kVariants[] = {
    {Isa::Scalar, "scalar", obs_sweep_scalar},
#if defined(__x86_64__) || defined(_M_X64)
    {Isa::Avx2, "avx2", obs_sweep_avx2},
    {Isa::Avx512, "avx512", obs_sweep_avx512},
#endif
#if defined(__aarch64__)
    {Isa::Neon, "neon", obs_sweep_neon},
#endif
};
static_assert(scalar_first(kVariants));
inline SweepFn obs_sweep_for(Isa isa) { return select(kVariants, isa); }

}  // namespace tf::solvers::detail
