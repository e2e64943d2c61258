// Body of the OBS column sweep (obs_sweep.h), included by one file per ISA inside an anonymous
// namespace: the same C++ compiled with that file's -m flags, so the row loops (fixed length
// kRowChunk, contiguous) become that ISA's vectors. No FMA contraction (-ffp-contract=off):
// every ISA rounds exactly like the scalar build, so variants agree bit for bit.
#include <cmath>
#include <cstring>

#include "kernels/solvers/obs_sweep.h"

namespace {

using tf::solvers::detail::kRowChunk;
using tf::solvers::detail::SweepArgs;
using tf::solvers::detail::Target;

constexpr size_t RC = kRowChunk;

// Per row: keep the n largest of m scores w²/U_cc²; ties keep the earlier column.
inline void select_nm(SweepArgs& a, size_t i0) {
  const size_t m = a.m, prune = a.m - a.n;
  float s[16][RC];
  for (size_t c = 0; c < m; ++c) {
    const float d = a.u[(i0 + c) * a.ldu + i0 + c];
    const float dd = d * d;
    const float* w = a.wt + (i0 + c) * RC;
    for (size_t r = 0; r < RC; ++r) s[c][r] = w[r] * w[r] / dd;
  }
  for (size_t c = 0; c < m; ++c) {
    // below[r]: how many columns rank under c (smaller score, or equal and later).
    uint8_t below[RC] = {};
    for (size_t o = 0; o < m; ++o) {
      if (o == c) continue;
      for (size_t r = 0; r < RC; ++r)
        below[r] += (s[o][r] < s[c][r]) | ((s[o][r] == s[c][r]) & (o > c));
    }
    uint8_t* keep = a.keep + (i0 + c) * RC;
    for (size_t r = 0; r < RC; ++r) keep[r] = below[r] >= prune;
  }
}

inline void group_params(SweepArgs& a, size_t i0) {
  const size_t g = i0 / a.group, cols = a.group < a.count - i0 ? a.group : a.count - i0;
  const float qmax = a.symmetric ? float((1u << (a.bits - 1)) - 1) : float((1u << a.bits) - 1);
  float lo[RC], hi[RC];
  for (size_t r = 0; r < RC; ++r) lo[r] = hi[r] = 0.0f;
  for (size_t c = 0; c < cols; ++c) {
    const float* w = a.wt + (i0 + c) * RC;
    const uint8_t* k = a.keep + (i0 + c) * RC;
    for (size_t r = 0; r < RC; ++r) {
      const float v = k[r] ? w[r] : 0.0f;
      lo[r] = v < lo[r] ? v : lo[r];
      hi[r] = v > hi[r] ? v : hi[r];
    }
  }
  float* sc = a.scales + g * RC;
  float* zp = a.zeros + g * RC;
  for (size_t r = 0; r < RC; ++r) {
    if (a.symmetric) {
      const float amax = -lo[r] > hi[r] ? -lo[r] : hi[r];
      sc[r] = amax > 0.0f ? amax / qmax : 1.0f;
      zp[r] = 0.0f;
    } else {
      const float range = hi[r] - lo[r];
      const float s = range > 0.0f ? range / qmax : 1.0f;
      sc[r] = s;
      zp[r] = std::nearbyint(-lo[r] / s);
    }
  }
}

inline void sweep(SweepArgs& a) {
  const size_t count = a.count;
  const float qlo = a.symmetric ? -float((1u << (a.bits - 1)) - 1) : 0.0f;
  const float qhi = a.symmetric ? float((1u << (a.bits - 1)) - 1) : float((1u << a.bits) - 1);
  // Per-row accumulators: a single float sum would be a reduction the compiler may not reorder
  // (no vectors), and the fixed order keeps every ISA's loss identical.
  float loss_r[RC] = {};
  for (size_t i = 0; i < count; ++i) {
    if (a.target == Target::NM && i % a.m == 0) select_nm(a, i);
    if (a.target == Target::Quant && a.group && i % a.group == 0) group_params(a, i);
    float* w = a.wt + i * RC;
    float* e = a.et + i * RC;
    const uint8_t* keep = a.keep + i * RC;
    const float d = a.u[i * a.ldu + i];
    if (a.target == Target::Quant) {
      const size_t g = a.group ? i / a.group : 0;
      const float* sc = a.scales + g * RC;
      const float* zp = a.zeros + g * RC;
      uint8_t* code = a.codes + i * RC;
      for (size_t r = 0; r < RC; ++r) {
        float c = std::nearbyint(w[r] / sc[r]) + zp[r];
        c = c < qlo ? qlo : (c > qhi ? qhi : c);
        c = keep[r] ? c : zp[r];
        const float q = (c - zp[r]) * sc[r];
        code[r] = uint8_t(int32_t(c));  // symmetric codes wrap to two's complement
        const float ev = (w[r] - q) / d;
        e[r] = ev;
        loss_r[r] += ev * ev;
        w[r] = q;
      }
    } else {
      for (size_t r = 0; r < RC; ++r) {
        const float q = keep[r] ? w[r] : 0.0f;
        const float ev = (w[r] - q) / d;
        e[r] = ev;
        loss_r[r] += ev * ev;
        w[r] = q;
      }
    }
    const float* urow = a.u + i * a.ldu;
    for (size_t j = i + 1; j < count; ++j) {
      const float h = urow[j];
      float* wj = a.wt + j * RC;
      for (size_t r = 0; r < RC; ++r) wj[r] -= e[r] * h;
    }
  }
  double loss = 0.0;
  for (size_t r = 0; r < RC; ++r) loss += loss_r[r];
  a.loss = loss;
}

}  // namespace
