// Per-ISA loops of the structured group (Wanda's elementwise product: one multiply per
// element, so every variant is bit-identical to the reference).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/variants.h"

namespace tf {
namespace structured {

struct Kernels {
  // out[i] = |w[i]| * s; returns the largest |w| key (NaN check).
  uint32_t (*abs_mul_scalar)(const float* w, size_t n, float s, float* out);
  // out[i] = |w[i]| * s[i]; returns the largest |w| key.
  uint32_t (*abs_mul_vector)(const float* w, size_t n, const float* s, float* out);
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

}  // namespace structured
}  // namespace tf
