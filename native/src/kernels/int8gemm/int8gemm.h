// int8 GEMM/GEMV, the product int8 weight quantization is supposed to speed up:
//   C[m x n] (int32) = A[m x k] (int8 activations) · B[n x k]ᵀ (int8 weights [out, in]),
// with weights in [-127, 127] (what symmetric quantization writes; -128 is excluded so the
// AVX2 sign trick cannot overflow). AVX-512 uses VNNI vpdpbusd (A offset by +128 to unsigned,
// the offset removed with a per-row weight sum), AVX2 vpmaddubsw with the sign trick, NEON SDOT.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/cpu.h"

namespace tf::int8gemm {

void s8_gemm(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, Isa isa);
void s8_gemm_ref(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k);

// Columns [n0, n1) of C (all rows), ldc = n.
using S8SliceFn = void (*)(const int8_t* a, const int8_t* b, int32_t* c, size_t m, size_t n, size_t k, size_t n0,
                           size_t n1);

}  // namespace tf::int8gemm
