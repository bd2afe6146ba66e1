#!/usr/bin/python3
"""Recall@10 and QPS against the share of points passing a filter, one line per method, from
filter_bench --csv files (Debian's python3-matplotlib; /usr/bin/python3 on purpose).

    bench/plot_filter.py OUT.png RUN.csv [RUN.csv ...]
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    series = defaultdict(list)
    for path in sys.argv[2:]:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                series[row["method"]].append(
                    (float(row["passing_percent"]), float(row["recall_at_10"]), float(row["qps"])))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for method, points in sorted(series.items()):
        points.sort()
        shares = [p[0] for p in points]
        left.plot(shares, [p[1] for p in points], marker="o", label=method)
        right.plot(shares, [p[2] for p in points], marker="o", label=method)
    for axis, label in ((left, "recall@10 (exact filtered ground truth)"),
                        (right, "queries/s (1 thread, single queries)")):
        axis.set_xscale("log")
        axis.set_xlabel("% of points passing the filter (100: no filter)")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
    right.set_yscale("log")
    left.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(sys.argv[1], dpi=110)


if __name__ == "__main__":
    main()
