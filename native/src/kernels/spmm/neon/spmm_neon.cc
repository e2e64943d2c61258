// NEON: the portable bodies compiled with NEON enabled (no gather instruction on NEON, so the
// GEMVs stay lane-parallel scalar loads; the batched loops vectorize over the batch).
#include "kernels/spmm/spmm_impl.h"
#include "kernels/spmm/variants.h"

namespace tf::spmm {
const Kernels kNeon = {csr_gemv_portable,  nm_gemv_portable,  bsr_gemv_portable,
                    csr_batch_portable, nm_batch_portable, bsr_batch_portable};
}  // namespace tf::spmm
