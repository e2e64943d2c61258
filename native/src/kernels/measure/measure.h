// Timed measuring calls for hardware awareness: build the operands of one product (dense, CSR,
// N:M, BSR, 2:4 packed, int8) or a copy, run it `repeats` times after `warmup` runs, and report the median
// and best seconds with the bytes it must move and the flops it does. Optionally checks a
// sample of outputs against a double-precision dot product (max relative error).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/job.h"
#include "kernels/dispatch/cpu.h"

namespace tf::measure {

struct Spec {
  std::string kernel;        // copy | gemm | gemm_packed | gemv | csr | nm | bsr | sp24 | sp24_f16 | int8 | cuda_copy
  size_t m = 1;              // activation rows (batch); gemv forces 1
  size_t n = 4096;           // outputs (weight rows)
  size_t k = 4096;           // inputs
  double density = 0.1;      // csr / bsr: kept fraction
  uint32_t nm_n = 2, nm_m = 4;
  size_t br = 4, bc = 4;     // bsr block
  size_t bytes = 64 << 20;   // copy: bytes per buffer
  int repeats = 10, warmup = 1;
  bool verify = false;
  uint64_t seed = 1;
};

struct Result {
  double seconds = 0;      // median
  double min_seconds = 0;
  double bytes = 0;        // must be read + written once
  double flops = 0;        // 0 for copy
  int repeats = 0;
  double max_rel_error = -1;  // when verify
  std::string isa;
};

// Throws tf::Error BAD_INPUT on an unknown kernel or bad shape, NO_DEVICE for cuda_* without a GPU.
Result run(const Spec& spec, Isa isa, const JobControl* ctl = nullptr);

}  // namespace tf::measure
