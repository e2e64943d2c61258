// Weight quantization.
//  int8 per-channel symmetric: scale[c] = max|w| over channel c / 127 (1 for an all-zero
//    channel), q = clamp(round_half_even(w / scale), -127, 127) -- ONNX QuantizeLinear with
//    zero point 0. `axis` is the channel axis of a row-major [rows, cols] matrix: 0 = one
//    scale per row (PyTorch Linear [out, in]), 1 = one per column (ONNX MatMul B [in, out]).
//  int4 group-wise along the input dimension (contiguous axis 1 of [N, K]; groups of 32/64/128
//    that divide K): unsigned nibbles q in [0, 15], value = (q - zp) * scale, packed two per
//    byte low nibble first = ONNX Runtime MatMulNBits B [N, K/g, g/2] (and ONNX uint4 [N, K]).
//    symmetric: scale = max|w| / 7, zp = 8 (q - 8 in [-7, 7]; XOR 0x88 per byte gives ONNX
//    signed int4 with zero point 0). asymmetric: range [min(w, 0), max(w, 0)],
//    scale = range / 15, zp = clamp(round(-min / scale), 0, 15).
// Weights must be finite: NaN/Inf -> BAD_INPUT (outputs then unspecified).
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/job.h"

namespace tf {
namespace quant {

void quantize_int8(const float* w, size_t rows, size_t cols, int axis, int8_t* q, float* scales,
                   const JobControl* ctl = nullptr);
void dequantize_int8(const int8_t* q, const float* scales, size_t rows, size_t cols, int axis, float* w,
                     const JobControl* ctl = nullptr);

// zero_points: one byte per group (asymmetric only; may be null when symmetric).
void quantize_int4(const float* w, size_t rows, size_t cols, size_t group, bool symmetric, uint8_t* packed,
                   float* scales, uint8_t* zero_points, const JobControl* ctl = nullptr);
// zero_points null = symmetric (8).
void dequantize_int4(const uint8_t* packed, const float* scales, const uint8_t* zero_points, size_t rows, size_t cols,
                     size_t group, float* w, const JobControl* ctl = nullptr);

// Packs one-byte-per-group zero points into MatMulNBits' layout: uint8 [rows, ceil(groups_per_row / 2)],
// low nibble first, each row starting on a byte.
void pack_zero_points_int4(const uint8_t* zp, size_t rows, size_t groups_per_row, uint8_t* packed);

}  // namespace quant
}  // namespace tf
