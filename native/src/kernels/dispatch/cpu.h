// CPU feature dispatch: which vector ISA the kernels use. Detected once; env
// TWINFORGE_ISA=scalar|avx2|avx512|neon (or force_isa) picks one explicitly. Each kernel
// family lists its variants once (kernels/dispatch/variants.h) and picks the one for active_isa().
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace tf {

enum class Isa { Scalar, Avx2, Avx512, Neon };

// The one list of ISAs, in enum order. Naming, parsing, the fallback order of the variant lists
// and "best available" all read it; a new ISA is one enum value, one row here and one detection
// case in cpu.cc.
struct IsaInfo {
  Isa isa;
  const char* name;
  Isa fallback;  // what a family without a variant for this ISA runs instead (Scalar ends)
  int rank;      // higher wins when several are available
  bool built;    // this build compiles variants of it (the target's CPU family)
};
#if defined(__x86_64__) || defined(_M_X64)
inline constexpr bool kBuildX86 = true;
#else
inline constexpr bool kBuildX86 = false;
#endif
#if defined(__aarch64__)
inline constexpr bool kBuildArm64 = true;
#else
inline constexpr bool kBuildArm64 = false;
#endif
inline constexpr IsaInfo kIsas[] = {
    {Isa::Scalar, "scalar", Isa::Scalar, 0, true},
    {Isa::Avx2, "avx2", Isa::Scalar, 1, kBuildX86},
    {Isa::Avx512, "avx512", Isa::Avx2, 2, kBuildX86},
    {Isa::Neon, "neon", Isa::Scalar, 1, kBuildArm64},
};
inline constexpr size_t kIsaCount = sizeof(kIsas) / sizeof(kIsas[0]);
inline constexpr const IsaInfo& isa_info(Isa isa) { return kIsas[static_cast<size_t>(isa)]; }

// The ISA kernels use now: the forced one, else env TWINFORGE_ISA, else the best available.
// Throws tf::Error('UNSUPPORTED') when TWINFORGE_ISA names an ISA this CPU lacks or is unknown.
Isa active_isa();
// Whether this CPU (and this build) can run kernels of that ISA.
bool isa_available(Isa isa);
// "scalar", "avx2", "avx512", "neon".
const char* isa_name(Isa isa);
// Every ISA name, comma separated (for error messages).
std::string isa_names();
// Parses a name as isa_name writes it; returns false on an unknown name.
bool parse_isa(const char* name, Isa* out);
// Available ISAs, scalar first, best last.
std::vector<Isa> available_isas();
// Uses this ISA from now on (tests, benchmarks). Throws tf::Error('UNSUPPORTED') if unavailable.
void force_isa(Isa isa);
// Drops a force_isa() override: back to env / best available.
void clear_forced_isa();

}  // namespace tf
