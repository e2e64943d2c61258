// Quantization drivers: row-parallel passes over the ISA loops. Per-row int8 reads each row
// twice while it is still in cache; per-column int8 needs the column maxima first (one pass,
// per-thread maxima merged -- max is exact, so any thread count gives the same scales).
#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "common/chunked.h"
#include "common/error.h"
#include "common/float_bits.h"
#include "common/scratch.h"
#include "kernels/quant/kernels.h"
#include "kernels/quant/variants.h"
#include "kernels/quant/quant.h"

namespace tf {
namespace quant {
namespace {

[[noreturn]] void throw_nonfinite() {
  throw bad_input("weights contain NaN or Infinity: they have no finite quantization scale", "weights");
}

void check_axis(int axis) {
  if (axis != 0 && axis != 1) throw bad_input("axis must be 0 or 1, got " + std::to_string(axis), "axis");
}

ChunkPlan row_plan(size_t cols, const char* stage) {
  ChunkPlan plan;
  plan.stage = stage;
  plan.align = std::max<size_t>(cols, 1);
  return plan;
}

}  // namespace

void quantize_int8(const float* w, size_t rows, size_t cols, int axis, int8_t* q, float* scales, const JobControl* ctl) {
  check_axis(axis);
  const Kernels& k = kernels();
  std::atomic<bool> bad{false};
  if (axis == 0) {
    if (cols == 0) {
      std::fill(scales, scales + rows, 1.f);
      return;
    }
    parallel_chunks(rows * cols, row_plan(cols, "quantize int8"), ctl, [&](size_t, size_t b, size_t e) {
      for (size_t r = b / cols; r < e / cols; ++r) {
        uint32_t key = k.amax_key(w + r * cols, cols);
        if (key >= kInfKey) bad = true;
        scales[r] = int8_scale(bits_float(key));
        k.q8_scalar_scale(w + r * cols, cols, scales[r], q + r * cols);
      }
    });
    if (bad) throw_nonfinite();
    return;
  }
  // axis 1: column maxima, then quantize rows with the per-column scales.
  ChunkPlan plan = row_plan(cols, "quantize int8 (ranges)");
  plan.progress_total = 2 * rows * cols;
  const size_t parts = rows * cols != 0 ? chunk_parts(rows * cols, plan) : 0;
  std::vector<ScratchLease> acc(parts);
  for (auto& a : acc) {
    a = scratch<uint32_t>(cols);
    std::fill(a.as<uint32_t>(), a.as<uint32_t>() + cols, 0u);
  }
  parallel_chunks(rows * cols, plan, ctl, [&](size_t part, size_t b, size_t e) {
    for (size_t r = b / cols; r < e / cols; ++r) k.colmax_key(w + r * cols, cols, acc[part].as<uint32_t>());
  });
  for (size_t c = 0; c < cols; ++c) {
    uint32_t key = 0;
    for (auto& a : acc) key = std::max(key, a.as<uint32_t>()[c]);
    if (key >= kInfKey) throw_nonfinite();
    scales[c] = int8_scale(bits_float(key));
  }
  plan.stage = "quantize int8";
  plan.progress_base = rows * cols;
  parallel_chunks(rows * cols, plan, ctl, [&](size_t, size_t b, size_t e) {
    for (size_t r = b / cols; r < e / cols; ++r) k.q8_vector_scale(w + r * cols, cols, scales, q + r * cols);
  });
}

void dequantize_int8(const int8_t* q, const float* scales, size_t rows, size_t cols, int axis, float* w,
                     const JobControl* ctl) {
  check_axis(axis);
  if (cols == 0) return;
  const Kernels& k = kernels();
  parallel_chunks(rows * cols, row_plan(cols, "dequantize int8"), ctl, [&](size_t, size_t b, size_t e) {
    for (size_t r = b / cols; r < e / cols; ++r) {
      if (axis == 0)
        k.dq8_scalar_scale(q + r * cols, cols, scales[r], w + r * cols);
      else
        k.dq8_vector_scale(q + r * cols, cols, scales, w + r * cols);
    }
  });
}

static void check_group(size_t cols, size_t group) {
  if (group != 32 && group != 64 && group != 128)
    throw bad_input("group size must be 32, 64 or 128, got " + std::to_string(group), "groupSize");
  if (cols % group)
    throw bad_input("cols (" + std::to_string(cols) + ") must be a multiple of the group size " + std::to_string(group) +
                        " (pad K to a multiple of the block, as MatMulNBits does)",
                    "cols");
}

void quantize_int4(const float* w, size_t rows, size_t cols, size_t group, bool symmetric, uint8_t* packed,
                   float* scales, uint8_t* zero_points, const JobControl* ctl) {
  check_group(cols, group);
  const Kernels& k = kernels();
  std::atomic<bool> bad{false};
  ChunkPlan plan;
  plan.stage = "quantize int4";
  plan.align = group;
  parallel_chunks(rows * cols, plan, ctl, [&](size_t, size_t b, size_t e) {
    size_t g0 = b / group;
    uint32_t key = k.q4_groups(w + b, (e - b) / group, group, symmetric, packed + b / 2, scales + g0,
                               symmetric ? nullptr : zero_points + g0);
    if (key >= kInfKey) bad = true;
  });
  if (bad) throw_nonfinite();
}

void dequantize_int4(const uint8_t* packed, const float* scales, const uint8_t* zero_points, size_t rows, size_t cols,
                     size_t group, float* w, const JobControl* ctl) {
  check_group(cols, group);
  const Kernels& k = kernels();
  ChunkPlan plan;
  plan.stage = "dequantize int4";
  plan.align = group;
  parallel_chunks(rows * cols, plan, ctl, [&](size_t, size_t b, size_t e) {
    size_t g0 = b / group;
    k.dq4_groups(packed + b / 2, (e - b) / group, group, scales + g0, zero_points ? zero_points + g0 : nullptr, w + b);
  });
}

void pack_zero_points_int4(const uint8_t* zp, size_t rows, size_t groups_per_row, uint8_t* packed) {
  const size_t bytes = (groups_per_row + 1) / 2;
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* z = zp + r * groups_per_row;
    uint8_t* out = packed + r * bytes;
    for (size_t i = 0; i < bytes; ++i) {
      uint8_t lo = z[2 * i] & 15, hi = 2 * i + 1 < groups_per_row ? (z[2 * i + 1] & 15) : 0;
      out[i] = uint8_t(lo | (hi << 4));
    }
  }
}

}  // namespace quant
}  // namespace tf
