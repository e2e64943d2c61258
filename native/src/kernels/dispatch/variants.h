// The one dispatch mechanism of every kernel family: kernels/<family>/variants.h lists the
// family's variants once, scalar reference first, as `Variant{isa, name, fns}` rows
//
//   TF_VARIANTS_ONE_PER_ISA(const Kernels*, &kScalar, &kAvx2, &kAvx512, &kNeon);  // or its own rows
//
// and everything else comes from that list: the runtime pick (select), the C++ tests (every
// variant against the reference: tests/test_util.h for_each_variant) and the bench binary's
// per-variant timings (bench/bench_variants.cc). A variant is a pointer to a struct of function
// pointers, one function pointer, or a small struct of constants (the sgemm register tile).
#pragma once
#include <cstddef>

#include "kernels/dispatch/cpu.h"

namespace tf {

template <typename Fns>
struct Variant {
  Isa isa;
  const char* name;  // what tests and the bench print: the ISA, or the tile when it says more
  Fns fns;
};

// The variant for `isa`: the list's own entry when that ISA is available, else the entry of the
// ISA's fallback (kIsas), down to the scalar reference (the list's first entry).
template <typename Fns, size_t N>
const Variant<Fns>& select_variant(const Variant<Fns> (&list)[N], Isa isa) {
  for (Isa want = isa;; want = isa_info(want).fallback) {
    if (isa_available(want))
      for (const Variant<Fns>& v : list)
        if (v.isa == want) return v;
    if (want == Isa::Scalar) break;
  }
  return list[0];
}

template <typename Fns, size_t N>
const Fns& select(const Variant<Fns> (&list)[N], Isa isa) {
  return select_variant(list, isa).fns;
}

template <typename Fns, size_t N>
const Fns& select(const Variant<Fns> (&list)[N]) {
  return select_variant(list, active_isa()).fns;
}

// Calls fn(variant) for every variant this CPU can run, in list order (scalar first).
template <typename Fns, size_t N, typename Fn>
void for_each_available(const Variant<Fns> (&list)[N], Fn&& fn) {
  for (const Variant<Fns>& v : list)
    if (isa_available(v.isa)) fn(v);
}

// True when the list starts with the scalar reference (families static_assert it).
template <typename Fns, size_t N>
constexpr bool scalar_first(const Variant<Fns> (&list)[N]) {
  return list[0].isa == Isa::Scalar;
}

}  // namespace tf

// The list of a family with one variant per ISA (all but gemm's, whose rows carry tile sizes):
//   TF_VARIANTS_ONE_PER_ISA(Fns, scalar, avx2, avx512, neon);
// defines kVariants: the scalar reference, then the variants of the ISAs this build targets
// (kIsas' `built`); the other architecture's arguments are dropped unseen, so their symbols may
// stay undefined.
#if defined(__x86_64__) || defined(_M_X64)
#define TF_VARIANT_ROWS_(avx2, avx512, neon) {::tf::Isa::Avx2, "avx2", avx2}, {::tf::Isa::Avx512, "avx512", avx512},
#elif defined(__aarch64__)
#define TF_VARIANT_ROWS_(avx2, avx512, neon) {::tf::Isa::Neon, "neon", neon},
#else
#define TF_VARIANT_ROWS_(avx2, avx512, neon)
#endif
#define TF_VARIANTS_ONE_PER_ISA(Fns, scalar, avx2, avx512, neon)                                                 \
  inline constexpr ::tf::Variant<Fns> kVariants[] = {{::tf::Isa::Scalar, "scalar", scalar},                      \
                                                     TF_VARIANT_ROWS_(avx2, avx512, neon)};                      \
  static_assert(::tf::scalar_first(kVariants))
