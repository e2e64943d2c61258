#include "kernels/dispatch/cpu.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"

namespace tf {
namespace {

constexpr bool rows_in_enum_order() {
  for (size_t i = 0; i < kIsaCount; ++i)
    if (static_cast<size_t>(kIsas[i].isa) != i) return false;
  return true;
}
static_assert(rows_in_enum_order(), "kIsas rows must follow the Isa enum (isa_info indexes by value)");

// Whether the CPU runs one kIsas row's variants (__builtin_cpu_supports takes only string
// literals, so this is the one per-ISA switch; rows not built for this target never get here).
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
  bool has[kIsaCount];
  Isa best = Isa::Scalar;
  Detected() {
    for (const IsaInfo& i : kIsas) {
      has[size_t(i.isa)] = i.built && detect(i.isa);
      if (has[size_t(i.isa)] && i.rank > isa_info(best).rank) best = i.isa;
    }
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
                                   "' is not one of " + isa_names());
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
  const size_t i = static_cast<size_t>(isa);
  return i < kIsaCount && detected().has[i];
}

const char* isa_name(Isa isa) {
  const size_t i = static_cast<size_t>(isa);
  return i < kIsaCount ? kIsas[i].name : "unknown";
}

std::string isa_names() {
  std::string out;
  for (const IsaInfo& i : kIsas) out += (out.empty() ? "" : ", ") + std::string(i.name);
  return out;
}

bool parse_isa(const char* name, Isa* out) {
  for (const IsaInfo& i : kIsas) {
    if (std::strcmp(name, i.name) == 0) {
      *out = i.isa;
      return true;
    }
  }
  return false;
}

std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (int rank = 0; rank <= isa_info(detected().best).rank; ++rank)
    for (const IsaInfo& i : kIsas)
      if (i.rank == rank && isa_available(i.isa)) out.push_back(i.isa);
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
