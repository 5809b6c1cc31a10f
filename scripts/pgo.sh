#!/usr/bin/env bash
# Builds the fastest pagecycle binary: link-time optimisation plus GCC profile-guided optimisation. An
# instrumented build, a training run (DRAM trace replays: sequential, random and random 2:1 read/write with
# the timing checker on and off, one default platform run, the `stream` preset and the TLB/L1-hit path), then
# the build that uses the profile.
# Simulated results are the plain build's (scripts/equivalence.sh checks it): only the host code is
# inlined and laid out by the measured branch frequencies. Builds only the pagecycle target, twice, in
# its own directory (about twice the time of `scripts/bootstrap.sh pagecycle`).
# Environment: BUILD_DIR (default build-pgo). Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-pgo}
export SC_COPYRIGHT_MESSAGE=DISABLE

bash scripts/bootstrap.sh --packages-only
# Both phases build in the same directory: GCC finds each object's profile next to it (.gcda).
conf() {
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DPC_SANITIZE=OFF -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON \
    "-DCMAKE_CXX_FLAGS=$1" "-DCMAKE_EXE_LINKER_FLAGS=$2" >&2
}
find "$BUILD_DIR" -name '*.gcda' -delete 2>/dev/null || true
conf "-fprofile-generate -fprofile-update=single" "-fprofile-generate"
cmake --build "$BUILD_DIR" -j2 --target pagecycle >&2

PC="$BUILD_DIR/platform/app/pagecycle"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The traces of bench/dram_trace_bench.sh (bench/gen_dram_trace.sh), 100,000 requests each.
for mode in seq rand mix; do
  bash bench/gen_dram_trace.sh "$mode" 100000 "$tmp/$mode.trace"
  "$PC" dram-trace "$tmp/$mode.trace" --fast --preset ddr4-3200 -q
  "$PC" dram-trace "$tmp/$mode.trace" --fast --preset ddr4-3200 --set dram.ddr.ctrl.checker=false -q
done
"$PC" run -q >/dev/null
# The platform without the modeled kernel: the DRAM-bound stream (core, router, LT adapter, the DDR path)
# and the TLB/L1-hit path of bench/platform_bench.sh.
"$PC" run -q --preset stream --set workload.synthetic.accesses=100000 >/dev/null
"$PC" run -q --preset nehalem --set workload.synthetic.pattern=sequential --set workload.synthetic.footprint_kib=16 \
  --set workload.synthetic.accesses=1000000 >/dev/null

# Code the training did not run is compiled as without a profile (-fprofile-partial-training), and a
# source without any profile is no error (-Wno-missing-profile).
conf "-fprofile-use -fprofile-partial-training -Wno-missing-profile" ""
cmake --build "$BUILD_DIR" -j2 --target pagecycle >&2
echo "$PC"
