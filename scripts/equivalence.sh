#!/usr/bin/env bash
# Result equivalence (issue 15): runs a fixed set of reference runs and compares their stats JSON,
# without the "host" key, bit for bit against a recorded set. Speed work must leave every one unchanged.
#   scripts/equivalence.sh record DIR [pagecycle]   record the reference stats into DIR
#   scripts/equivalence.sh check DIR [pagecycle]    run again and compare with DIR (exit 1 on a difference)
# Reference runs: the default run, forkcow, blockio on each disk preset, a DRAM trace in each of the three
# formats (reads and writes, time stamps honoured, checker on) and replayed --fast on ddr4-3200-2r and
# ddr5-4800, the small preset on the fixed memory, the DRAM-bound stream (as it is, and half writes with
# the data checked), and the lackey trace tests/data/true.lackey.xz on nehalem
# and skylake. About 15 s of CPU in all on the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: equivalence.sh record|check DIR [pagecycle]}
dir=${2:?usage: equivalence.sh record|check DIR [pagecycle]}
PC=${3:-${BUILD_DIR:-build}/platform/app/pagecycle}
[ "$mode" = record ] || [ "$mode" = check ] || { echo "mode must be record or check" >&2; exit 2; }
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Deterministic DRAM traces: 20,000 requests, 2:1 reads/writes, random lines over 64 MiB with a
# sequential stretch every 1,000 requests (row hits, forwarding and merges as well as conflicts).
awk 'BEGIN { s = 7
  for (i = 0; i < 20000; i++) {
    s = (s * 1103515245 + 12345) % 2147483648
    if (int(i / 1000) % 2) line = i % 4096; else line = int(s / 128) % 1048576
    s = (s * 1103515245 + 12345) % 2147483648
    op = (s % 3 == 0) ? "WRITE" : "READ"
    printf "0x%x %s %d\n", line * 64, op, i * 3
  } }' >"$tmp/d3.trace"
awk '{ printf "%s %s\n", ($2 == "READ" ? "LD" : "ST"), $1 }' "$tmp/d3.trace" >"$tmp/ram.trace"
awk '{ printf "%d:\t%s\t%s\n", $3, tolower($2), $1 }' "$tmp/d3.trace" >"$tmp/sys.stl"

# The benchmark's random 2:1 read/write stream over 1 GiB (bench/dram_trace_bench.sh), 100,000 requests.
awk 'BEGIN { s = 12345; m = 2^24
  for (i = 0; i < 100000; i++) {
    s = (s * 1103515245 + 12345) % 2147483648; line = int(s / 128) % m
    s = (s * 1103515245 + 12345) % 2147483648; op = (s % 3 == 0) ? "WRITE" : "READ"
    printf "0x%x %s %d\n", line * 64, op, i
  } }' >"$tmp/mix.trace"

strip() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("host",None); print(json.dumps(d,indent=1,sort_keys=True))' "$1"; }

fails=0
one() {  # one NAME pagecycle-args...
  local name=$1
  shift
  if ! "$PC" "$@" -q --stats-json "$tmp/$name.json" >"$tmp/$name.out" 2>&1; then
    echo "FAIL $name: exit status $? ($(head -3 "$tmp/$name.out"))"
    fails=$((fails + 1))
    return
  fi
  strip "$tmp/$name.json" >"$tmp/$name.ref"
  if [ "$mode" = record ]; then
    cp "$tmp/$name.ref" "$dir/$name.json"
    echo "recorded $name"
  elif cmp -s "$tmp/$name.ref" "$dir/$name.json"; then
    echo "same     $name"
  else
    echo "DIFFERS  $name:"
    diff "$dir/$name.json" "$tmp/$name.ref" | head -20 || true  # under set -e a failed diff would end the check here
    fails=$((fails + 1))
  fi
}

one default run
one forkcow run --preset forkcow
one small-fixed run --preset small --preset fixed
one stream run --preset stream --set workload.synthetic.accesses=20000
one stream-datacheck run --preset stream --set workload.synthetic.accesses=20000 --set workload.data_check=true \
  --set workload.synthetic.read_fraction=0.5
one blockio-hdd run --preset blockio --preset hdd-7200
one blockio-ssd-mqsim run --preset blockio --preset ssd-mqsim
one blockio-ssd-nvmevirt run --preset blockio --preset ssd-nvmevirt
one dram-dramsim3 dram-trace "$tmp/d3.trace"
one dram-ramulator dram-trace "$tmp/ram.trace"
one dram-dramsys dram-trace "$tmp/sys.stl"
one dram-2r-fast dram-trace "$tmp/d3.trace" --fast --preset ddr4-3200-2r
one dram-ddr5-fast dram-trace "$tmp/sys.stl" --fast --preset ddr5-4800
one dram-mix-fast dram-trace "$tmp/mix.trace" --fast
one dram-mix-fast-nochecker dram-trace "$tmp/mix.trace" --fast --set dram.ddr.ctrl.checker=false
one nehalem-trace run --preset nehalem --trace tests/data/true.lackey.xz
one skylake-trace run --preset skylake --trace tests/data/true.lackey.xz
[ "$mode" = check ] && { [ "$fails" = 0 ] && echo "equivalence: all runs identical" || echo "equivalence: $fails run(s) differ"; }
[ "$fails" = 0 ]
