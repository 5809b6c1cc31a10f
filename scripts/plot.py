#!/usr/bin/python3
"""PageCycle plots (Python 3 + Debian's python3-matplotlib, nothing else).

  plot.py run RUN_DIR        PNGs of one run (`pagecycle run --out RUN_DIR [--sample-us N]`), written into
                             RUN_DIR: memory.png, vm_rates.png, tasks.png, latency.png. `pagecycle plot`
                             runs this.
  plot.py sweep CSV PNG --x KEY --grid KEY... --stats STAT...
                             the comparison plot of `pagecycle sweep`: one panel per stat against KEY,
                             one line per combination of the other grid keys.

Every figure has a fixed size in pixels (no tight bounding box), so tests can check the PNG dimensions;
a plot without data says so on the figure instead of being left out.
"""
import argparse
import csv
import json
import os
import sys

import matplotlib
import numpy

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DPI = 100
RUN_SIZE = (10, 6)  # inches: 1000 x 600 pixels
# The attribution buckets, in the order of the README's list.
BUCKETS = ["compute", "mem_stall", "page_walk", "irq", "fault", "syscall", "direct_reclaim", "kernel",
           "io_wait", "swapin_wait", "congestion_wait", "lock_wait", "nap", "runnable_wait", "idle"]
ZONES = ["dma", "dma32", "normal", "high"]


MISSING = []  # what the current figure has no data for (printed after its path)


def no_data(ax, what):
    MISSING.append(what.split(" (")[0])
    ax.text(0.5, 0.5, "no data:\n" + what.replace(" (", "\n("), ha="center", va="center", transform=ax.transAxes,
            fontsize=9, color="0.3")
    ax.set_xticks([])
    ax.set_yticks([])


def save(fig, path):
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    print(path + ("" if not MISSING else "  (no data: %s)" % ", ".join(MISSING)))
    del MISSING[:]


def load_samples(run_dir):
    path = os.path.join(run_dir, "samples.jsonl")
    if not os.path.exists(path):
        return []
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError as e:
                    sys.exit("%s:%d: not a JSON sample: %s" % (path, n, e))
    return out


def get(d, path):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def plot_memory(samples, path):
    """Free pages of each zone against its min/low/high watermarks, with the zone's LRU lists."""
    zones = []
    for s in samples:
        for z in s.get("zones", []):
            if z["name"] not in zones:
                zones.append(z["name"])
    fig, axes = plt.subplots(max(1, len(zones)), 1, figsize=RUN_SIZE, sharex=True, squeeze=False)
    axes = axes[:, 0]
    fig.suptitle("Free memory per zone against its watermarks")
    if not zones:
        no_data(axes[0], "no zone samples (run with --out DIR --sample-us N)")
    t = [s["t_us"] / 1000.0 for s in samples]
    for ax, name in zip(axes, zones):
        def series(field, name=name):
            return [next((z.get(field) for z in s.get("zones", []) if z["name"] == name), None) for s in samples]
        ax.plot(t, series("free"), label="free", color="tab:blue", linewidth=1.6)
        for field, color in (("high", "tab:green"), ("low", "tab:orange"), ("min", "tab:red")):
            ax.plot(t, series(field), label="pages_" + field, color=color, linestyle="--", linewidth=1)
        ax.plot(t, series("active"), label="active", color="0.45", linewidth=0.8)
        ax.plot(t, series("inactive"), label="inactive", color="0.7", linewidth=0.8)
        ax.set_ylabel("%s (pages)" % name)
        ax.grid(alpha=0.3)
    if zones:
        axes[0].legend(loc="upper right", fontsize=8, ncol=3)
    axes[-1].set_xlabel("simulated time (ms)")
    save(fig, path)


def rates(samples, names):
    """Per-second rates of the sum of vmstat counters between consecutive samples."""
    t, r = [], []
    for a, b in zip(samples, samples[1:]):
        dt = (b["t_us"] - a["t_us"]) / 1e6
        if dt <= 0:
            continue
        va = sum(a["vmstat"].get(n, 0) for n in names)
        vb = sum(b["vmstat"].get(n, 0) for n in names)
        t.append(b["t_us"] / 1000.0)
        r.append((vb - va) / dt)
    return t, r


def plot_vm_rates(samples, path):
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=RUN_SIZE, sharex=True)
    fig.suptitle("Swap and reclaim rates")
    if len(samples) < 2:
        for ax in (ax1, ax2):
            no_data(ax, "fewer than two samples (run with --out DIR --sample-us N)")
        save(fig, path)
        return
    for name, color in (("pswpin", "tab:blue"), ("pswpout", "tab:red")):
        t, r = rates(samples, [name])
        ax1.step(t, r, where="post", label=name, color=color)
    ax1.set_ylabel("swap (pages/s)")
    ax1.legend(loc="upper right", fontsize=8)
    for label, prefix, color in (("pgscan_kswapd", "pgscan_kswapd_", "tab:green"),
                                 ("pgscan_direct", "pgscan_direct_", "tab:orange"),
                                 ("pgsteal", "pgsteal_", "tab:purple")):
        t, r = rates(samples, [prefix + z for z in ZONES])
        ax2.step(t, r, where="post", label=label + " (all zones)", color=color)
    ax2.set_ylabel("reclaim (pages/s)")
    ax2.set_xlabel("simulated time (ms)")
    ax2.legend(loc="upper right", fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    save(fig, path)


def plot_tasks(stats, samples, path):
    """Stacked bars of each task's cycles by cause (stats.kernel.tasks.task<pid>.<bucket>_cycles): in
    cycles, and as a share of the task's elapsed cycles so that short tasks stay readable."""
    tasks = get(stats, "stats.kernel.tasks") or {}
    names = {}
    for s in samples:  # a task that exited early is only in the samples of its life
        for t in s.get("tasks", []):
            names["task%d" % t["pid"]] = "%d %s" % (t["pid"], t.get("comm", ""))
    # Tasks that did something: kernel threads that only woke up and slept again are left out.
    rows = [(names.get(key, key), t) for key, t in tasks.items()
            if any(t.get(b + "_cycles", 0) > 0 for b in BUCKETS if b not in ("idle", "nap", "runnable_wait"))]
    fig, (ax, axp) = plt.subplots(1, 2, figsize=RUN_SIZE, sharey=False)
    fig.suptitle("Where each task's cycles went (idle, a kernel thread with nothing to do, not shown)")
    if not rows:
        for a in (ax, axp):
            no_data(a, "no task attribution (stats.kernel.tasks: runs on the modeled kernel only)")
        save(fig, path)
        return
    colors = plt.get_cmap("tab20").colors
    x = list(range(len(rows)))
    for a, scale, unit in ((ax, lambda t: 1e-6, "cycles (millions)"),
                           (axp, lambda t: 100.0 / max(t.get("elapsed_cycles", 0), 1), "share of elapsed cycles (%)")):
        bottom = [0.0] * len(rows)
        for i, b in enumerate(BUCKETS):
            if b == "idle" or not any(t.get(b + "_cycles", 0) > 0 for _, t in rows):
                continue
            v = [t.get(b + "_cycles", 0) * scale(t) for _, t in rows]
            a.bar(x, v, bottom=bottom, label=b, color=colors[i % len(colors)], width=0.7)
            bottom = [p + q for p, q in zip(bottom, v)]
        a.set_xticks(x)
        a.set_xticklabels([n for n, _ in rows], rotation=30, ha="right", fontsize=8)
        a.set_ylabel(unit)
        a.grid(axis="y", alpha=0.3)
    axp.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    fig.subplots_adjust(left=0.08, right=0.82, bottom=0.2, wspace=0.3)
    save(fig, path)


def plot_latency(stats, path):
    """Histograms of swap-in and disk latency from the distributions' buckets ([low, high, count])."""
    # Swap-in: a major swap fault from its entry to the task's return to user mode (the fault, the
    # read's queueing and service, and the wait for a core again), recorded in CPU cycles.
    mhz = get(stats, "config.clocks.cpu_mhz")
    panels = (("swap-in (major swap fault to resume)", "stats.kernel.fault_latency.swap_major", mhz),
              ("disk read latency", "stats.disk.read.latency_us", 1.0),
              ("disk write latency", "stats.disk.write.latency_us", 1.0))
    fig, axes = plt.subplots(1, len(panels), figsize=RUN_SIZE)
    fig.suptitle("Latency distributions")
    for ax, (title, p, per_us) in zip(axes, panels):
        d = get(stats, p)
        ax.set_title(title, fontsize=10)
        if not isinstance(d, dict) or not d.get("count") or not d.get("buckets") or not per_us:
            no_data(ax, p[len("stats."):])
            continue
        if per_us != 1.0:  # cycles to us
            d = dict(d, buckets=[[b[0] / per_us, b[1] / per_us, b[2]] for b in d["buckets"]],
                     **{q: d[q] / per_us for q in ("p50", "p99") if q in d})
        # The stats' buckets are fine (exact below 1024, 64 per octave above): regroup them into 40
        # log-spaced bins over the observed range so the shape is visible.
        b = d["buckets"]
        mid = [max((x[0] + x[1]) / 2.0, 0.5) for x in b]
        lo, hi = min(mid), max(mid)
        if hi <= lo * 1.01:
            lo, hi = lo / 1.5, hi * 1.5
        edges = numpy.geomspace(lo, hi * 1.0001, 41)
        ax.hist(mid, bins=edges, weights=[x[2] for x in b], color="tab:blue")
        ax.set_xscale("log")
        ax.yaxis.get_major_locator().set_params(integer=True)
        for q, style in (("p50", "--"), ("p99", ":")):
            if q in d:
                ax.axvline(max(d[q], 0.5), color="tab:red", linestyle=style, linewidth=1,
                           label="%s %.0f us" % (q, d[q]))
        ax.set_xlabel("latency (us)")
        ax.set_ylabel("count")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.subplots_adjust(wspace=0.35)
    save(fig, path)


def cmd_run(args):
    stats_path = os.path.join(args.run_dir, "stats.json")
    try:
        with open(stats_path) as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("%s: %s" % (stats_path, e))
    samples = load_samples(args.run_dir)
    plot_memory(samples, os.path.join(args.run_dir, "memory.png"))
    plot_vm_rates(samples, os.path.join(args.run_dir, "vm_rates.png"))
    plot_tasks(stats, samples, os.path.join(args.run_dir, "tasks.png"))
    plot_latency(stats, os.path.join(args.run_dir, "latency.png"))


def number(s):
    try:
        return float(s)
    except ValueError:
        return None


def cmd_sweep(args):
    with open(args.csv) as f:
        rows = list(csv.DictReader(f))
    others = [g for g in args.grid if g != args.x]
    n = len(args.stats)
    ncols = 1 if n == 1 else 2
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(10, 3 * nrows + 1), squeeze=False)
    fig.suptitle("Sweep: chosen stats against %s" % args.x)
    xs = []
    for r in rows:
        if r[args.x] not in xs:
            xs.append(r[args.x])
    numeric = all(number(v) is not None for v in xs)
    for i, stat in enumerate(args.stats):
        ax = axes[i // ncols][i % ncols]
        groups = {}
        for r in rows:
            if r.get(stat, "") == "":
                continue
            key = ", ".join("%s=%s" % (g.split(".")[-1], r[g]) for g in others)
            groups.setdefault(key, []).append(r)
        for key, rs in groups.items():
            px = [number(r[args.x]) if numeric else xs.index(r[args.x]) for r in rs]
            ax.plot(px, [float(r[stat]) for r in rs], marker="o", label=key or None)
        if not numeric:
            ax.set_xticks(range(len(xs)))
            ax.set_xticklabels(xs, fontsize=8)
        ax.set_xlabel(args.x)
        ax.set_ylabel(stat.split(".")[-1])
        ax.set_title(stat, fontsize=9)
        ax.grid(alpha=0.3)
        if others and groups:
            ax.legend(fontsize=7)
        if not groups:
            no_data(ax, stat)
    for j in range(n, nrows * ncols):
        axes[j // ncols][j % ncols].axis("off")
    fig.subplots_adjust(hspace=0.6, wspace=0.3)
    save(fig, args.png)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("run_dir")
    s = sub.add_parser("sweep")
    s.add_argument("csv")
    s.add_argument("png")
    s.add_argument("--x", required=True)
    s.add_argument("--grid", nargs="+", required=True)
    s.add_argument("--stats", nargs="+", required=True)
    args = ap.parse_args()
    cmd_run(args) if args.cmd == "run" else cmd_sweep(args)


if __name__ == "__main__":
    main()
