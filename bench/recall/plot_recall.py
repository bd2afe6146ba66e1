#!/usr/bin/env python3
"""Draws the recall plots from a table written by bench/recall, in the style of ann-benchmarks:
one line per method family (its Pareto front over bit widths and settings), a legend instead of
per-point labels.

    plot_recall.py TABLE.csv OUT_STEM

Writes, as PNG and SVG:
  OUT_STEM_recall_vs_bytes: recall@10@10 against bytes per vector (codes + per-vector factors),
      so equal-bytes comparisons read off one vertical line;
  OUT_STEM_recall1_vs_bytes: the same for recall@1@1;
  OUT_STEM_recall_vs_qps: recall@10@10 against single-thread queries per second;
  OUT_STEM_recall_at_1: recall@1@k against k, one panel per bit width (the TurboQuant paper's
      figure), or per byte budget (a --budgets table), one line per family (its best row there
      without re-rank).
Needs Debian's python3-matplotlib (run with /usr/bin/python3).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

KS = [1, 2, 4, 8, 16, 32, 64]

# Family -> (colour, marker, line style); tqdb solid, FAISS dashed.
FAMILIES = {
    "tqdb": ("tab:red", "o", "-"),
    "tqdb + re-rank (reads floats)": ("tab:pink", "o", ":"),
    "FAISS PQ fast scan": ("tab:blue", "s", "--"),
    "FAISS PQ x8": ("tab:cyan", "s", "--"),
    "FAISS RaBitQ fast scan": ("tab:green", "^", "--"),
    "FAISS RaBitQ": ("tab:olive", "^", "--"),
    "FAISS TurboQuant RR,SQtqmse": ("tab:purple", "D", "--"),
    "FAISS TurboQuant SQtq": ("tab:brown", "D", "--"),
    "FAISS SQ": ("tab:gray", "v", "--"),
}


def family_of(row):
    method = row["method"]
    if row["family"] == "tqdb":
        return "tqdb + re-rank (reads floats)" if "rerank" in method else "tqdb"
    if method.startswith("PQ"):
        return "FAISS PQ fast scan" if "x4fs" in method else "FAISS PQ x8"
    if method.startswith("RaBitQfs"):
        return "FAISS RaBitQ fast scan"
    if method.startswith("RaBitQ"):
        return "FAISS RaBitQ"
    if "SQtqmse" in method:
        return "FAISS TurboQuant RR,SQtqmse"
    if method.startswith("SQtq"):
        return "FAISS TurboQuant SQtq"
    return "FAISS SQ"


def read_rows(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["fam"] = family_of(row)
        row["bytes"] = float(row["bytes_per_vector"])
        row["r10"] = float(row["recall_10_at_10"])
        row["r1"] = float(row["recall_1_at_1"])
        row["qps"] = float(row["qps_one_thread"])
    return rows


def pareto(points, better_x_is_larger):
    """The (x, recall) points no other point beats on both axes, sorted by x."""
    ordered = sorted(points, key=lambda p: (-p[0] if better_x_is_larger else p[0], -p[1]))
    front, best = [], -1.0
    for x, y in ordered:
        if y > best:
            front.append((x, y))
            best = y
    return sorted(front)


def draw_fronts(ax, rows, x_key, better_x_is_larger, y_key="r10", y_label="recall@10@10"):
    for fam, (color, marker, line) in FAMILIES.items():
        points = [(r[x_key], r[y_key]) for r in rows if r["fam"] == fam and r[x_key] > 0]
        if not points:
            continue
        ax.scatter(*zip(*points), color=color, marker=marker, s=12, alpha=0.35)
        front = pareto(points, better_x_is_larger)
        ax.plot(*zip(*front), color=color, marker=marker, linestyle=line, markersize=5,
                linewidth=1.6, label=fam)
    ax.set_ylabel(y_label)
    ax.grid(True, alpha=0.3)
    # Outside the axes, so it never hides a point.
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def save(fig, stem, name):
    fig.tight_layout()
    for ext in ("png", "svg"):
        fig.savefig(f"{stem}_{name}.{ext}", dpi=130)
    plt.close(fig)


def plot_recall_vs_bytes(rows, stem, title, y_key="r10", y_label="recall@10@10",
                         name="recall_vs_bytes"):
    fig, ax = plt.subplots(figsize=(11, 6))
    draw_fronts(ax, [r for r in rows if "rerank" not in r["method"]], "bytes", False, y_key,
                y_label)
    ax.set_xlabel("bytes per vector (codes + per-vector factors)")
    ax.set_title(f"{title}: {y_label} at equal bytes (up and left is better)\n"
                 "lines: each family's Pareto front over bit widths; faint points: all rows")
    save(fig, stem, name)


def plot_recall_vs_qps(rows, stem, title):
    measured = [r for r in rows if r["qps"] > 0]
    if not measured:
        return
    fig, ax = plt.subplots(figsize=(11, 6))
    draw_fronts(ax, measured, "qps", True)
    ax.set_xscale("log")
    ax.set_xlabel("queries per second, 1 thread, k = 10 (log)")
    ax.set_title(f"{title}: recall against speed (up and right is better)\n"
                 "lines: each family's Pareto front over bit widths and re-rank")
    save(fig, stem, "recall_vs_qps")


def plot_recall_at_1(rows, stem, title):
    widths = sorted({int(r["bits"]) for r in rows})
    # A --budgets table holds the budget in bytes where a --bits table holds the bit width.
    budgets = max(widths) > 9
    cols = min(2, len(widths))
    grid = (len(widths) + cols - 1) // cols
    fig, axes = plt.subplots(grid, cols, figsize=(7 * cols, 5 * grid), squeeze=False)
    for ax in axes.flat[len(widths):]:
        ax.set_visible(False)
    for ax, bits in zip(axes.flat, widths):
        for fam, (color, marker, line) in FAMILIES.items():
            candidates = [r for r in rows if int(r["bits"]) == bits and r["fam"] == fam]
            if not candidates or fam.startswith("tqdb +"):
                continue  # re-rank reads the floats; the panels compare codes alone
            best = max(candidates, key=lambda r: r["r10"])
            values = [float(best[f"recall_1_at_{k}"]) for k in KS]
            ax.plot(KS, values, color=color, marker=marker, linestyle=line, markersize=4,
                    linewidth=1.4, label=f"{fam}: {best['method']} ({best['bytes']:g} B)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(KS, [str(k) for k in KS])
        ax.set_xlabel("k")
        ax.set_ylabel("recall@1@k")
        ax.set_title(f"{bits} bytes per vector" if budgets else
                     f"{bits} bit{'s' if bits > 1 else ''} per coordinate")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{title}: recall@1@k (each family's best row at that width)")
    save(fig, stem, "recall_at_1")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, stem = sys.argv[1], sys.argv[2]
    rows = read_rows(path)
    if not rows:
        sys.exit(f"{path}: no rows")
    title = stem.split("/")[-1]
    plot_recall_vs_bytes(rows, stem, title)
    plot_recall_vs_bytes(rows, stem, title, "r1", "recall@1@1", "recall1_vs_bytes")
    plot_recall_vs_qps(rows, stem, title)
    plot_recall_at_1(rows, stem, title)
    print(f"plots: {stem}_recall_vs_bytes, _recall1_vs_bytes, _recall_vs_qps, _recall_at_1 "
          "(.png, .svg)")


if __name__ == "__main__":
    main()
