#!/usr/bin/python3
"""Runs the memory-pressure preset (mempressure) on a disk preset with given knobs and prints reclaim
figures: cycles per freed page (kswapd, direct), the share of the tasks' time in direct reclaim and in
congestion waits, kswapd's split. Usage: measure.py PAGECYCLE DISK [key=value ...]"""
import json, subprocess, sys, tempfile

pc, disk, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
with tempfile.NamedTemporaryFile(suffix=".json") as out:
    cmd = [pc, "run", "-q", "--preset", "nehalem", "--preset", disk, "--preset", "mempressure",
           "--stats-json", out.name]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True)
    st = json.load(open(out.name))["stats"]

def get(path):
    node = st
    for p in path.split("."):
        node = node[p]
    return node["value"] if isinstance(node, dict) and "value" in node else node

k = st["kernel"]
tasks = k["tasks"]
def tv(t, name):
    v = tasks[t][name]
    return v["value"] if isinstance(v, dict) else v
direct = freed_direct = elapsed = cong = rc_cong = 0.0
ks = None  # kswapd0: the kernel thread that reclaimed
for t in tasks:
    if tv(t, "kernel_cycles") > 0 and tv(t, "reclaim_freed") > 0 and tv(t, "direct_reclaim_cycles") == 0 and tv(t, "compute_cycles") == 0:
        ks = t if ks is None or tv(t, "reclaim_freed") > tv(ks, "reclaim_freed") else ks
for t in tasks:
    if tv(t, "compute_cycles") == 0:
        continue  # kernel threads
    direct += tv(t, "direct_reclaim_cycles")
    freed_direct += tv(t, "reclaim_freed")
    elapsed += tv(t, "elapsed_cycles")
    cong += tv(t, "congestion_wait_cycles")
    rc_cong += tv(t, "reclaim_congestion_cycles")
vm = k["vmstat"]
def v(n):
    x = vm[n]
    return x["value"] if isinstance(x, dict) else x
ks_cycles = tv(ks, "kernel_cycles") if ks else 0
ks_freed = tv(ks, "reclaim_freed") if ks else 0
print(json.dumps({
    "disk": disk, "sets": sets,
    "kswapd_cycles_per_freed_page": round(ks_cycles / ks_freed) if ks_freed else None,
    "direct_cycles_per_freed_page": round(direct / freed_direct) if freed_direct else None,
    "kswapd_freed": ks_freed, "direct_freed": freed_direct,
    "direct_reclaim_share": round(direct / elapsed, 4),
    "congestion_wait_share": round(cong / elapsed, 4),
    "reclaim_congestion_share": round(rc_cong / elapsed, 4),
    "kswapd_split": {n: round(tv(ks, "reclaim_" + n + "_cycles")) for n in ["scan", "rmap", "shootdown", "unmap", "writeback"]} if ks else None,
    "pgscan": sum(v(n) for n in vm if n.startswith("pgscan")), "allocstall": v("allocstall"),
    "pageout": get("kernel.reclaim.pageout_writes"), "pgrotated": v("pgrotated"),
    "sim_ms": round(max(tv(t, "end_cycle") for t in tasks) / 3e6, 1),
}))
