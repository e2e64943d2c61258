// Exact k-th largest |w| over many tensors without sorting them:
//  1. sample 2048 cache lines spread over all tensors and bracket the target rank with a band
//     [lo, hi] of keys wide enough (from the spread of the per-line fractions) to hold it;
//  2. one streaming pass counts keys below / equal to the band's ends and copies the few keys
//     strictly inside it (~1-2% of them);
//  3. the answer is an end of the band or an nth_element among the copied keys.
// When the band misses the rank (or holds too many keys) a two-pass 16+15-bit radix
// histogram gives the exact answer for any data, ties included.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <string>

#include "common/chunked.h"
#include "common/error.h"
#include "common/float_bits.h"
#include "common/scratch.h"
#include "kernels/magnitude/kernels.h"
#include "kernels/magnitude/magnitude.h"
#include "kernels/magnitude/segments.h"

namespace tf {
namespace mag {
namespace {

constexpr uint64_t kSmall = uint64_t(1) << 18;  // below this, every key is a candidate
constexpr size_t kLines = 2048, kLine = 16;     // sample: 2048 cache lines of 16 floats
constexpr uint32_t kTopKey = kAbsMask;          // largest key (a NaN): "no upper end"

[[noreturn]] void throw_nan(size_t tensor) {
  throw bad_input("tensors[" + std::to_string(tensor) + "] contains NaN: magnitudes of NaN weights are undefined",
                  "tensors");
}

// Candidate keys of one part: a fixed-capacity lease from the scratch pool (fresh pages
// cost more than the pass itself), filled by the band kernel.
struct Buf {
  ScratchLease lease;
  size_t size = 0, cap = 0;
  uint32_t* data() const { return lease.as<uint32_t>(); }
  void reset(size_t capacity) {
    if (lease.capacity() < capacity * sizeof(uint32_t)) lease = scratch<uint32_t>(capacity);
    cap = capacity;
    size = 0;
  }
};

struct Band {
  uint32_t lo = 0, hi = kTopKey;
};

// Chooses [lo, hi] around ascending rank t of `total` keys from a strided sample.
Band sample_band(const Segments& seg, uint64_t t) {
  const uint64_t n = seg.total();
  ScratchLease keys_lease = scratch<uint32_t>(kLines * kLine), sorted_lease = scratch<uint32_t>(kLines * kLine);
  uint32_t* keys = keys_lease.as<uint32_t>();
  uint32_t* sorted = sorted_lease.as<uint32_t>();
  uint32_t line_start[kLines + 1];
  size_t s = 0;
  for (size_t i = 0; i < kLines; ++i) {
    uint64_t p = uint64_t((i + 0.5) * double(n) / double(kLines)) & ~uint64_t(kLine - 1);
    p = std::min<uint64_t>(p, n - kLine);
    line_start[i] = uint32_t(s);
    seg.for_range(p, p + kLine, [&](size_t tensor, const float* w, size_t m) {
      for (size_t j = 0; j < m; ++j) {
        uint32_t k = abs_key(w[j]);
        if (key_is_nan(k)) throw_nan(tensor);
        keys[s++] = k;
      }
    });
  }
  line_start[kLines] = uint32_t(s);
  const double q = double(t) / double(n);
  std::copy(keys, keys + s, sorted);
  size_t mid = std::min(s - 1, size_t(q * double(s)));
  std::nth_element(sorted, sorted + mid, sorted + s);
  const uint32_t v0 = sorted[mid];
  // Spread of the per-line fraction below v0: lines from differently scaled tensors make
  // it wider than binomial; the band covers 4.5 standard errors of the mean fraction.
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < kLines; ++i) {
    size_t b = line_start[i], e = line_start[i + 1];
    double below = 0;
    for (size_t j = b; j < e; ++j) below += keys[j] < v0;
    double f = e > b ? below / double(e - b) : 0;
    sum += f;
    sum2 += f * f;
  }
  double mean = sum / kLines, var = std::max(0.0, sum2 / kLines - mean * mean);
  double margin = 4.5 * std::sqrt(var / kLines) + 0.001;
  Band band;
  // nth_element left everything <= v0 before mid and >= after: search only that side.
  double lo_rank = (q - margin) * double(s), hi_rank = (q + margin) * double(s);
  if (lo_rank >= 1) {
    size_t i = std::min(size_t(lo_rank), mid);
    std::nth_element(sorted, sorted + i, sorted + mid + 1);
    band.lo = sorted[i];
  }
  if (hi_rank < double(s - 1)) {
    size_t i = std::max(size_t(hi_rank) + 1, mid);
    std::nth_element(sorted + mid, sorted + i, sorted + s);
    band.hi = sorted[i];
  }
  if (band.hi < band.lo) band.hi = band.lo;
  return band;
}

struct PartScratch {
  Buf cand;
  BandCounts counts;
  bool overflow = false;
};

// The exact radix fallback: histograms of the top 16 key bits, then of the low 15 bits of
// the keys in the chosen top bin.
KthResult radix_select(const Segments& seg, uint64_t t, const JobControl* ctl) {
  const uint64_t n = seg.total();
  ChunkPlan plan;
  plan.stage = "threshold (exact fallback)";
  plan.progress_total = 2 * n;
  size_t parts = chunk_parts(size_t(n), plan);
  std::vector<std::vector<uint64_t>> hist(parts);
  parallel_chunks(size_t(n), plan, ctl, [&](size_t part, size_t b, size_t e) {
    auto& h = hist[part];
    if (h.empty()) h.assign(1u << 16, 0);
    seg.for_range(b, e, [&](size_t tensor, const float* w, size_t m) {
      for (size_t i = 0; i < m; ++i) {
        uint32_t k = abs_key(w[i]);
        if (key_is_nan(k)) throw_nan(tensor);
        ++h[k >> 15];
      }
    });
  });
  std::vector<uint64_t> top(1u << 16, 0);
  for (auto& h : hist)
    for (size_t i = 0; i < h.size(); ++i) top[i] += h[i];
  uint64_t cum = 0;
  uint32_t bin = 0;
  for (; bin < (1u << 16); ++bin) {
    if (cum + top[bin] > t) break;
    cum += top[bin];
  }
  plan.progress_base = n;
  for (auto& h : hist) h.assign(1u << 15, 0);
  parallel_chunks(size_t(n), plan, ctl, [&](size_t part, size_t b, size_t e) {
    auto& h = hist[part];
    if (h.size() != (1u << 15)) h.assign(1u << 15, 0);
    seg.for_range(b, e, [&](size_t, const float* w, size_t m) {
      for (size_t i = 0; i < m; ++i) {
        uint32_t k = abs_key(w[i]);
        if ((k >> 15) == bin) ++h[k & 0x7FFF];
      }
    });
  });
  std::vector<uint64_t> low(1u << 15, 0);
  for (auto& h : hist)
    for (size_t i = 0; i < h.size(); ++i) low[i] += h[i];
  uint32_t l = 0;
  for (; l < (1u << 15); ++l) {
    if (cum + low[l] > t) break;
    cum += low[l];
  }
  KthResult r;
  r.value = bits_float((bin << 15) | l);
  r.below = cum;
  r.equal = low[l];
  r.fallback = true;
  return r;
}

}  // namespace

KthResult kth_largest_abs(const std::vector<Tensor>& tensors, uint64_t k, const JobControl* ctl) {
  Segments seg(tensors);
  const uint64_t n = seg.total();
  if (k < 1 || k > n)
    throw bad_input("k must be in [1, " + std::to_string(n) + "] (the total number of weights), got " + std::to_string(k), "k");
  const uint64_t t = n - k;  // ascending rank of the answer
  const bool small = n <= kSmall;
  const Band band = small ? Band{} : sample_band(seg, t);
  const Kernels& kern = kernels();

  ChunkPlan plan;
  plan.stage = "threshold";
  const size_t parts = chunk_parts(size_t(n), plan);
  // Past ~1/16 of the data in the band the sample was unrepresentative: go exact instead.
  const size_t limit = small ? size_t(n) : std::max<size_t>(size_t(n / 16 / parts), size_t(1) << 16);
  std::vector<PartScratch> scratch_parts(parts);
  for (auto& ps : scratch_parts) ps.cand.reset(limit + std::min<size_t>(plan.chunk, size_t(n)) + 16);
  std::atomic<bool> overflow{false};
  parallel_chunks(size_t(n), plan, ctl, [&](size_t part, size_t b, size_t e) {
    PartScratch& ps = scratch_parts[part];
    if (overflow.load(std::memory_order_relaxed)) return;
    seg.for_range(b, e, [&](size_t tensor, const float* w, size_t m) {
      if (ps.cand.size + m + 16 > ps.cand.cap) {
        overflow.store(true, std::memory_order_relaxed);
        return;
      }
      ps.cand.size += kern.band(w, m, band.lo, band.hi, ps.cand.data() + ps.cand.size, &ps.counts);
      if (key_is_nan(ps.counts.max_key)) throw_nan(tensor);
    });
    if (ps.cand.size > limit) overflow.store(true, std::memory_order_relaxed);
  });

  uint64_t below = 0, eq_lo = 0, eq_hi = 0, inside = 0;
  for (auto& ps : scratch_parts) {
    below += ps.counts.below;
    eq_lo += ps.counts.eq_lo;
    eq_hi += ps.counts.eq_hi;
    inside += ps.cand.size;
  }
  if (overflow || t < below || t >= below + eq_lo + inside + eq_hi) return radix_select(seg, t, ctl);

  KthResult r;
  if (t < below + eq_lo) {
    r.value = bits_float(band.lo);
    r.below = below;
    r.equal = eq_lo;
    return r;
  }
  if (t >= below + eq_lo + inside) {
    r.value = bits_float(band.hi);
    r.below = below + eq_lo + inside;
    r.equal = eq_hi;
    return r;
  }
  // Candidates lie in (lo, hi): one pass of a 4096-bin histogram (L1-resident) finds the bin
  // holding the rank; nth_element then runs on that bin's few keys only.
  const uint64_t idx = t - below - eq_lo;
  const uint32_t base = band.lo + 1;
  const uint32_t range = band.hi - band.lo;  // keys base .. base + range - 2
  unsigned shift = 0;
  while ((uint64_t(range) >> shift) >= (uint64_t(1) << 12)) ++shift;
  const size_t bins = size_t(range >> shift) + 1;
  std::vector<uint32_t> hist(bins, 0u);
  for (auto& ps : scratch_parts) {
    const uint32_t* c = ps.cand.data();
    for (size_t i = 0, m = ps.cand.size; i < m; ++i) ++hist[(c[i] - base) >> shift];
  }
  uint64_t cum = 0;
  size_t bin = 0;
  for (; cum + hist[bin] <= idx; ++bin) cum += hist[bin];
  // Gather the bin's keys to the front of part 0's buffer (the write index never passes the
  // read index there; other parts' keys append behind them).
  Buf& all = scratch_parts[0].cand;
  if (hist[bin] > all.cap) return radix_select(seg, t, ctl);  // one huge bin: exact fallback
  size_t m = 0;
  for (auto& ps : scratch_parts) {
    const uint32_t* c = ps.cand.data();
    for (size_t i = 0, e = ps.cand.size; i < e; ++i)
      if (((c[i] - base) >> shift) == bin) all.data()[m++] = c[i];
  }
  uint32_t* a = all.data();
  size_t j = size_t(idx - cum);
  std::nth_element(a, a + j, a + m);
  uint32_t v = a[j];
  uint64_t lt = 0, eq = 0;
  for (size_t i = 0; i < m; ++i) {
    lt += a[i] < v;
    eq += a[i] == v;
  }
  r.value = bits_float(v);
  r.below = below + eq_lo + cum + lt;
  r.equal = eq;
  return r;
}

GlobalThreshold global_threshold(const std::vector<Tensor>& tensors, double sparsity, const JobControl* ctl) {
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    throw bad_input("sparsity must be in [0, 1), got " + std::to_string(sparsity), "sparsity");
  GlobalThreshold g;
  for (auto& t : tensors) g.total += t.size;
  if (g.total == 0) return g;
  g.prune_count = std::min<uint64_t>(uint64_t(std::floor(sparsity * double(g.total))), g.total - 1);
  // The smallest kept magnitude is the (total - prune_count)-th largest.
  KthResult r = kth_largest_abs(tensors, g.total - g.prune_count, ctl);
  g.threshold = r.value;
  g.ties_to_prune = g.prune_count - r.below;
  g.fallback = r.fallback;
  return g;
}

}  // namespace mag
}  // namespace tf
