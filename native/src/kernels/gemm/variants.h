// The gemm family's microkernels, scalar first, each with its register tile and cache blocking:
// the driver (select), the C++ tests and the bench walk kVariants (kernels/dispatch/variants.h).
#pragma once
#include "kernels/dispatch/variants.h"
#include "kernels/gemm/sgemm.h"

namespace tf::gemm {

void sgemm_ukernel_4x16_scalar(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc,
                               size_t mr, size_t nr, float alpha, float beta);
#if defined(__x86_64__) || defined(_M_X64)
void sgemm_ukernel_6x16_avx2(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc,
                             size_t mr, size_t nr, float alpha, float beta);
void sgemm_ukernel_8x32_avx512(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc,
                               size_t mr, size_t nr, float alpha, float beta);
#endif
#if defined(__aarch64__)
void sgemm_ukernel_8x12_neon(size_t kc, const float* a, const float* b, size_t bstride, float* c, size_t ldc,
                             size_t mr, size_t nr, float alpha, float beta);
#endif

inline constexpr Variant<SgemmUkernelInfo> kVariants[] = {
    {Isa::Scalar, "scalar 4x16", {sgemm_ukernel_4x16_scalar, 4, 16, 256, 64, 256}},
#if defined(__x86_64__) || defined(_M_X64)
    {Isa::Avx2, "avx2 6x16", {sgemm_ukernel_6x16_avx2, 6, 16, 256, 120, 512}},
    {Isa::Avx512, "avx512 8x32", {sgemm_ukernel_8x32_avx512, 8, 32, 256, 128, 512}},
#endif
#if defined(__aarch64__)
    {Isa::Neon, "neon 8x12", {sgemm_ukernel_8x12_neon, 8, 12, 256, 128, 384}},
#endif
};
static_assert(scalar_first(kVariants));
inline const SgemmUkernelInfo& sgemm_ukernel_for(Isa isa) { return select(kVariants, isa); }

}  // namespace tf::gemm
