// The solvers family's variants, scalar reference first: the dispatch (select), the C++ tests and
// the bench walk kVariants (kernels/dispatch/variants.h). A new variant is declared and listed here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/solvers/obs_sweep.h"

namespace tf::solvers::detail {

using Sweep = void(SweepArgs& a);
Sweep obs_sweep_scalar, obs_sweep_avx2, obs_sweep_avx512, obs_sweep_neon;
TF_VARIANTS_ONE_PER_ISA(SweepFn, obs_sweep_scalar, obs_sweep_avx2, obs_sweep_avx512, obs_sweep_neon);
inline SweepFn obs_sweep_for(Isa isa) { return select(kVariants, isa); }

}  // namespace tf::solvers::detail
