// The nm family's variants, scalar reference first: the dispatch (select), the C++ tests and
// the bench walk kVariants (kernels/dispatch/variants.h). A new variant is declared and listed here.
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/nm/kernels.h"

namespace tf::nm {

// Defined in reference/ and in the ISA folders this build compiles.
extern const Kernels kScalar, kAvx2, kAvx512, kNeon;
TF_VARIANTS_ONE_PER_ISA(const Kernels*, &kScalar, &kAvx2, &kAvx512, &kNeon);
inline const Kernels& kernels(Isa isa) { return *select(kVariants, isa); }
inline const Kernels& kernels() { return kernels(active_isa()); }

}  // namespace tf::nm
