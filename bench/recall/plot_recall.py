#!/usr/bin/env python3
"""Draws the recall plots from a table written by bench/recall.

    plot_recall.py TABLE.csv OUT_STEM

Writes OUT_STEM_recall_at_1.{png,svg}: recall@1@k against k, one panel per bit width (as in the
TurboQuant paper's figure), and OUT_STEM_recall_vs_qps.{png,svg}: recall@10@10 against
single-thread queries per second. Needs Debian's python3-matplotlib.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

KS = [1, 2, 4, 8, 16, 32, 64]


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def label(row):
    return f"{row['family']} {row['method']} ({float(row['bytes_per_vector']):g} B)"


def style(row):
    if row["family"] == "tqdb":
        return {"linestyle": "-", "marker": "o"}
    return {"linestyle": "--", "marker": "s"}


def plot_recall_at_1(rows, stem, title):
    widths = sorted({int(r["bits"]) for r in rows})
    cols = min(2, len(widths))
    rows_of_panels = (len(widths) + cols - 1) // cols
    fig, axes = plt.subplots(rows_of_panels, cols, figsize=(7 * cols, 5 * rows_of_panels),
                             squeeze=False)
    for ax in axes.flat[len(widths):]:
        ax.set_visible(False)
    for ax, bits in zip(axes.flat, widths):
        for row in rows:
            # Re-rank rows read the float vectors too; the curves compare codes alone.
            if int(row["bits"]) != bits or "rerank" in row["method"]:
                continue
            values = [float(row[f"recall_1_at_{k}"]) for k in KS]
            ax.plot(KS, values, label=label(row), markersize=3, linewidth=1.2, **style(row))
        ax.set_xscale("log", base=2)
        ax.set_xticks(KS, [str(k) for k in KS])
        ax.set_xlabel("k")
        ax.set_ylabel("recall@1@k")
        ax.set_title(f"{bits} bit{'s' if bits > 1 else ''} per coordinate")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=6, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{stem}_recall_at_1.{ext}", dpi=130)
    plt.close(fig)


def plot_recall_vs_qps(rows, stem, title):
    measured = [r for r in rows if float(r["qps_one_thread"]) > 0]
    if not measured:
        return
    fig, ax = plt.subplots(figsize=(9, 6))
    colors = {b: c for b, c in zip(sorted({int(r["bits"]) for r in measured}),
                                   ["tab:blue", "tab:orange", "tab:green", "tab:red",
                                    "tab:purple", "tab:brown"])}
    for row in measured:
        bits = int(row["bits"])
        ax.scatter(float(row["qps_one_thread"]), float(row["recall_10_at_10"]),
                   color=colors[bits], marker="o" if row["family"] == "tqdb" else "s",
                   s=28, alpha=0.85)
        ax.annotate(f"{bits}b {row['method']}", (float(row["qps_one_thread"]),
                                                 float(row["recall_10_at_10"])),
                    fontsize=5, xytext=(3, 2), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("queries per second, 1 thread, k = 10 (log)")
    ax.set_ylabel("recall@10@10")
    ax.set_title(f"{title}\ncircles: tqdb, squares: FAISS; colour: bits per coordinate")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{stem}_recall_vs_qps.{ext}", dpi=130)
    plt.close(fig)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, stem = sys.argv[1], sys.argv[2]
    rows = read_rows(path)
    if not rows:
        sys.exit(f"{path}: no rows")
    title = stem.split("/")[-1]
    plot_recall_at_1(rows, stem, title)
    plot_recall_vs_qps(rows, stem, title)
    print(f"plots: {stem}_recall_at_1.png/.svg, {stem}_recall_vs_qps.png/.svg")


if __name__ == "__main__":
    main()
