# The RTL unit on both cores under the modeled Linux kernel (forkcow: fork, COW, file mapping, TLB
# shootdowns whose IPIs reach a core while its walk waits in DDR), checked against the C++ model on
# every request: no divergence, no data error, and the shootdowns really reached the RTL units.
source "$2/tests/cli/lib.sh"
expect_exit 0 "$PC" run --preset nehalem --preset forkcow --set mmu.impl=rtl --set mmu.rtl.check=true \
  --stats-json "$WORK/s.json"
expect_out "0 divergences"
expect_out "0 errors"
/usr/bin/python3 - "$WORK/s.json" <<'PY' || fail "counts"
import json, sys
s = json.load(open(sys.argv[1]))["stats"]["cpu"]
checked = sum(s[c]["cosim"]["checked"] for c in ("core0", "core1"))
received = sum(s[c]["shootdown"]["received"] for c in ("core0", "core1"))
walks = sum(s[c]["walker"]["walks"] for c in ("core0", "core1"))
print(f"{checked} requests checked, {walks} walks, {received} shootdowns received")
sys.exit(0 if checked > 400000 and received > 0 and walks > 1000 and s["core1"]["cosim"]["checked"] > 0 else 1)
PY
finish
