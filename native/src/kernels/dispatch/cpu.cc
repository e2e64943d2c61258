#include "kernels/dispatch/cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"

namespace tf {
namespace {

bool detect(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return true;
#if defined(__x86_64__) || defined(_M_X64)
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case Isa::Avx512:
      // The AVX-512 files are compiled with F/BW/VL/DQ/VNNI; all must be there.
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx2") &&
             __builtin_cpu_supports("fma");
#endif
#if defined(__aarch64__)
    case Isa::Neon:
      return true;  // Advanced SIMD is mandatory on AArch64.
#endif
    default:
      return false;
  }
}

struct Detected {
  bool has[4];
  Isa best;
  Detected() {
    best = Isa::Scalar;
    for (int i = 0; i < 4; ++i) has[i] = detect(static_cast<Isa>(i));
    if (has[int(Isa::Neon)]) best = Isa::Neon;
    if (has[int(Isa::Avx2)]) best = Isa::Avx2;
    if (has[int(Isa::Avx512)]) best = Isa::Avx512;
  }
};

const Detected& detected() {
  static const Detected d;
  return d;
}

// -1: no override; else the Isa value.
std::atomic<int> g_forced{-1};

Isa from_env() {
  static const int env_isa = [] {
    const char* env = std::getenv("TWINFORGE_ISA");
    if (!env || !*env) return -1;
    Isa isa;
    if (!parse_isa(env, &isa)) return -2;
    if (!detected().has[int(isa)]) return -3 - int(isa);
    return int(isa);
  }();
  if (env_isa == -1) return detected().best;
  if (env_isa == -2)
    throw Error("UNSUPPORTED", std::string("TWINFORGE_ISA='") + std::getenv("TWINFORGE_ISA") +
                                   "' is not one of scalar, avx2, avx512, neon");
  if (env_isa <= -3)
    throw Error("UNSUPPORTED", std::string("TWINFORGE_ISA=") + isa_name(static_cast<Isa>(-3 - env_isa)) +
                                   " is not available on this CPU/build");
  return static_cast<Isa>(env_isa);
}

}  // namespace

Isa active_isa() {
  int f = g_forced.load(std::memory_order_relaxed);
  if (f >= 0) return static_cast<Isa>(f);
  return from_env();
}

bool isa_available(Isa isa) {
  int i = static_cast<int>(isa);
  return i >= 0 && i < 4 && detected().has[i];
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Neon: return "neon";
  }
  return "unknown";
}

bool parse_isa(const char* name, Isa* out) {
  static const Isa all[] = {Isa::Scalar, Isa::Avx2, Isa::Avx512, Isa::Neon};
  for (Isa isa : all) {
    if (std::strcmp(name, isa_name(isa)) == 0) {
      *out = isa;
      return true;
    }
  }
  return false;
}

std::vector<Isa> available_isas() {
  std::vector<Isa> out{Isa::Scalar};
  for (Isa isa : {Isa::Neon, Isa::Avx2, Isa::Avx512})
    if (isa_available(isa)) out.push_back(isa);
  return out;
}

void force_isa(Isa isa) {
  if (!isa_available(isa))
    throw Error("UNSUPPORTED", std::string("ISA ") + isa_name(isa) + " is not available on this CPU/build",
                ErrorKind::RangeError);
  g_forced.store(static_cast<int>(isa), std::memory_order_relaxed);
}

void clear_forced_isa() { g_forced.store(-1, std::memory_order_relaxed); }

}  // namespace tf
