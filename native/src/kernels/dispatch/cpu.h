// CPU feature dispatch: which vector ISA the kernels use. Detected once; env
// TWINFORGE_ISA=scalar|avx2|avx512|neon (or force_isa) picks one explicitly. Each kernel
// group keeps its own table of function pointers and picks the entry for active_isa().
#pragma once
#include <vector>

namespace tf {

enum class Isa { Scalar, Avx2, Avx512, Neon };

// The ISA kernels use now: the forced one, else env TWINFORGE_ISA, else the best available.
// Throws tf::Error('UNSUPPORTED') when TWINFORGE_ISA names an ISA this CPU lacks or is unknown.
Isa active_isa();
// Whether this CPU (and this build) can run kernels of that ISA.
bool isa_available(Isa isa);
// "scalar", "avx2", "avx512", "neon".
const char* isa_name(Isa isa);
// Parses a name as isa_name writes it; returns false on an unknown name.
bool parse_isa(const char* name, Isa* out);
// Available ISAs, scalar first, best last.
std::vector<Isa> available_isas();
// Uses this ISA from now on (tests, benchmarks). Throws tf::Error('UNSUPPORTED') if unavailable.
void force_isa(Isa isa);
// Drops a force_isa() override: back to env / best available.
void clear_forced_isa();

// Picks the table entry for the active ISA; entries may be null (variant not written / does not
// pay): then it falls back to the best lower one and finally to the scalar reference.
template <typename Fn>
struct IsaTable {
  Fn scalar = nullptr;
  Fn avx2 = nullptr;
  Fn avx512 = nullptr;
  Fn neon = nullptr;
  Fn get(Isa isa) const {
    switch (isa) {
      case Isa::Avx512:
        if (avx512) return avx512;
        [[fallthrough]];
      case Isa::Avx2:
        if (avx2) return avx2;
        return scalar;
      case Isa::Neon:
        return neon ? neon : scalar;
      default:
        return scalar;
    }
  }
  Fn get() const { return get(active_isa()); }
};

}  // namespace tf
