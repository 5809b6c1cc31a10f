#!/usr/bin/python3
"""Swap measurements for the issue-12 note: the thrash scenario on swap-hdd and swap-ssd, with and
without the swap token, and (--long) a longer thrash whose swap traffic reaches the hundreds of
thousands of pages. Prints a Markdown table per run set.

    bench/swap/measure.py [--pc build/platform/app/pagecycle] [--long] [--out DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(pc, presets, sets, files, out):
    cmd = [pc, "run", "-q", "--stats-json", out]
    for p in presets:
        cmd += ["--preset", p]
    for f in files:
        cmd += ["--config", f]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.time()
    subprocess.run(cmd, check=True, env=dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE"))
    host = time.time() - t0
    return json.load(open(out)), host


def summarize(d, host):
    k = d["stats"]["kernel"]
    mhz = d["config"]["clocks"]["cpu_mhz"]
    us = 1.0 / mhz
    lat = k["fault_latency"]["swap_major"]
    rows = []
    for t in k["tasks"].values():
        if not isinstance(t, dict) or t.get("kernel_cycles", 0) or "idle_cycles" in t:
            continue
        el = t["elapsed_cycles"]
        rows.append((t.get("maj_swap_flt", 0), t.get("swapin_wait_cycles", 0) / el * 100 if el else 0))
    return {
        "pswpin": k["vmstat"]["pswpin"], "pswpout": k["vmstat"]["pswpout"],
        "major": k["swap"]["major_faults"], "per_task": rows,
        "p50": lat["p50"] * us, "p90": lat["p90"] * us, "p99": lat["p99"] * us,
        "cycles": d["stats"]["summary"]["sim_cycles"], "errors": d["stats"]["summary"]["data_errors"],
        "host": host,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pc", default="build/platform/app/pagecycle")
    ap.add_argument("--long", action="store_true", help="the long thrash instead of the token table")
    ap.add_argument("--out", default="/tmp/pc-swap-bench")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    print("| disk | swap token | pswpin | pswpout | major swap faults (per task) | swap-in wait share per task | "
          "fault-to-resume p50 / p90 / p99 (us) | total cycles | data errors | host s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for disk in ("swap-hdd", "swap-ssd"):
        for token in ((True,) if a.long else (True, False)):
            files = [os.path.join(HERE, "thrash-long.json")] if a.long else []
            sets = [f"kernel.swap.swap_token={'true' if token else 'false'}"]
            out = os.path.join(a.out, f"{disk}-{token}{'-long' if a.long else ''}.json")
            s = summarize(*run(a.pc, ["nehalem", disk, "thrash"], sets, files, out))
            print(f"| {disk[5:]} | {'on' if token else 'off'} | {s['pswpin']:,} | {s['pswpout']:,} | "
                  f"{s['major']:,} ({', '.join(str(m) for m, _ in s['per_task'])}) | "
                  f"{', '.join(f'{w:.0f}%' for _, w in s['per_task'])} | "
                  f"{s['p50']:.0f} / {s['p90']:.0f} / {s['p99']:.0f} | {s['cycles']:,} | {s['errors']} | "
                  f"{s['host']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
