#!/usr/bin/python3
"""Plots bench_hitratio's CSV: hit ratio per trace point for exact LRU,
vellir's sampled LRU, vellir's S3-FIFO and Belady's OPT.

Usage: scripts/plot-hitratio.py RESULTS.csv OUT.png
Needs Debian's python3-matplotlib (scripts/deps.sh --bench).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit("no rows in " + sys.argv[1])
    labels = [f"{r['trace']}\n{int(r['size']):,}" for r in rows]
    series = [("exact LRU", "lru", "#888888"), ("vellir sampled LRU (default)", "sampled_lru", "#1f77b4"),
              ("vellir S3-FIFO", "s3fifo", "#2ca02c"), ("Belady OPT", "opt", "#d62728")]
    width = 0.2
    fig, ax = plt.subplots(figsize=(max(10, len(rows) * 0.9), 5))
    for i, (name, col, color) in enumerate(series):
        xs = [j + (i - 1.5) * width for j in range(len(rows))]
        ax.bar(xs, [float(r[col]) for r in rows], width, label=name, color=color)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_ylabel("hit ratio")
    ax.set_title("vellir eviction: hit ratio by trace and cache size (bench/bench_hitratio)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print("wrote", sys.argv[2])


if __name__ == "__main__":
    main()
