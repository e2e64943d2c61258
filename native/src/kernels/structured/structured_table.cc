#include "kernels/structured/kernels.h"

namespace tf {
namespace structured {

const Kernels& kernels(Isa isa) {
  IsaTable<const Kernels*> t;
  t.scalar = &kScalar;
#if defined(__x86_64__)
  t.avx2 = &kAvx2;
  t.avx512 = &kAvx512;
#endif
#if defined(__aarch64__)
  t.neon = &kNeon;
#endif
  return *t.get(isa);
}

const Kernels& kernels() { return kernels(active_isa()); }

}  // namespace structured
}  // namespace tf
