#!/usr/bin/python3
"""Draws the recall-against-speed curves of bench/ivf/ivf_bench's CSV files: one line per
method (its nprobe sweep, labelled at each point), recall@10@10 against queries per second on
one thread (log scale) and, in a second panel, on all threads. server_bench's --curve_csv
files (single queries and batches from one client, tqdb through the server beside in process)
are drawn the same way with --server.

    /usr/bin/python3 bench/ivf/plot_ivf.py [--server] CSV [CSV...]

Writes CSV's name with _qps.png and _qps.svg beside each file. Needs Debian's
python3-matplotlib (hence /usr/bin/python3).
"""
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def style(method):
    """tqdb solid, FAISS IVF dashed (re-ranked rows lighter), FAISS HNSW dotted."""
    refined = "rerank" in method or "RFlat" in method
    if method.startswith("tqdb server"):
        return dict(color="tab:orange", linestyle="-", marker="v")
    if method.startswith("tqdb"):
        return dict(color="tab:pink" if refined else "tab:red", linestyle="-", marker="o")
    if method.startswith("HNSW"):
        return dict(color="tab:purple", linestyle=":", marker="D")
    if "RaBitQ" in method:
        return dict(color="tab:olive" if refined else "tab:green", linestyle="--", marker="^")
    return dict(color="tab:cyan" if refined else "tab:blue", linestyle="--", marker="s")


PANELS = {False: [("qps_single", "1 thread, single queries"),
                  ("qps_all", "all threads, one batch")],
          True: [("qps_single", "one client, single queries"),
                 ("qps_all", "one client, batches")]}


def plot(path, server):
    curves = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            curves.setdefault(row["method"], []).append(row)
    figure, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    for panel, (column, title) in zip(axes, PANELS[server]):
        for method, rows in curves.items():
            rows.sort(key=lambda r: int(r["nprobe"]))
            x = [float(r[column]) for r in rows]
            y = [float(r["recall"]) for r in rows]
            panel.plot(x, y, label=method, **style(method))
            for r, xi, yi in zip(rows, x, y):
                panel.annotate(r["nprobe"], (xi, yi), fontsize=6, textcoords="offset points",
                               xytext=(3, 3))
        panel.set_xscale("log")
        panel.set_xlabel("queries per second (" + title + ")")
        panel.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("recall@10@10")
    axes[1].legend(fontsize=7, loc="lower left")
    figure.suptitle(os.path.basename(path).replace(".csv", "") +
                    ": recall against speed over nprobe (point labels; HNSW: efSearch)")
    figure.tight_layout()
    stem = path[:-4] + "_qps"
    for extension in ("png", "svg"):
        figure.savefig(f"{stem}.{extension}", dpi=110)
    print(f"wrote {stem}.png and {stem}.svg")


if __name__ == "__main__":
    server = "--server" in sys.argv[1:]
    names = [a for a in sys.argv[1:] if a != "--server"]
    if not names:
        sys.exit(__doc__)
    for name in names:
        plot(name, server)
