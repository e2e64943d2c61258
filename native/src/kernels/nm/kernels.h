// Per-ISA inner loops of the N:M group. Both return the largest |score| key (NaN check).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/variants.h"

namespace tf {
namespace nm {

struct Kernels {
  // `groups` whole groups of m contiguous scores; keeps the `keep` largest of each.
  uint32_t (*contig)(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask);
  // t rows (t <= 16) of `cols` scores, row stride `stride` (mask uses the same stride); in
  // each column keeps the `keep` largest of the t.
  uint32_t (*strided)(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask);
};

extern const Kernels kScalar;
#if defined(__x86_64__)
extern const Kernels kAvx2;
extern const Kernels kAvx512;
#endif
#if defined(__aarch64__)
extern const Kernels kNeon;
#endif

// Every variant of the family, scalar reference first (kernels/dispatch/variants.h): the
// dispatch, the tests and the bench all walk this list.
inline constexpr Variant<const Kernels*> kVariants[] = {
    {Isa::Scalar, "scalar", &kScalar},
#if defined(__x86_64__)
    {Isa::Avx2, "avx2", &kAvx2},
    {Isa::Avx512, "avx512", &kAvx512},
#endif
#if defined(__aarch64__)
    {Isa::Neon, "neon", &kNeon},
#endif
};
static_assert(scalar_first(kVariants));

// The variant for the active ISA (or the one given).
inline const Kernels& kernels(Isa isa) { return *select(kVariants, isa); }
inline const Kernels& kernels() { return kernels(active_isa()); }

// The scalar loops, for variants' tails and unsupported group sizes.
uint32_t contig_scalar(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask);
uint32_t strided_scalar(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask);

}  // namespace nm
}  // namespace tf
