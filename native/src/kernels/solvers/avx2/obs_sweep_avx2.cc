// The OBS column sweep compiled for avx2 (body in obs_sweep_impl.h).
#include "kernels/solvers/obs_sweep_impl.h"
#include "kernels/solvers/variants.h"

namespace tf::solvers::detail {
void obs_sweep_avx2(SweepArgs& a) { sweep(a); }
}  // namespace tf::solvers::detail
