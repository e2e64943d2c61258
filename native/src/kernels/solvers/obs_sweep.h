// The in-block column sweep shared by SparseGPT and GPTQ (internal to the solvers group).
// Rows are independent inside a block once the unstructured mask is chosen, so the drivers cut
// the rows into chunks of kRowChunk and hand each chunk, transposed to [column][row], to the
// sweep: for each column i it snaps the weights to their target (0 for pruned ones, the
// quantization grid for GPTQ), records the scaled error e = (w − ŵ)/U_ii and subtracts
// e·U_ij from the columns j > i of the block. Vectorised over the chunk's rows.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dispatch/cpu.h"

namespace tf::solvers::detail {

// Rows per chunk: the chunk's weights and errors (2 x block x 32 floats = 32 KB at block 128)
// stay in L1 while U's rows stream from L2.
constexpr size_t kRowChunk = 32;

enum class Target : uint8_t {
  Mask,   // keep[] given (unstructured, chosen per block by the driver)
  NM,     // keep n of every m columns, chosen per row at each group start
  Quant,  // GPTQ grid; keep[] pins pruned weights to 0
};

struct SweepArgs {
  Target target = Target::Mask;
  size_t count = 0;             // columns in the block
  const float* u = nullptr;     // U[i1 + i][i1 + j], row stride ldu
  size_t ldu = 0;
  float* wt = nullptr;          // [count][kRowChunk] in: weights; out: ŵ
  float* et = nullptr;          // [count][kRowChunk] out: e
  uint8_t* keep = nullptr;      // [count][kRowChunk] Mask/Quant: in, NM: out (1 = kept)
  // N:M
  uint32_t n = 0, m = 0;
  // Quant
  uint8_t* codes = nullptr;     // [count][kRowChunk] out (int8 two's complement when symmetric)
  float* scales = nullptr;      // [count / group][kRowChunk]; in when group == 0 (per row), else out
  float* zeros = nullptr;       // same shape as scales
  size_t group = 0;             // columns per scale inside the block; 0 = given per row
  uint32_t bits = 8;
  bool symmetric = true;
  // out
  double loss = 0;              // Σ e² over the chunk
};

using SweepFn = void (*)(SweepArgs& a);

// Grid parameters for n weights (kept ones only; 0 always inside the range).
void quant_params(const float* w, const uint8_t* keep, size_t n, size_t stride, uint32_t bits, bool symmetric,
                  float* scale, float* zero);

}  // namespace tf::solvers::detail
