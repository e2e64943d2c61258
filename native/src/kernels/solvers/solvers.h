// One-shot layer solvers that minimise the reconstruction error ‖WX − ŴX‖² with the layer
// Hessian H = XᵀX (OBS updates through the upper Cholesky factor of H⁻¹, columns in blocks,
// lazy batch updates of the columns to the right):
//  - SparseGPT (Frantar & Alistarh 2023): unstructured or N:M masks chosen block by block with
//    the w²/[H⁻¹]ᵢᵢ² criterion, the surviving weights updated to absorb the error;
//  - GPTQ (Frantar et al. 2023): int8/int4 codes, per row or per group of columns, symmetric or
//    asymmetric, the rounding error of each column spread over the ones not yet quantized.
// W is [rows = outputs, cols = inputs] row-major fp32 and is updated in place.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/job.h"
#include "kernels/dispatch/cpu.h"

namespace tf::solvers {

struct ObsOptions {
  size_t block = 128;       // columns per lazy batch (rounded to a multiple of the group / M)
  float percdamp = 0.01f;   // λ = percdamp · mean(diag H), added to the diagonal
};

struct SparseGptOptions : ObsOptions {
  double sparsity = 0.5;    // unstructured: fraction pruned in every block
  uint32_t n = 0, m = 0;    // N:M (keep n of every m consecutive inputs) when m > 0
};

// Quantization grid of GPTQ's codes (the same as the plain int8/int4 quantizers):
//  symmetric:  scale = max|w| / qmax, code = clamp(round(w/scale), -qmax, qmax), ŵ = code·scale
//              (qmax = 127 for 8 bits, 7 for 4 bits; zero point 0);
//  asymmetric: range [min(w,0), max(w,0)], scale = range / (2^bits − 1),
//              zero = round(−min/scale), code = clamp(round(w/scale) + zero, 0, 2^bits − 1),
//              ŵ = (code − zero)·scale.
// A group whose weights are all 0 gets scale 1 (every code maps to 0 exactly).
struct GptqOptions : ObsOptions {
  uint32_t bits = 8;        // 8 or 4
  size_t group = 0;         // columns per scale: 0 = one per row (per channel), else 32/64/128...
  bool symmetric = true;
};

struct ObsResult {
  double loss = 0;          // Σ (w − ŵ)² / [U]ᵢᵢ² / 2: the OBS estimate of the added error
  float damp = 0;           // λ actually used (raised ×10 up to 3 times if H was not PD)
  size_t dead = 0;          // inputs with H_ii == 0 (their weights were zeroed)
};

// h is read (cols x cols) and not modified. mask_out (rows x cols, 1 = kept, 0 = pruned) may be null.
// Throws tf::Error BAD_INPUT on NaN/Inf weights, a bad pattern, or an H that stays indefinite.
ObsResult sparsegpt_f32(float* w, size_t rows, size_t cols, const float* h, uint8_t* mask_out,
                        const SparseGptOptions& opt, Isa isa, const JobControl* ctl = nullptr);

// codes (rows x cols, one byte each: symmetric codes −qmax..qmax as int8 two's complement,
// asymmetric codes 0..2^bits−1 unsigned; 4-bit codes are not packed here), scales and zeros (rows x groups, groups = cols/group or 1) are written;
// w receives the dequantized weights. mask (rows x cols, 0 = pruned, may be null) pins those
// weights to exactly 0 (code = zero point) so prune-then-quantize keeps the sparsity.
ObsResult gptq_f32(float* w, size_t rows, size_t cols, const float* h, const uint8_t* mask, uint8_t* codes,
                   float* scales, float* zeros, const GptqOptions& opt, Isa isa, const JobControl* ctl = nullptr);

}  // namespace tf::solvers
