// Per-ISA inner loops of the N:M group. Both return the largest |score| key (NaN check).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/cpu.h"

namespace tf {
namespace nm {

struct Kernels {
  // `groups` whole groups of m contiguous scores; keeps the `keep` largest of each.
  uint32_t (*contig)(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask);
  // t rows (t <= 16) of `cols` scores, row stride `stride` (mask uses the same stride); in
  // each column keeps the `keep` largest of the t.
  uint32_t (*strided)(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask);
};

// The scalar loops, for variants' tails and unsupported group sizes.
uint32_t contig_scalar(const float* s, size_t groups, int keep, int m, bool magnitude, uint8_t* mask);
uint32_t strided_scalar(const float* s, size_t stride, size_t cols, int t, int keep, bool magnitude, uint8_t* mask);

}  // namespace nm
}  // namespace tf
