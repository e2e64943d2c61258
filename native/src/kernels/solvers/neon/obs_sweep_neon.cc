// The OBS column sweep compiled for neon (body in obs_sweep_impl.h).
#include "kernels/solvers/obs_sweep_impl.h"
#include "kernels/solvers/variants.h"

namespace tf::solvers::detail {
void obs_sweep_neon(SweepArgs& a) { sweep(a); }
}  // namespace tf::solvers::detail
