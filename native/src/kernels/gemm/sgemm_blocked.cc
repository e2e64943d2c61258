// The blocked sgemm driver (Goto/BLIS layout): C is cut into mc x nc tiles handed to threads
// from an atomic counter; each tile walks K in kc slices, packs its A block into MR-row panels
// and its B block into NR-column panels, and runs the register-tile microkernel of the ISA's variant (sgemm.h kVariants).
// Compiled without ISA flags: packing is memory-bound, the microkernels carry the SIMD.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/parallel.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/gemm/variants.h"

namespace tf::gemm {
namespace {

// op(A)[i][k] for rows [i0, i0+mc) and depth [k0, k0+kc), as MR-row panels [kc][MR],
// rows past the edge zero-filled so the microkernel never branches on them.
void pack_a(const SgemmArgs& g, size_t i0, size_t mc, size_t k0, size_t kc, size_t mr_tile, float* dst) {
  for (size_t ip = 0; ip < mc; ip += mr_tile) {
    const size_t rows = std::min(mr_tile, mc - ip);
    if (!g.trans_a) {
      // mr_tile row streams read side by side, each panel row written whole: contiguous stores
      // (the row-at-a-time order scattered single floats 32 bytes apart).
      const float* src[16];
      for (size_t r = 0; r < rows; ++r) src[r] = g.a + (i0 + ip + r) * g.lda + k0;
      for (size_t kk = 0; kk < kc; ++kk) {
        float* d = dst + kk * mr_tile;
        for (size_t r = 0; r < rows; ++r) d[r] = src[r][kk];
        for (size_t r = rows; r < mr_tile; ++r) d[r] = 0.0f;
      }
    } else {
      for (size_t kk = 0; kk < kc; ++kk) {
        const float* src = g.a + (k0 + kk) * g.lda + i0 + ip;
        float* d = dst + kk * mr_tile;
        for (size_t r = 0; r < rows; ++r) d[r] = src[r];
        for (size_t r = rows; r < mr_tile; ++r) d[r] = 0.0f;
      }
    }
    dst += kc * mr_tile;
  }
}

// op(B)[k][j] for depth [k0, k0+kc) and columns [j0, j0+nc), as NR-column panels [kc][NR].
void pack_b(const SgemmArgs& g, size_t k0, size_t kc, size_t j0, size_t nc, size_t nr_tile, float* dst) {
  for (size_t jp = 0; jp < nc; jp += nr_tile) {
    const size_t cols = std::min(nr_tile, nc - jp);
    if (!g.trans_b) {
      for (size_t kk = 0; kk < kc; ++kk) {
        const float* src = g.b + (k0 + kk) * g.ldb + j0 + jp;
        float* d = dst + kk * nr_tile;
        for (size_t c = 0; c < cols; ++c) d[c] = src[c];
        for (size_t c = cols; c < nr_tile; ++c) d[c] = 0.0f;
      }
    } else {
      for (size_t c = 0; c < cols; ++c) {
        const float* src = g.b + (j0 + jp + c) * g.ldb + k0;
        for (size_t kk = 0; kk < kc; ++kk) dst[kk * nr_tile + c] = src[kk];
      }
      for (size_t c = cols; c < nr_tile; ++c)
        for (size_t kk = 0; kk < kc; ++kk) dst[kk * nr_tile + c] = 0.0f;
    }
    dst += kc * nr_tile;
  }
}

// Up to this many rows of C, B is read unpacked (see the tile loop).
constexpr size_t kDirectBMaxRows = 32;
// Largest A (floats) packed once up front and shared by all tasks (64 MB).
constexpr size_t kSharedAMaxFloats = size_t(16) << 20;

size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

// 64-byte aligned packing buffers, recycled across calls: the workers are fresh threads each
// call, and fresh pages cost more to touch than the packing itself (docs/MEASURED-FACTS.md).
class ScratchPool {
 public:
  struct Buf {
    std::unique_ptr<float[]> raw;
    size_t cap = 0;
    float* aligned() const {
      auto addr = reinterpret_cast<std::uintptr_t>(raw.get());
      return reinterpret_cast<float*>((addr + 63) & ~std::uintptr_t(63));
    }
  };
  Buf take(size_t n) {
    Buf b;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (b.cap < n) {
      b.raw.reset(new float[n + 16]);
      b.cap = n;
    }
    return b;
  }
  void give(Buf b) {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kKeep) free_.push_back(std::move(b));
  }

 private:
  static constexpr size_t kKeep = 64;  // 2 buffers per worker thread
  std::mutex mu_;
  std::vector<Buf> free_;
};

ScratchPool& scratch_pool() {
  static ScratchPool* pool = new ScratchPool;  // never destroyed: workers may outlive statics
  return *pool;
}

struct Scratch {
  ScratchPool::Buf buf;
  float* p;
  explicit Scratch(size_t n) : buf(scratch_pool().take(n)), p(buf.aligned()) {}
  ~Scratch() { scratch_pool().give(std::move(buf)); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// C = beta * C for the region the product leaves alone when k == 0.
void scale_c(const SgemmArgs& g, Part part) {
  for (size_t i = 0; i < g.m; ++i) {
    size_t jend = part == Part::Lower ? std::min(g.n, i + 1) : g.n;
    float* row = g.c + i * g.ldc;
    if (g.beta == 0.0f)
      std::fill(row, row + jend, 0.0f);
    else
      for (size_t j = 0; j < jend; ++j) row[j] *= g.beta;
  }
}

}  // namespace

void sgemm(const SgemmArgs& g, Isa isa, Part part) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0 || g.alpha == 0.0f) {
    scale_c(g, part);
    return;
  }
  const SgemmUkernelInfo uk = sgemm_ukernel_for(isa);
  // Small problems use smaller tiles so both cores get work; large ones keep the cache sizes.
  size_t mc = std::min(uk.mc, round_up(g.m, uk.mr));
  size_t nc = std::min(uk.nc, round_up(g.n, uk.nr));
  const size_t threads = num_threads();
  while (threads > 1 && nc > 4 * uk.nr && ((g.m + mc - 1) / mc) * ((g.n + nc - 1) / nc) < 2 * threads)
    nc = round_up(nc / 2, uk.nr);
  const size_t kc_max = std::min(uk.kc, g.k);
  const size_t tiles_m = (g.m + mc - 1) / mc, tiles_n = (g.n + nc - 1) / nc;
  // A task is one column block of C over a range of row blocks: its packed B block is reused by
  // every row block of the range (packing B once per row block costs ~20% when k is small, as
  // in the solvers' lazy updates). Row ranges are split only as far as the threads need.
  const size_t m_parts = std::max<size_t>(1, std::min(tiles_m, (2 * threads + tiles_n - 1) / tiles_n));
  const size_t tasks = tiles_n * m_parts;
  std::atomic<size_t> next{0};
  // 2 flops per multiply-add; below ~1 MFLOP spawning threads costs more than it saves.
  const double flops = 2.0 * double(g.m) * double(g.n) * double(g.k);
  const size_t workers = flops < 1e6 ? 1 : std::min(threads, tasks);
  const bool direct_b = !g.trans_b && g.m <= kDirectBMaxRows;
  // One k slice and several column blocks (the solvers' lazy updates, k = 128): pack all of A
  // once, shared by every task, instead of once per column block.
  const bool shared_a = g.k <= kc_max && tiles_n > 1 && tiles_m * mc * g.k <= kSharedAMaxFloats;
  std::unique_ptr<Scratch> apack_all;
  if (shared_a) {
    apack_all.reset(new Scratch(tiles_m * mc * g.k));
    parallel_for(tiles_m, 1, [&](size_t b, size_t e) {
      for (size_t tm = b; tm < e; ++tm)
        pack_a(g, tm * mc, std::min(mc, g.m - tm * mc), 0, g.k, uk.mr, apack_all->p + tm * mc * g.k);
    });
  }

  parallel_parts(workers, workers, [&](size_t, size_t, size_t) {
    Scratch apack(shared_a ? 16 : mc * kc_max), bpack(nc * kc_max);
    for (size_t t = next.fetch_add(1); t < tasks; t = next.fetch_add(1)) {
      check(g.ctl);
      const size_t tn = t / m_parts, mp = t % m_parts;
      const size_t j0 = tn * nc, ncur = std::min(nc, g.n - j0);
      const size_t tm_lo = mp * tiles_m / m_parts, tm_hi = (mp + 1) * tiles_m / m_parts;
      if (part == Part::Lower && j0 >= std::min(g.m, tm_hi * mc)) continue;  // whole range above the diagonal
      // With few rows each B element is used by only a couple of micro-tiles: packing B would
      // cost a full extra pass over it, so full-width panels are read in place.
      const size_t full_n = direct_b ? ncur / uk.nr * uk.nr : 0;
      for (size_t k0 = 0; k0 < g.k; k0 += kc_max) {
        const size_t kc = std::min(kc_max, g.k - k0);
        const float beta = k0 == 0 ? g.beta : 1.0f;
        if (full_n < ncur) pack_b(g, k0, kc, j0 + full_n, ncur - full_n, uk.nr, bpack.p);
        for (size_t tm = tm_lo; tm < tm_hi; ++tm) {
          const size_t i0 = tm * mc, mcur = std::min(mc, g.m - i0);
          if (part == Part::Lower && j0 >= i0 + mcur) continue;  // strictly above the diagonal
          const float* ap = shared_a ? apack_all->p + tm * mc * g.k : apack.p;
          if (!shared_a) pack_a(g, i0, mcur, k0, kc, uk.mr, apack.p);
          for (size_t jr = 0; jr < ncur; jr += uk.nr) {
            const size_t nr = std::min(uk.nr, ncur - jr);
            const float* bp = jr < full_n ? g.b + k0 * g.ldb + j0 + jr : bpack.p + (jr - full_n) * kc;
            const size_t bstride = jr < full_n ? g.ldb : uk.nr;
            for (size_t ir = 0; ir < mcur; ir += uk.mr) {
              const size_t mr = std::min(uk.mr, mcur - ir);
              if (part == Part::Lower && j0 + jr >= i0 + ir + mr) continue;
              uk.fn(kc, ap + ir * kc, bp, bstride, g.c + (i0 + ir) * g.ldc + j0 + jr, g.ldc, mr, nr, g.alpha,
                    beta);
            }
          }
        }
      }
    }
  });
}

}  // namespace tf::gemm
