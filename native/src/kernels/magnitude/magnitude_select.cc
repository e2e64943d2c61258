// Exact k-th largest |w| over many tensors without sorting them:
//  1. sample 2048 cache lines spread over all tensors and bracket the target rank with a band
//     [lo, hi] of keys wide enough (from the spread of the per-line fractions) to hold it;
//  2. one streaming pass counts keys below / equal to the band's ends and copies the few keys
//     strictly inside it (~1-2% of them);
//  3. the answer is an end of the band or an nth_element among the copied keys.
// When the band misses the rank (or holds too many keys) a histogram select gives the exact
// answer for any data, ties included: per-part 2048-bin histograms of the key bits, merged,
// narrow the rank to one bin; one more pass collects only that bin's keys.
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
#include "kernels/magnitude/variants.h"
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
  // LSD radix sort of the sample (11 + 11 + 9 bits of the 31-bit keys): every quantile is then
  // an index, in a fraction of the time three nth_element calls took on one core.
  {
    ScratchLease tmp_lease = scratch<uint32_t>(s);
    std::copy(keys, keys + s, sorted);
    uint32_t* src = sorted;
    uint32_t* dst = tmp_lease.as<uint32_t>();
    for (unsigned shift : {0u, 11u, 22u}) {
      uint32_t count[2049] = {};
      for (size_t i = 0; i < s; ++i) ++count[((src[i] >> shift) & 0x7FF) + 1];
      for (size_t b = 1; b <= 2048; ++b) count[b] += count[b - 1];
      for (size_t i = 0; i < s; ++i) dst[count[(src[i] >> shift) & 0x7FF]++] = src[i];
      std::swap(src, dst);
    }
    if (src != sorted) std::copy(src, src + s, sorted);
  }
  size_t mid = std::min(s - 1, size_t(q * double(s)));
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
  double lo_rank = (q - margin) * double(s), hi_rank = (q + margin) * double(s);
  if (lo_rank >= 1) band.lo = sorted[std::min(size_t(lo_rank), mid)];
  if (hi_rank < double(s - 1)) band.hi = sorted[std::max(size_t(hi_rank) + 1, mid)];
  if (band.hi < band.lo) band.hi = band.lo;
  return band;
}

struct PartScratch {
  Buf cand;
  BandCounts counts;
  bool overflow = false;
};

// The exact fallback, a histogram select: each pass histograms the keys of the range
// [base, base + 2048 << shift) that holds rank t into 2048 bins (per-part histograms, merged),
// counts the keys below the range, and narrows the range to the one bin holding the rank:
// shifts 20, 9, 0 -- three passes at most, usually one (then `band_of` lets the caller collect
// the bin's keys with the band kernel in one more pass).
struct Narrowed {
  uint32_t base = 0;     // first key of the bin holding rank t
  unsigned shift = 0;    // the bin covers keys base .. base + (1 << shift) - 1
  uint64_t below = 0;    // keys < base
  uint64_t count = 0;    // keys in the bin
};

constexpr unsigned kHistBits = 11;

Narrowed histogram_narrow(const Segments& seg, uint64_t t, uint64_t max_bin, const JobControl* ctl) {
  const uint64_t n = seg.total();
  ChunkPlan plan;
  plan.stage = "threshold (histogram select)";
  const size_t parts = chunk_parts(size_t(n), plan);
  Narrowed r;
  r.shift = 31;
  r.count = n;
  // A bin of 2^31 keys is everything; narrow until the bin is one key or small enough.
  for (unsigned shift : {20u, 9u, 0u}) {
    if (r.count <= max_bin || r.shift == 0) break;
    plan.progress_base += n;
    const uint32_t base = r.base;
    const uint64_t span = uint64_t(1) << r.shift;  // keys of the current bin: [base, base + span)
    std::vector<std::vector<uint64_t>> hist(parts, std::vector<uint64_t>(size_t(1) << kHistBits, 0));
    std::vector<uint64_t> below(parts, 0);
    parallel_chunks(size_t(n), plan, ctl, [&](size_t part, size_t b, size_t e) {
      uint64_t* h = hist[part].data();
      uint64_t lt = 0;
      seg.for_range(b, e, [&](size_t tensor, const float* w, size_t m) {
        for (size_t i = 0; i < m; ++i) {
          const uint32_t k = abs_key(w[i]);
          if (key_is_nan(k)) throw_nan(tensor);
          const uint64_t d = uint64_t(k) - base;  // wraps huge for k < base
          lt += k < base;
          if (d < span) ++h[d >> shift];
        }
      });
      below[part] += lt;
    });
    uint64_t cum = 0;
    for (uint64_t x : below) cum += x;
    uint64_t bin = 0, in = 0;
    for (; bin < (uint64_t(1) << kHistBits); ++bin) {
      in = 0;
      for (auto& h : hist) in += h[bin];
      if (cum + in > t) break;
      cum += in;
    }
    r.base = uint32_t(base + (bin << shift));
    r.shift = shift;
    r.below = cum;
    r.count = in;
  }
  return r;
}

// One streaming pass over all keys with the band [lo, hi] (the band kernel: counts below and
// at the ends, copies the keys strictly inside), then the rank is resolved among the copies:
// a 4096-bin histogram finds the bin holding it, nth_element the key inside that bin.
// Returns false when the band missed the rank or held more than `limit` keys per part.
bool select_in_band(const Segments& seg, uint64_t t, Band band, size_t limit, const JobControl* ctl, KthResult* r) {
  const uint64_t n = seg.total();
  const Kernels& kern = kernels();
  ChunkPlan plan;
  plan.stage = "threshold";
  const size_t parts = chunk_parts(size_t(n), plan);
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
  if (overflow || t < below || t >= below + eq_lo + inside + eq_hi) return false;

  if (t < below + eq_lo) {
    r->value = bits_float(band.lo);
    r->below = below;
    r->equal = eq_lo;
    return true;
  }
  if (t >= below + eq_lo + inside) {
    r->value = bits_float(band.hi);
    r->below = below + eq_lo + inside;
    r->equal = eq_hi;
    return true;
  }
  // Candidates lie in (lo, hi): one pass of a 4096-bin histogram (L1-resident) finds the bin
  // holding the rank; nth_element then runs on that bin's few keys only.
  const uint64_t idx = t - below - eq_lo;
  const uint32_t base = band.lo + 1;
  const uint32_t range = band.hi - band.lo;  // keys base .. base + range - 2
  unsigned shift = 0;
  while ((uint64_t(range) >> shift) >= (uint64_t(1) << 12)) ++shift;
  const size_t bins = size_t(range >> shift) + 1;
  std::vector<uint64_t> hist(bins, 0u);
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
  if (hist[bin] > all.cap) return false;
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
  r->value = bits_float(v);
  r->below = below + eq_lo + cum + lt;
  r->equal = eq;
  return true;
}

}  // namespace

KthResult kth_largest_abs(const std::vector<Tensor>& tensors, uint64_t k, const JobControl* ctl) {
  Segments seg(tensors);
  const uint64_t n = seg.total();
  if (k < 1 || k > n)
    throw bad_input("k must be in [1, " + std::to_string(n) + "] (the total number of weights), got " + std::to_string(k), "k");
  const uint64_t t = n - k;  // ascending rank of the answer
  KthResult r;
  if (n <= kSmall) {
    // Every key is a candidate: one pass with the widest band.
    if (select_in_band(seg, t, Band{}, size_t(n), ctl, &r)) return r;
  } else {
    // Past ~1/16 of the data in the band the sample was unrepresentative: go exact instead.
    ChunkPlan plan;
    const size_t parts = chunk_parts(size_t(n), plan);
    const size_t limit = std::max<size_t>(size_t(n / 16 / parts), size_t(1) << 16);
    if (select_in_band(seg, t, sample_band(seg, t), limit, ctl, &r)) return r;
  }
  // The exact fallback: histogram passes narrow the rank to one bin small enough to collect.
  const uint64_t max_bin = std::max<uint64_t>(n / 16, uint64_t(1) << 16);
  Narrowed nb = histogram_narrow(seg, t, max_bin, ctl);
  r.fallback = true;
  if (nb.shift == 0) {
    r.value = bits_float(nb.base);
    r.below = nb.below;
    r.equal = nb.count;
    return r;
  }
  Band band;
  band.lo = nb.base;
  band.hi = uint32_t(std::min<uint64_t>(uint64_t(nb.base) + (uint64_t(1) << nb.shift), kTopKey));
  if (!select_in_band(seg, t, band, size_t(nb.count) + 16, ctl, &r))
    throw Error("INTERNAL", "threshold selection: the histogram bin did not hold the rank");
  r.fallback = true;
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
