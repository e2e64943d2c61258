#!/bin/bash
# One prepared GPU run: builds the kernels, tests and bench without Node (TWINFORGE_ADDON=OFF),
# runs the CPU kernel tests, every CUDA kernel against its CPU reference and timed against the
# device copy bandwidth (each section in its own process, so one failure cannot hide the rest),
# the PyTorch baselines, and a memcheck pass on small sizes. Results go to $OUT:
#   log.txt (everything), bench.json (our sections), torch.json, RESULTS.md (the tables), sanitizer.txt
# Usage (repo root): OUT=/some/dir native/gpu/run.sh [--quick]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/build/gpu-out}"
mkdir -p "$OUT"
TMP="$(mktemp -d)"
LOG="$OUT/log.txt"
QUICK=""
[ "${1:-}" = "--quick" ] && QUICK="--quick"
START=$(date +%s)
stamp() { echo "[$(( $(date +%s) - START )) s] $*" | tee -a "$LOG"; }

export PATH="/usr/local/cuda/bin:$PATH"
stamp "machine"
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv; nvcc --version | tail -2;
  cmake --version | head -1; nproc; } >> "$LOG" 2>&1

stamp "build"
JOBS=$(nproc)
if ! cmake -S native -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DTWINFORGE_ADDON=OFF -DTWINFORGE_BUILD_TESTS=ON \
     -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_CUDA_COMPILER="$(command -v nvcc)" >> "$LOG" 2>&1 ||
   ! ninja -C build/gpu -j "$JOBS" twinforge_bench test_gemm test_linalg test_solvers test_measure_kernels >> "$LOG" 2>&1; then
  stamp "BUILD FAILED"; tail -60 "$LOG"; exit 1
fi
grep -q "CUDA kernels ON" "$LOG" || stamp "WARNING: CUDA kernels OFF (nvcc not found?)"

stamp "cpu kernel tests"
for t in test_gemm test_linalg test_solvers test_measure_kernels; do
  timeout 120 "build/gpu/$t" > "$TMP/$t.txt" 2>&1; rc=$?
  echo "$t rc=$rc $(tail -1 "$TMP/$t.txt")" | tee -a "$LOG"
  [ $rc -ne 0 ] && cat "$TMP/$t.txt" >> "$LOG"
done

for s in copy magnitude nm quant sgemm hessian solvers_check solvers_time; do
  stamp "gpu section $s"
  timeout 150 build/gpu/twinforge_bench gpu --section=$s --json $QUICK > "$TMP/sec_$s.json" 2> "$TMP/sec_$s.err"
  echo "  rc=$?" >> "$LOG"
  cat "$TMP/sec_$s.err" >> "$LOG"
done

stamp "torch baselines"
PYTHONUNBUFFERED=1 timeout 200 python3 native/gpu/torch_baseline.py $QUICK > "$OUT/torch.json" 2>> "$LOG"
echo "  rc=$?" >> "$LOG"

stamp "summary"
python3 native/gpu/summarize.py "$TMP" "$OUT/torch.json" "$OUT/bench.json" > "$OUT/RESULTS.md" 2>> "$LOG"
cat "$OUT/RESULTS.md"

if command -v compute-sanitizer > /dev/null; then
  stamp "memcheck (quick sizes)"
  timeout 100 compute-sanitizer --tool memcheck --print-limit 20 build/gpu/twinforge_bench gpu --quick \
    --section=magnitude,nm,quant,solvers_check > "$OUT/sanitizer.txt" 2>&1
  echo "  rc=$?" | tee -a "$LOG"
  grep -E "ERROR SUMMARY|failed check" "$OUT/sanitizer.txt" | tee -a "$LOG"
fi
stamp "done"
