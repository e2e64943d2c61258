// 2:4 packing, validation and the threaded product driver (variants: sp24.h kVariants).
#include "kernels/sp24/sp24.h"
#include "kernels/sp24/variants.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/parallel.h"
#include "common/scratch.h"

namespace tf::sp24 {

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (man << 13);  // inf / NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  } else if (man == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise (exact in fp32).
    int e = -1;
    do {
      man <<= 1;
      ++e;
    } while (!(man & 0x400));
    bits = sign | (uint32_t(112 - e) << 23) | ((man & 0x3FF) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t float_to_half(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return uint16_t(sign | 0x7E00);  // NaN
  if (a >= 0x477FF000u) return uint16_t(sign | 0x7C00);  // rounds to >= 65520: inf
  if (a >= 0x38800000u) {
    // Normal half: drop 13 mantissa bits, round half to even (a carry into the exponent is right).
    const uint32_t r = a - 0x38000000u;  // rebias 127 -> 15
    const uint32_t lsb = (r >> 13) & 1;
    return uint16_t(sign | ((r + 0xFFF + lsb) >> 13));
  }
  if (a < 0x33000000u) return sign;  // below half the smallest subnormal: zero
  // Subnormal half: value = m * 2^-24 with m = a's significand shifted, rounded to even.
  const uint32_t e = a >> 23, m = (a & 0x7FFFFF) | 0x800000;
  const uint32_t shift = 126 - e;  // 14 + (113 - e)
  const uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
  const uint32_t up = rem > half || (rem == half && (q & 1));
  return uint16_t(sign | (q + up));
}

void validate_shape(size_t rows, size_t cols) {
  (void)rows;
  if (cols < 4 || cols % 4)
    throw bad_input("2:4 weights need cols (inputs) to be a positive multiple of 4, got " + std::to_string(cols), "cols");
}

PackedData pack(const float* w, size_t rows, size_t cols, Values type) {
  validate_shape(rows, cols);
  PackedData p;
  p.rows = rows, p.cols = cols, p.type = type;
  const size_t kept = rows * (cols / 2);
  std::vector<float> vals(kept);
  const size_t ib = (cols / 4 + 1) / 2;
  p.idx.assign(rows * ib, 0);
  for (size_t r = 0; r < rows; ++r) {
    const float* wr = w + r * cols;
    for (size_t g = 0; g < cols / 4; ++g) {
      unsigned pos[4], cnt = 0;
      for (unsigned i = 0; i < 4; ++i) {
        const float v = wr[4 * g + i];
        if (std::isnan(v))
          throw bad_input("weights row " + std::to_string(r) + " column " + std::to_string(4 * g + i) + " is NaN", "weights");
        if (v != 0.f) {
          if (cnt == 2)
            throw bad_input("weights row " + std::to_string(r) + " group " + std::to_string(g) +
                                " (columns " + std::to_string(4 * g) + ".." + std::to_string(4 * g + 3) +
                                ") has more than 2 nonzeros: prune to 2:4 first (nmMask n=2 m=4)",
                            "weights");
          pos[cnt++] = i;
        }
      }
      // Fill missing positions with the first free columns (their weights are zero).
      for (unsigned i = 0; cnt < 2 && i < 4; ++i)
        if (!(cnt == 1 && pos[0] == i)) pos[cnt++] = i;
      if (pos[0] > pos[1]) std::swap(pos[0], pos[1]);
      vals[r * (cols / 2) + 2 * g] = wr[4 * g + pos[0]];
      vals[r * (cols / 2) + 2 * g + 1] = wr[4 * g + pos[1]];
      p.idx[r * ib + g / 2] |= uint8_t((pos[0] | (pos[1] << 2)) << ((g & 1) * 4));
    }
  }
  if (type == Values::F32) {
    p.f32 = std::move(vals);
  } else {
    p.f16.resize(kept);
    for (size_t i = 0; i < kept; ++i) {
      if (std::fabs(vals[i]) >= 65520.f)
        throw bad_input("a weight of magnitude " + std::to_string(std::fabs(vals[i])) +
                            " overflows fp16 (max 65504): pack with fp32 values",
                        "weights");
      p.f16[i] = float_to_half(vals[i]);
    }
  }
  return p;
}

std::vector<float> unpack(const Packed& p) {
  std::vector<float> d(p.rows * p.cols, 0.f);
  const size_t kr = p.kept_per_row();
  for (size_t r = 0; r < p.rows; ++r)
    for (size_t g = 0; g < p.cols / 4; ++g) {
      size_t c0, c1;
      group_cols(p.idx + r * p.idx_per_row(), g, &c0, &c1);
      for (size_t t = 0; t < 2; ++t) {
        const size_t j = r * kr + 2 * g + t;
        const float v = p.type == Values::F32 ? static_cast<const float*>(p.values)[j]
                                              : half_to_float(static_cast<const uint16_t*>(p.values)[j]);
        d[r * p.cols + (t ? c1 : c0)] = v;
      }
    }
  return d;
}

void validate_idx(const Packed& p) {
  validate_shape(p.rows, p.cols);
  const size_t ib = p.idx_per_row(), groups = p.cols / 4;
  for (size_t i = 0; i < p.rows * ib; ++i)
    for (size_t h = 0; h < 2; ++h) {
      if (2 * (i % ib) + h >= groups) break;  // the unused high nibble of an odd row
      const unsigned nib = (p.idx[i] >> (4 * h)) & 0xF;
      if ((nib & 3) >= (nib >> 2))
        throw bad_input("2:4 meta byte " + std::to_string(i) + ": a group's first position must be below its second (got " +
                            std::to_string(nib & 3) + ", " + std::to_string(nib >> 2) + ")",
                        "meta");
    }
}

namespace {

// Rows per part: whole multiples of 4 (the GEMM tile's row block) unless at the end.
void over_rows(size_t rows, size_t work_per_row, const JobControl* ctl, const std::function<void(size_t, size_t)>& fn) {
  const size_t parts = std::max<size_t>(1, std::min(num_threads(), rows * work_per_row / (size_t(1) << 16)));
  const size_t per = (rows + parts - 1) / parts;
  const size_t step = (per + 3) / 4 * 4;
  parallel_parts(parts, parts, [&](size_t p, size_t, size_t) {
    const size_t r0 = std::min(rows, p * step), r1 = std::min(rows, r0 + step);
    for (size_t b = r0; b < r1; b += 256) {
      check(ctl);
      fn(b, std::min(r1, b + 256));
    }
  });
}

}  // namespace

void gemm(const Packed& w, const float* x, size_t batch, float* y, Isa isa, const JobControl* ctl) {
  validate_shape(w.rows, w.cols);
  if (w.rows == 0 || batch == 0) return;
  const Kernels& k = kernels(isa);
  if (batch == 1) {
    over_rows(w.rows, w.cols / 2, ctl, [&](size_t r0, size_t r1) { k.gemv(w, x, r0, r1, y); });
    return;
  }
  // Transpose a tile of up to kTile activation rows once: every kept weight then multiplies
  // a contiguous vector of the batch held in registers.
  // Pooled scratch: fresh pages for the two tiles would cost more than the product at m = 16.
  ScratchLease xt_lease = scratch<float>(w.cols * kTile), yt_lease = scratch<float>(w.rows * kTile);
  float* xt = xt_lease.as<float>();
  float* yt = yt_lease.as<float>();
  for (size_t b0 = 0; b0 < batch; b0 += kTile) {
    const size_t bt = std::min(kTile, batch - b0);
    for (size_t c = 0; c < w.cols; ++c) {
      float* dst = xt + c * kTile;
      for (size_t b = 0; b < bt; ++b) dst[b] = x[(b0 + b) * w.cols + c];
      for (size_t b = bt; b < kTile; ++b) dst[b] = 0.f;
    }
    over_rows(w.rows, w.cols / 2 * bt, ctl, [&](size_t r0, size_t r1) { k.tile(w, xt, r0, r1, yt); });
    for (size_t b = 0; b < bt; ++b)
      for (size_t r = 0; r < w.rows; ++r) y[(b0 + b) * w.rows + r] = yt[r * kTile + b];
  }
}

void gemm_ref(const Packed& w, const float* x, size_t batch, float* y) {
  validate_shape(w.rows, w.cols);
  if (batch == 1) {
    kScalar.gemv(w, x, 0, w.rows, y);
    return;
  }
  const size_t kr = w.kept_per_row();
  for (size_t b = 0; b < batch; ++b)
    for (size_t r = 0; r < w.rows; ++r) {
      float s = 0.f;
      for (size_t g = 0; g < w.cols / 4; ++g) {
        size_t c[2];
        group_cols(w.idx + r * w.idx_per_row(), g, &c[0], &c[1]);
        for (size_t t = 0; t < 2; ++t) {
          const size_t j = r * kr + 2 * g + t;
          const float v = w.type == Values::F32 ? static_cast<const float*>(w.values)[j]
                                                : half_to_float(static_cast<const uint16_t*>(w.values)[j]);
          s = std::fma(v, x[b * w.cols + c[t]], s);
        }
      }
      y[b * w.rows + r] = s;
    }
}

}  // namespace tf::sp24
